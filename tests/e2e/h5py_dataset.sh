#!/usr/bin/env bash
# dataset.h5 read with no project code: Debian's python3-h5py (/usr/bin/python3)
# checks the layout and every row against the token files; with torch
# importable it also trains an nn.RNN for a few steps (h5py_dataset.py).
# Then root attributes edited with h5py (and resealed) are refused by
# read-batches, each named with the file.
set -euo pipefail
BIN=${BUILD:-build}/bin
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found (Debian's python3 with python3-h5py)"; exit 77; }
"$PY" -c 'import h5py, numpy' 2>/dev/null ||
	{ echo "SKIP: h5py or numpy not importable by $PY (apt-get install python3-h5py)"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-h5py-XXXXXX)
"$BIN/synth-tok" --count 300 --split train --seed 11 --max-len 96 "$tmp/split/train.tok"
"$BIN/synth-tok" --count 40 --split validation --seed 11 --max-len 96 "$tmp/split/validation.tok"
"$BIN/synth-tok" --count 40 --split test --seed 11 --max-len 96 "$tmp/split/test.tok"
# bucketed, so rows are not in token-file order: the check matches by hash
"$BIN/pack-hdf5" --out "$tmp/dataset.h5" --chunk-rows 32 --bucket-window 128 "$tmp"/split/*.tok
"$PY" "$(dirname "$0")/h5py_dataset.py" "$tmp/dataset.h5" "$tmp/split"

# A file edited with h5py and sealed again (as a faulty writer would leave
# it): each refused root attribute is named, with the file, in the line
# above the summary.  vocab_size 0, pad_id past the vocabulary, no label
# names and the like used to print only "missing or bad root attributes
# (see the message above)", with no message above.
edit() { # NAME PYTHON: a copy of dataset.h5 with f.attrs edited, resealed
	cp "$tmp/dataset.h5" "$tmp/$1.h5"
	"$PY" "$(dirname "$0")/h5_reseal_edit.py" "$tmp/$1.h5" "$2"
}
refused() { # NAME TEXT: read-batches exits 1 and names the file and TEXT
	set +e
	"$BIN/read-batches" "$tmp/$1.h5" >/dev/null 2>"$tmp/err"
	local rc=$?
	set -e
	[ $rc -eq 1 ] || { cat "$tmp/err"; echo "FAIL: $1: exit $rc, want 1"; exit 1; }
	grep -qF -- "'$tmp/$1.h5': $2" "$tmp/err" ||
		{ cat "$tmp/err"; echo "FAIL: $1: no line naming the file and: $2"; exit 1; }
}
edit vocab0 'f.attrs["vocab_size"] = np.int64(0)'
refused vocab0 "attribute 'vocab_size' is 0, expected 1..2147483647"
edit pad 'f.attrs["pad_id"] = np.int64(10**6)'
refused pad "attribute 'pad_id' is 1000000, outside the vocabulary of"
edit nolabels 'f.attrs["label_names"] = np.array([], dtype=h5py.string_dtype())'
refused nolabels "attribute 'label_names' has 0 names, expected 1..16"
edit hash 'f.attrs["vocab_hash"] = "zz"'
refused hash "attribute 'vocab_hash' is 'zz', not 16 hex digits"
edit count 'f.attrs["n_train"] = np.int64(-1)'
refused count "attribute 'n_train' is -1, below 0"
edit sources 'f.attrs["source_hashes"] = np.array([], dtype=h5py.string_dtype())'
refused sources "attribute 'source_hashes' has 0 hashes for 1 source_names"
edit maxlen 'f.attrs["max_len"] = np.int64(2**31)'
refused maxlen "attribute 'max_len' is 2147483648, out of range"
echo "edited root attributes: each refused, named"
rm -rf "$tmp"
