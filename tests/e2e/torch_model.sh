#!/usr/bin/env bash
# model.h5 loads into the equivalent PyTorch module (nn.Embedding + nn.RNN/
# LSTM/GRU(batch_first) + nn.Linear) with the docs/model-file.md snippet,
# and PyTorch's logits on the test split equal ours (atol 1e-5) for every
# cell, pooling, bidirectional and 2-layer models.  Needs Debian's
# python3-torch and python3-h5py for /usr/bin/python3; SKIP otherwise.
set -euo pipefail
BIN=${BUILD:-build}/bin
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import torch, h5py, numpy' 2>/dev/null ||
	{ echo "SKIP: /usr/bin/python3 cannot import torch, h5py and numpy (apt-get install python3-torch python3-h5py)"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-torch-XXXXXX)
here=$(dirname "$0")
for s in train:160 validation:32 test:48; do
	"$BIN/synth-tok" --count "${s#*:}" --split "${s%:*}" --seed 3 --max-len 20 --vocab-size 2000 \
		--len-mu 2.5 --len-sigma 0.7 "$tmp/${s%:*}.tok"
done
"$BIN/pack-hdf5" --quiet --out "$tmp/ds.h5" --chunk-rows 16 "$tmp"/{train,validation,test}.tok
cases=()
while read -r name args; do
	# shellcheck disable=SC2086
	"$BIN/train" --data "$tmp/ds.h5" --model "$tmp/$name.h5" --log "$tmp/$name.log" \
		--summary "$tmp/$name.json" --no-checkpoint --epochs 1 --batch 16 --lr 0.02 \
		--embed 8 --hidden 6 --quiet --progress none $args
	"$BIN/evaluate" --model "$tmp/$name.h5" --data "$tmp/ds.h5" --logits --batch 20 \
		--metrics "$tmp/$name.metrics.json" --predictions "$tmp/$name.tsv" --quiet
	cases+=("$tmp/$name.h5" "$tmp/ds.h5" "$tmp/$name.tsv")
done <<'CASES'
rnn-last --cell rnn --pool last
lstm-last-bi2 --cell lstm --pool last --bidirectional --layers 2
gru-mean --cell gru --pool mean
gru-max-bi --cell gru --pool max --bidirectional
rnn-padded-bi --cell rnn --pool last-padded --bidirectional
lstm-mean2 --cell lstm --pool mean --layers 2
gru-last-dense --cell gru --pool last --dense-embedding --optimizer adamw --weight-decay 0.01
CASES
rc=0
$PY "$here/torch_model.py" "${cases[@]}" || rc=$?
[ $rc -eq 0 ] || { echo "FAIL: models differ from PyTorch (files kept in $tmp)"; exit 1; }
rm -rf "$tmp"
echo ok
