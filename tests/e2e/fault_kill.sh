#!/usr/bin/env bash
# Killed mid-run: tokenize and pack-hdf5 get SIGKILL (and SIGTERM) at
# seeded random points of a run over an existing artifact.  After each kill
# the final name holds either the previous artifact or the complete new one
# (byte for byte what an undisturbed run writes), never a partial file;
# SIGTERM also removes the temporary file; SIGKILL cannot (its
# <artifact>.tmp.<pid> stays, never under the final name) and the next run
# removes such leftovers of dead processes (afile.h) and completes with the
# expected bytes.  Prints how many kills landed before and after the
# rename.
set -euo pipefail
. "$(dirname "$0")/hostile-lib.bash"
RANDOM=20261130 # reproducible kill points
KILLS=${KILLS:-6}

# a 6 MB dump (50000 reviews): tokenize takes about a quarter of a second
awk 'BEGIN { for (i = 1; i <= 50000; i++)
	printf "{\"text\": \"good film %d плохой фильм and some more words plot\", \"label_text\": \"%s\"}\n",
		i, i % 3 ? "positive" : "negative" }' >"$tmp/big.jsonl"
$T --output "$tmp/want.tok" "$tmp/big.jsonl"
WANT_TOK=$(sha256sum <"$tmp/want.tok")
"$BIN/filter-relabel" --quiet --output "$tmp/m.tok" "$tmp/want.tok"
mkdir -p "$tmp/s"
"$BIN/split" --quiet --train "$tmp/s/train.tok" --validation "$tmp/s/validation.tok" \
	--test "$tmp/s/test.tok" "$tmp/m.tok"
PACK=("$BIN/pack-hdf5" --quiet --deflate 1 --chunk-rows 64)
"${PACK[@]}" --out "$tmp/want.h5" "$tmp"/s/{train,validation,test}.tok
WANT_H5=$(sha256sum <"$tmp/want.h5")
# a previous, different dataset: from the first dump's splits of prev.jsonl
"$BIN/filter-relabel" --quiet --output "$tmp/pm.tok" "$tmp/prev.tok"
mkdir -p "$tmp/ps"
"$BIN/split" --quiet --fractions 1/0/0 --train "$tmp/ps/train.tok" --validation "$tmp/ps/validation.tok" \
	--test "$tmp/ps/test.tok" "$tmp/pm.tok"
"${PACK[@]}" --out "$tmp/prev.h5" "$tmp/ps/train.tok"
PREV_H5=$(sha256sum <"$tmp/prev.h5")

# kill_loop NAME SIGNAL OUT PREV_FILE PREV_SUM WANT_SUM CMD...
kill_loop() {
	local name=$1 sig=$2 out=$3 prev=$4 prev_sum=$5 want_sum=$6
	shift 6
	local before=0 after=0 done=0 k t0 dt ms pid got
	# the undisturbed run's time sets the range of kill points
	cp "$prev" "$out"
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || fail "$name: undisturbed run failed"
	dt=$((($(date +%s%N) - t0) / 1000000))
	for k in $(seq 1 "$KILLS"); do
		cp "$prev" "$out"
		ms=$((RANDOM % (dt + dt / 4 + 1)))
		"$@" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		kill -"$sig" "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null && done=$((done + 1)) || true
		got=$(sha256sum <"$out")
		if [ "$got" = "$prev_sum" ]; then
			before=$((before + 1))
		elif [ "$got" = "$want_sum" ]; then
			after=$((after + 1))
		else
			fail "$name: SIG$sig after ${ms} ms left a partial or foreign file under the final name"
		fi
		if [ "$sig" != KILL ]; then
			no_temp "$(dirname "$out")"
		fi
	done
	echo "$name SIG$sig x$KILLS (run takes ${dt} ms): previous kept $before, new complete $after," \
		"finished before the kill $done, stale temporaries $(ls "$out".tmp.* 2>/dev/null | wc -l)"
	# the rerun completes and removes what killed runs left behind
	"$@" >/dev/null 2>&1 || fail "$name: rerun after the kills failed"
	[ "$(sha256sum <"$out")" = "$want_sum" ] || fail "$name: rerun wrote different bytes"
	no_temp "$(dirname "$out")"
}

mkdir -p "$tmp/k"
for sig in KILL TERM; do
	kill_loop tokenize $sig "$tmp/k/big.tok" "$tmp/prev.tok" "$PREV_SUM" "$WANT_TOK" \
		$T --output "$tmp/k/big.tok" "$tmp/big.jsonl"
	kill_loop pack-hdf5 $sig "$tmp/k/dataset.h5" "$tmp/prev.h5" "$PREV_H5" "$WANT_H5" \
		"${PACK[@]}" --out "$tmp/k/dataset.h5" "$tmp"/s/{train,validation,test}.tok
done
# what a reader makes of the survivor: the sealed dataset reads back
"$BIN/read-batches" --split test "$tmp/k/dataset.h5" >/dev/null || fail "dataset after the kills"
echo "ok"
