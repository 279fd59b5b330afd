#!/usr/bin/env bash
# e2e/make_pipeline.sh - make as the pipeline, on the demo dump in a temporary
# tree: nothing changed runs nothing (fast); each parameter re-runs exactly the
# stages that depend on it, and make -q / -n say so without writing; a new
# dump is tokenized alone, a removed one re-runs the merge, two of one name
# are refused; make -j2 all gives the same artifacts as make all; make
# distclean removes what make wrote.  Rebuilt programs: make_rebuild.sh.
set -eu
. "$(dirname "$0")/pipeline-lib.bash"
pipeline_tree make 2

# the build's announcements: nvcc there but HAVE_CUDA=0 given is not "not
# found"; a missing library is named with its Debian package and the way to
# install it, and goals that compile nothing (clean) need no library
# (--no-print-directory: under make test this make is a sub-make, which
# would print "Entering directory" first)
got=$(make --no-print-directory -n build BUILD="$BUILD" HAVE_CUDA=0 NVCC=/bin/true 2>&1 | head -1)
[[ $got == "CUDA: off (HAVE_CUDA=0"*"CPU only" ]] || { echo "FAIL: HAVE_CUDA=0 with nvcc: $got"; exit 1; }
got=$(make --no-print-directory -n build BUILD="$BUILD" NVCC= 2>&1 | head -1)
[ "$got" = "CUDA: not found, CPU only (HAVE_CUDA=0)" ] || { echo "FAIL: no nvcc: $got"; exit 1; }
echo "ok: CUDA announced as off (HAVE_CUDA=0) or not found"
if got=$(PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent make --no-print-directory -n build 2>&1); then
	echo "FAIL: make without the libraries' .pc files succeeded"; exit 1
fi
[[ $got == *"hdf5 (libhdf5-dev)"* && $got == *"scripts/setup"* && \
   $got == *"apt-get install -y libutf8proc-dev zlib1g-dev libhdf5-dev libjansson-dev libopenblas-dev libsleef-dev"$'\n'* ]] \
	|| { echo "FAIL: missing libraries: $got"; exit 1; }
PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent make --no-print-directory -n clean BUILD="$T/nobuild" >/dev/null 2>&1 \
	|| { echo "FAIL: make clean needs the libraries"; exit 1; }
echo "ok: missing libraries named with their packages; make clean needs none"

# help-pipeline and print-pipeline-vars with a quote in a value (a label
# map naming "it's"): the line is shown, and the assignments read back
lab="pos:it's"
got=$(mk -s help-pipeline LABELS="$lab" 2>&1) && [[ $got == *"LABELS     = $lab"* ]] \
	|| { echo "FAIL: make help-pipeline LABELS=\"$lab\": $got"; exit 1; }
got=$(mk -s print-pipeline-vars LABELS="$lab" | grep "^[A-Z_]*='") \
	&& got=$(eval "$got" && printf '%s|%s' "$LABELS" "$MAX_LEN") && [ "$got" = "$lab|256" ] \
	|| { echo "FAIL: make print-pipeline-vars LABELS=\"$lab\": $got"; exit 1; }
echo "ok: help-pipeline and print-pipeline-vars with a quote in a value"

# a DATA folder without dumps, or a DATA that is not there, is said so
mkdir -p "$T/nodumps"
for d in nodumps:" holds no dumps" missing:": no such file or folder"; do
	if got=$(mk all DATA="$T/${d%%:*}" ART="$T/nodata-art" 2>&1); then
		echo "FAIL: make all DATA=${d%%:*} succeeded"; exit 1
	fi
	[[ $got == *"make: DATA '$T/${d%%:*}'${d#*:}"* ]] || { echo "FAIL: make all DATA=${d%%:*}: $got"; exit 1; }
done
rm -rf "$T/nodumps" "$T/nodata-art"
echo "ok: an empty or missing DATA is named"

# paths make or the shell would misread are refused by name, before
# anything runs: '&' ran 'mkdir -p' on half the path in the background, a
# space gave 'multiple target patterns'
mkdir -p "$T/amp"
cp data/demo/reviews-2026-10.jsonl "$T/amp/rev&x.jsonl"
for bad in "ART=$T/a b:ART '$T/a b' holds a space" "ART=$T/a&b:ART '$T/a&b' holds &" \
	   "REPORTS=$T/r(1):REPORTS '$T/r(1)' holds ( )" "DATA=$T/amp:the dump '$T/amp/rev&x.jsonl' holds &"; do
	if got=$(mk all "${bad%%:*}" 2>&1); then echo "FAIL: make all ${bad%%:*} succeeded"; exit 1; fi
	[[ $got == *"${bad#*:}, which make or the shell would misread"* ]] ||
		{ echo "FAIL: make all ${bad%%:*}: $got"; exit 1; }
done
[ ! -e "$T/a" ] && [ ! -e "$T/r" ] || { echo "FAIL: a refused path left a folder"; exit 1; }
rm -rf "$T/amp"
echo "ok: paths with a space or shell characters are refused by name"

expect "first run" "evaluate filter-relabel learn-vocab pack-hdf5 report split tokenize train " all
start=$(date +%s%N)
expect "nothing changed" "" all
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 1000 ] || { echo "FAIL: an up-to-date make took $ms ms"; exit 1; }
echo "ok: up-to-date make in $ms ms"
# make -q and make -n tell the truth and write nothing (the parameters files
# are compared as make reads the Makefile, not remade on every run)
mk -q all || { echo "FAIL: make -q all says stale after a full run"; exit 1; }
cp "$ART/params/train.txt" "$T/params-train"
if mk -q all HIDDEN=64; then echo "FAIL: make -q all HIDDEN=64 says up to date"; exit 1; fi
got=$(mk -n all HIDDEN=64 2>&1)
[[ $got == *"bin/train "* && $got != *"bin/tokenize "* && $got != *"bin/pack-hdf5 "* ]] \
	|| { echo "FAIL: make -n all HIDDEN=64: $got"; exit 1; }
cmp -s "$ART/params/train.txt" "$T/params-train" \
	|| { echo "FAIL: make -n rewrote params/train.txt"; exit 1; }
echo "ok: make -q and make -n see what is stale, and write nothing"
expect "HIDDEN" "evaluate report train " all HIDDEN=64
expect "LABELS" "evaluate filter-relabel pack-hdf5 report split train " all HIDDEN=64 LABELS=3class
expect "MAX_LEN" "evaluate filter-relabel pack-hdf5 report split tokenize train " all HIDDEN=64 LABELS=3class MAX_LEN=128
cp data/demo/reviews-2026-11.csv "$T/data/"
got=$(mk all HIDDEN=64 LABELS=3class MAX_LEN=128 2>&1 | grep 'STAGE   tokenize' || true)
[ "$(echo "$got" | wc -l)" -eq 1 ] && [[ $got == *reviews-2026-11.csv* ]] \
	|| { echo "FAIL: a new dump re-tokenized: $got"; exit 1; }
echo "ok: a new dump is tokenized alone (the learned vocabulary stays frozen)"
# a dump taken out of DATA: no file is newer, only the list is shorter; the
# merge and what follows must re-run and leave the dump's reviews out
rm "$T/data/reviews-2026-11.csv"
expect "dump removed" "evaluate filter-relabel pack-hdf5 report split train " \
	all HIDDEN=64 LABELS=3class MAX_LEN=128
build/bin/tok-dump --meta "$ART/merged.tok" | grep -q 'reviews-2026-11' \
	&& { echo "FAIL: merged.tok still has the removed dump"; exit 1; }
echo "ok: the removed dump's reviews are gone from merged.tok"
cp data/demo/reviews-2026-11.csv "$T/data/"
# two dumps of one name would share tok/<name>.tok: refused before anything runs
gzip -c data/demo/reviews-2026-11.csv > "$T/data/reviews-2026-11.csv.gz"
if got=$(mk -n all 2>&1); then echo "FAIL: two dumps sharing a token file were accepted"; exit 1; fi
[[ $got == *"would share a token file"*reviews-2026-11.csv*reviews-2026-11.csv.gz* ]] \
	|| { echo "FAIL: dumps sharing a token file: $got"; exit 1; }
rm "$T/data/reviews-2026-11.csv.gz"
echo "ok: two dumps of one name are refused"

# make -j2 all gives the same artifacts as make all (same folder name: model
# files record their inputs' paths)
rm -rf "$T/art" "$T/rep"
mk all > /dev/null 2>&1
mv "$T/art" "$T/serial"
mk -j2 all > /dev/null 2>&1
for f in vocab.txt tok/reviews-2026-10.tok tok/reviews-2026-11.tok merged.tok \
	 split/train.tok split/test.tok dataset.h5 model.h5 metrics.json predictions.tsv; do
	cmp "$T/serial/$f" "$T/art/$f" || { echo "FAIL: $f differs between make all and make -j2 all"; exit 1; }
done
echo "ok: make -j2 all gives the same artifacts"

# make distclean with ART and REPORTS elsewhere: the build folder and every
# file the pipeline wrote there go; a file of the user's in them stays, and
# so does the nightly runs' index (scripts/retrain's, not make's)
echo keep >"$T/art/mine.txt"
echo keep >"$T/rep/notes.txt"
echo '{}' >"$T/art/history.jsonl"
mkdir -p "$T/build/bin" && touch "$T/build/bin/train"
mk distclean BUILD="$T/build" >/dev/null
left=$(cd "$T" && find art rep build -mindepth 1 2>/dev/null | sort | tr '\n' ' ')
[ "$left" = "art/history.jsonl art/mine.txt rep/notes.txt " ] ||
	{ echo "FAIL: after make distclean: $left"; exit 1; }
echo "ok: make distclean removes the pipeline's files and the build, not the user's"
rm -rf "$T"
