#!/usr/bin/env bash
# Trains several configurations on a real dataset.h5 and evaluates each on
# the test split: the measurements behind train's defaults (docs/training.md).
# Not part of `make test` (tens of minutes on 2 cores).  One run at a time.
#
#   tests/bench/train_configs.sh DATASET.h5 OUTDIR [NAME...]
#
# Writes OUTDIR/<name>.{h5,log,json,test.json} and prints one table row per
# configuration: best epoch, validation and test accuracy / macro F1, test
# ROC AUC, training seconds and seq/s.
set -euo pipefail
BIN=${BUILD:-build}/bin
data=${1:?dataset.h5}; out=${2:?output folder}; shift 2
mkdir -p "$out"
declare -A cfg=(
	[gru-mean]="--cell gru --pool mean"
	[gru-last]="--cell gru --pool last"
	[lstm-mean]="--cell lstm --pool mean"
	[rnn-mean]="--cell rnn --pool mean"
	[gru-mean-lr1e3]="--cell gru --pool mean --lr 0.001"
	[gru-bi-mean]="--cell gru --pool mean --bidirectional"
	[gru-mean-dense]="--cell gru --pool mean --dense-embedding --epochs 1"
	[notebook]="--preset notebook --epochs 1 --patience 0"
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gru-mean gru-last lstm-mean rnn-mean gru-mean-lr1e3 gru-bi-mean)
printf '%-16s %5s %8s %8s %8s %8s %8s %8s %7s\n' name best val_acc val_f1 test_acc test_f1 auc seconds seq/s
for n in "${names[@]}"; do
	# shellcheck disable=SC2086
	"$BIN/train" --data "$data" --model "$out/$n.h5" --log "$out/$n.log" --summary "$out/$n.json" \
		--no-checkpoint --progress none --quiet --epochs 6 --threads "${THREADS:-1}" ${cfg[$n]} >&2
	"$BIN/evaluate" --model "$out/$n.h5" --data "$data" --metrics "$out/$n.test.json" \
		--predictions '' --quiet --threads "${THREADS:-1}"
	/usr/bin/python3 - "$out/$n" "$n" <<'PY'
import json, sys
p, n = sys.argv[1], sys.argv[2]
s = json.load(open(p + ".json")); t = json.load(open(p + ".test.json"))
log = [json.loads(l) for l in open(p + ".log")]
b = log[s["best_epoch"] - 1]
print(f"{n:<16} {s['best_epoch']:5d} {b['val_accuracy']:8.4f} {b['val_macro_f1']:8.4f} "
      f"{t['accuracy']:8.4f} {t['macro_f1']:8.4f} {t['roc_auc']:8.4f} {s['seconds']:8.1f} "
      f"{s['seq_per_s']:7.1f}")
PY
done
