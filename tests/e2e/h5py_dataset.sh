#!/usr/bin/env bash
# dataset.h5 read with no project code: Debian's python3-h5py (/usr/bin/python3)
# checks the layout and every row against the token files; with torch
# importable it also trains an nn.RNN for a few steps (h5py_dataset.py).
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
rm -rf "$tmp"
