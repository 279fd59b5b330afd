#!/usr/bin/env bash
# Disk full while writing an artifact, for every stage that writes one
# (learn-vocab, tokenize, filter-relabel, split, pack-hdf5): (1) a file-size
# limit (ulimit -f: the write fails with EFBIG; SIGXFSZ is ignored by the
# stages) at several sizes, and (2) when this user may mount (root), a
# small tmpfs that really fills up (ENOSPC), and (3) (root too) a full
# tmpfs for the --stats file only, which fails at the very end, after the
# outputs were written.  Each time the stage exits 1
# with a message, leaves the previous artifact byte for byte and no
# temporary file; once there is room again the same command succeeds.
set -euo pipefail
. "$(dirname "$0")/hostile-lib.bash"

# a dump of 3000 reviews; the pipeline once, to have previous artifacts
for i in $(seq 1 3000); do
	if [ $((i % 2)) = 0 ]; then
		printf '{"text": "good film %d плохой фильм", "label_text": "positive"}\n' "$i"
	else
		printf '{"text": "bad plot %d хороший", "label_text": "negative"}\n' "$i"
	fi
done >"$tmp/d.jsonl"
mkdir -p "$tmp/prev/split"
P=$tmp/prev
# the stage commands, with OUT standing for the folder they write into
cmd_vocab="$BIN/learn-vocab --quiet --size 2000 --min-frequency 1 --stats OUT/vocab.json --output OUT/vocab.txt $tmp/d.jsonl"
cmd_tokenize="$BIN/tokenize --vocab $VOCAB --quiet --stats OUT/tok.json --output OUT/d.tok $tmp/d.jsonl"
cmd_filter="$BIN/filter-relabel --quiet --stats OUT/filter.json --output OUT/merged.tok $P/d.tok"
cmd_split="$BIN/split --quiet --stats OUT/split.json --train OUT/split/train.tok \
--validation OUT/split/validation.tok --test OUT/split/test.tok $P/merged.tok"
cmd_pack="$BIN/pack-hdf5 --quiet --deflate 0 --out OUT/dataset.h5 $P/split/train.tok \
$P/split/validation.tok $P/split/test.tok"
# what each stage writes (relative to OUT)
out_vocab="vocab.txt"
out_tokenize="d.tok"
out_filter="merged.tok"
out_split="split/train.tok split/validation.tok split/test.tok"
out_pack="dataset.h5"
stages="vocab tokenize filter split pack"
for s in $stages; do
	c=cmd_$s
	${!c//OUT/$P} || fail "$s: the first run failed"
done

# state DIR STAGE: checksums of the stage's outputs in DIR
state() {
	local o=out_$2 f
	for f in ${!o}; do
		[ -e "$1/$f" ] && sha256sum <"$1/$f" || echo "absent $f"
	done
}

# check_failed DIR STAGE WHAT BEFORE
check_failed() {
	expect_rc 1 "$3"
	grep -qE 'File too large|No space left on device|cannot write|cannot pack|cannot create' "$tmp/err" ||
		{ sed 's/^/  | /' "$tmp/err" | head; fail "$3: no message saying why"; }
	[ "$(state "$1" "$2")" = "$4" ] || fail "$3: the previous artifact changed"
	no_temp "$1"
}

# -- (1) file-size limits: a tenth, a half, and just below the output size
for s in $stages; do
	c=cmd_$s
	o=out_$s
	main=$P/$(echo ${!o} | cut -d' ' -f1)
	size=$(stat -c %s "$main")
	for kb in $((size / 10240 + 1)) $((size / 2048)) $((size / 1024 - 1)); do
		[ "$kb" -ge 1 ] && [ $((kb * 1024)) -lt "$size" ] || continue
		before=$(state "$P" $s)
		set +e
		(ulimit -f "$kb"; ${!c//OUT/$P}) >"$tmp/out" 2>"$tmp/err"
		rc=$?
		set -e
		check_failed "$P" $s "$s under ulimit -f $kb (output $size bytes)" "$before"
	done
	run ${!c//OUT/$P}
	expect_rc 0 "$s after the limit is lifted"
done
echo "file-size limits: ok"

# -- (2) a tmpfs that fills up
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: tmpfs part needs root to mount (the file-size part passed)"
	exit 77
fi
mnt=$tmp/mnt
mkdir "$mnt"
if ! mount -t tmpfs -o size=16m tmpfs "$mnt" 2>"$tmp/err"; then
	echo "SKIP: cannot mount a tmpfs here ($(cat "$tmp/err")); the file-size part passed"
	exit 77
fi
trap 'umount "$mnt" 2>/dev/null; chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
for s in $stages; do
	c=cmd_$s
	o=out_$s
	mkdir -p "$mnt/split"
	for f in ${!o}; do cp "$P/$f" "$mnt/$f"; done
	before=$(state "$mnt" $s)
	main=$P/$(echo ${!o} | cut -d' ' -f1)
	# leave room for a tenth of the output, then for all but 4 KB of it
	for leave in $(($(stat -c %s "$main") / 10)) $(($(stat -c %s "$main") - 4096)); do
		free=$(df -B1 --output=avail "$mnt" | tail -n 1)
		fill=$((free - leave))
		[ $fill -gt 0 ] || continue
		head -c "$fill" /dev/zero >"$mnt/filler" 2>/dev/null || true
		run ${!c//OUT/$mnt}
		rm -f "$mnt/filler"
		check_failed "$mnt" $s "$s on a full disk ($leave bytes free)" "$before"
	done
	run ${!c//OUT/$mnt}
	expect_rc 0 "$s on the tmpfs with room"
	rm -rf "${mnt:?}"/*
done
echo "full tmpfs: ok"

# -- (3) the disk of the --stats file only is full: the stage does all its
# work, then cannot write the stats at the very end.  It used to exit 1
# with its outputs already replaced (and newer than their inputs: fresh to
# make); the outputs are now renamed only after the stats, so they are
# left as they were.
# (the same bytes are written again: the files' inodes and mtimes tell a
# replaced output)
inodes() { # DIR STAGE
	local o=out_$2 f
	for f in ${!o}; do stat -c '%i %.9Y' "$1/$f"; done
}
for s in vocab tokenize filter split; do
	c=cmd_$s
	cmd=${!c//--stats OUT/--stats $mnt}
	before=$(state "$P" $s)
	ino=$(inodes "$P" $s)
	head -c 64M /dev/zero >"$mnt/filler" 2>/dev/null || true
	run ${cmd//OUT/$P}
	check_failed "$P" $s "$s with its --stats file on a full disk" "$before"
	[ "$(inodes "$P" $s)" = "$ino" ] || fail "$s: outputs replaced although its stats failed (exit 1)"
	grep -q "'$mnt/" "$tmp/err" || { sed 's/^/  | /' "$tmp/err" | head; fail "$s: the stats file not named"; }
	no_temp "$mnt"
	[ -z "$(find "$mnt" -name '*.json')" ] || fail "$s: a stats file was left on the full disk"
	rm -f "$mnt/filler"
	run ${cmd//OUT/$P}
	expect_rc 0 "$s with room for its --stats file"
	[ -n "$(find "$mnt" -name '*.json' -size +0)" ] || fail "$s: no stats file once there was room"
	rm -rf "${mnt:?}"/*
done
echo "full disk for the stats only: outputs unchanged"
echo "ok"
