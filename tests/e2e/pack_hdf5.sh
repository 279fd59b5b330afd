#!/usr/bin/env bash
# pack-hdf5 end to end: synthetic split files -> dataset.h5; h5dump -H shows
# the documented layout (docs/dataset-h5.md); the batch reader streams every
# split; a failed pack leaves neither the file nor a temporary; bad usage
# exits 2.  The h5py check is tests/e2e/h5py_dataset.sh.
set -euo pipefail
BIN=${BUILD:-build}/bin
command -v h5dump >/dev/null || { echo "SKIP: h5dump not installed (apt-get install hdf5-tools)"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-pack-XXXXXX)
fail() { echo "FAIL: $*"; exit 1; }

"$BIN/synth-tok" --count 600 --split train --seed 5 --max-len 128 "$tmp/split/train.tok"
"$BIN/synth-tok" --count 100 --split validation --seed 5 --max-len 128 "$tmp/split/validation.tok"
"$BIN/synth-tok" --count 90 --split test --seed 5 --max-len 128 "$tmp/split/test.tok"
"$BIN/pack-hdf5" --out "$tmp/dataset.h5" --chunk-rows 64 \
	"$tmp/split/test.tok" "$tmp/split/train.tok" "$tmp/split/validation.tok"

h5dump -p -H "$tmp/dataset.h5" >"$tmp/layout.txt"
for want in 'GROUP "train"' 'GROUP "validation"' 'GROUP "test"' \
	'DATASET "ids"' 'DATASET "lengths"' 'DATASET "labels"' 'DATASET "hashes"' 'DATASET "n_full"' \
	'SIMPLE { ( 600, 128 ) / ( 600, 128 ) }' 'SIMPLE { ( 90 ) / ( 90 ) }' \
	'CHUNKED ( 64, 128 )' 'PREPROCESSING SHUFFLE' 'COMPRESSION DEFLATE { LEVEL 4 }' \
	'CHECKSUM FLETCHER32' 'H5T_STD_I32LE' 'H5T_STD_U64LE' \
	'ATTRIBUTE "format"' 'ATTRIBUTE "format_version"' 'ATTRIBUTE "vocab_size"' \
	'ATTRIBUTE "vocab_hash"' 'ATTRIBUTE "pad_id"' 'ATTRIBUTE "cls_id"' 'ATTRIBUTE "sep_id"' \
	'ATTRIBUTE "unk_id"' 'ATTRIBUTE "max_len"' 'ATTRIBUTE "truncation"' \
	'ATTRIBUTE "label_names"' 'ATTRIBUTE "n_train"' 'ATTRIBUTE "n_validation"' \
	'ATTRIBUTE "n_test"' 'ATTRIBUTE "source_names"' 'ATTRIBUTE "source_hashes"' \
	'ATTRIBUTE "producer"' 'ATTRIBUTE "label_counts"'; do
	grep -qF "$want" "$tmp/layout.txt" || fail "h5dump -H lacks: $want"
done
h5dump -a /format "$tmp/dataset.h5" | grep -q '"rnnpipe-dataset"' || fail "format attribute"
h5dump -a /label_names "$tmp/dataset.h5" | grep -q '"negative", "positive"' || fail "label names"
h5dump -a /max_len "$tmp/dataset.h5" | grep -q '(0): 128' || fail "max_len attribute"

# the reader streams each split, every row once
for s in train:600:19 validation:100:4 test:90:3; do
	IFS=: read -r split rows batches <<<"$s"
	out=$("$BIN/read-batches" --split "$split" --sequential "$tmp/dataset.h5")
	echo "$out"
	grep -q "\"rows\":$rows," <<<"$out" || fail "$split: rows"
	grep -q "\"batches\":$batches," <<<"$out" || fail "$split: batches"
done

# same inputs, same bytes (no timestamps in the file)
"$BIN/pack-hdf5" --quiet --out "$tmp/again.h5" --chunk-rows 64 "$tmp"/split/*.tok
cmp "$tmp/dataset.h5" "$tmp/again.h5" || fail "two packs of the same input differ"

# a failed pack leaves nothing under the final name, and no temporary
mkdir -p "$tmp/bad"
head -c 5000 "$tmp/split/train.tok" >"$tmp/bad/train.tok"
rc=0
"$BIN/pack-hdf5" --out "$tmp/bad/dataset.h5" "$tmp/bad/train.tok" 2>"$tmp/bad.err" || rc=$?
cat "$tmp/bad.err"
[ "$rc" -eq 1 ] || fail "truncated input: exit $rc, expected 1"
[ ! -e "$tmp/bad/dataset.h5" ] || fail "a failed pack left dataset.h5"
ls "$tmp/bad" | grep -q '\.tmp\.' && fail "a failed pack left a temporary file"
grep -q "train.tok" "$tmp/bad.err" || fail "the error does not name the input"

# rows too wide for HDF5's 4 GiB chunk limit: a message that says what to
# change (it used to be HDF5's own "chunk size must be < 4GB")
"$BIN/synth-tok" --count 1024 --split train --max-len 1048576 --len-mu 2 --len-sigma 0.3 \
	"$tmp/wide/train.tok"
rc=0
"$BIN/pack-hdf5" --out "$tmp/wide/dataset.h5" --chunk-rows 1024 "$tmp/wide/train.tok" \
	2>"$tmp/wide.err" || rc=$?
cat "$tmp/wide.err"
[ "$rc" -eq 1 ] || fail "chunks over 4 GiB: exit $rc, expected 1"
grep -qF "'$tmp/wide/train.tok': rows of 1048576 ids (max_len) make chunks of 1024 rows of 4.0 GiB, over HDF5's 4 GiB limit; use --chunk-rows 1023 or less" \
	"$tmp/wide.err" || fail "chunks over 4 GiB: no clear message"
grep -q "H5D\|chunk size must be" "$tmp/wide.err" && fail "chunks over 4 GiB: a raw HDF5 message"
[ ! -e "$tmp/wide/dataset.h5" ] || fail "chunks over 4 GiB: left dataset.h5"

# split files tokenized without truncation (max_len 0): the rows are as
# wide as the longest review of all the splits
"$BIN/synth-tok" --count 50 --split train --seed 3 --max-len 0 --len-mu 3 "$tmp/ml0/train.tok"
"$BIN/synth-tok" --count 20 --split test --seed 4 --max-len 0 --len-mu 3 "$tmp/ml0/test.tok"
w=$("$BIN/tok-dump" --no-text --no-ids "$tmp"/ml0/*.tok | sed 's/.*"n_full":\([0-9]*\).*/\1/' |
	sort -n | tail -1)
[ "$w" -gt 2 ] || fail "max_len 0 inputs: longest row $w"
"$BIN/pack-hdf5" --quiet --out "$tmp/ml0/dataset.h5" "$tmp"/ml0/{test,train}.tok
h5dump -H "$tmp/ml0/dataset.h5" | grep -qF "SIMPLE { ( 50, $w ) / ( 50, $w ) }" ||
	fail "max_len 0: train rows are not $w wide: $(h5dump -H "$tmp/ml0/dataset.h5" | grep SIMPLE)"
# ... and with no review at all, the width of [CLS] [SEP]: 2
mkdir -p "$tmp/ml0e"
"$BIN/synth-tok" --count 0 --split train --seed 3 --max-len 0 "$tmp/ml0e/train.tok"
"$BIN/pack-hdf5" --quiet --out "$tmp/ml0e/dataset.h5" "$tmp/ml0e/train.tok"
h5dump -H "$tmp/ml0e/dataset.h5" | grep -qF "SIMPLE { ( 0, 2 ) / ( 0, 2 ) }" ||
	fail "max_len 0, no reviews: $(h5dump -H "$tmp/ml0e/dataset.h5" | grep SIMPLE)"

# --bucket-window N sorts the rows by length within windows of N rows
# (here one window: the whole split); without it they keep their order
"$BIN/synth-tok" --count 60 --split train --seed 5 --max-len 128 --len-mu 3 "$tmp/bw/train.tok"
"$BIN/pack-hdf5" --quiet --bucket-window 60 --out "$tmp/bw/sorted.h5" "$tmp/bw/train.tok"
"$BIN/pack-hdf5" --quiet --out "$tmp/bw/kept.h5" "$tmp/bw/train.tok"
lengths() { h5dump -d /train/lengths -y -w 0 "$1" | sed -n '/^   DATA {/{n;p;q}' | tr -d ' ' | tr ',' '\n'; }
lengths "$tmp/bw/sorted.h5" | sort -n -c || fail "--bucket-window 60: lengths not sorted"
lengths "$tmp/bw/kept.h5" | sort -n -c 2>/dev/null && fail "without --bucket-window: lengths sorted"
[ "$(lengths "$tmp/bw/sorted.h5" | wc -l)" -eq 60 ] || fail "--bucket-window 60: not 60 lengths"

# bad usage exits 2
rc=0
"$BIN/pack-hdf5" --out "$tmp/x.h5" "$tmp/split/train.tok" "$tmp/split/train.tok" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "the same split twice: exit $rc, expected 2"
cp "$tmp/split/train.tok" "$tmp/split/extra.tok"
rc=0
"$BIN/pack-hdf5" --out "$tmp/x.h5" "$tmp/split/extra.tok" 2>"$tmp/x.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "the file name must say its split" "$tmp/x.err" ||
	fail "a file name without a split: exit $rc, $(cat "$tmp/x.err")"
[ ! -e "$tmp/x.h5" ] || fail "a file name without a split: wrote the dataset"
rc=0
"$BIN/pack-hdf5" --deflate 11 "$tmp/split/train.tok" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--deflate 11: exit $rc, expected 2"
rc=0
"$BIN/pack-hdf5" --out '' "$tmp/split/train.tok" 2>"$tmp/empty.err" || rc=$?
[ "$rc" -eq 2 ] || fail "--out '': exit $rc, expected 2"
grep -qF -- "--out: empty file name" "$tmp/empty.err" || fail "--out '': $(cat "$tmp/empty.err")"
rm -rf "$tmp"
echo "ok"
