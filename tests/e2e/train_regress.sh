#!/usr/bin/env bash
# train --task regress and evaluate --task regress on a synthetic series
# (ts-prepare, docs/timeseries.md): the model beats the naive forecast on
# the test period, the model file carries the normalisation and window,
# 1 epoch + resume to 4 gives the weights of 4 epochs, a classifier
# dataset or a regression model in the wrong place fails clearly.
set -euo pipefail
BIN=${BUILD:-build}/bin
[ -x "$BIN/ts-prepare" ] || { echo "SKIP: no ts-prepare (the time-series stages are not merged)"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-regress-XXXXXX)
fail() { echo "FAIL: $*"; exit 1; }
"$BIN/ts-prepare" --synthetic 800 --season 48 --window 24 --out "$tmp/ts.h5" --quiet
train() { "$BIN/train" --task regress --data "$tmp/ts.h5" --hidden 24 --lr 0.005 --batch 32 \
	--progress none --quiet "$@"; }
train --epochs 4 --model "$tmp/m.h5" --log "$tmp/log.jsonl" --summary "$tmp/train.json" \
	--checkpoint "$tmp/ck.h5"
[ "$(wc -l <"$tmp/log.jsonl")" -eq 4 ] || fail "log: not 4 lines"
grep -q '"accuracy": null' "$tmp/log.jsonl" || fail "log: accuracy should be null"
grep -q '"task": "regress"' "$tmp/train.json" || fail "train.json task"
grep -q '"window": 24' "$tmp/train.json" || fail "train.json window"
# a forecast reads the end of its window: --pool last unless one is given
grep -q '"pooling": "last"' "$tmp/train.json" || fail "train.json pooling: not last"
train --epochs 1 --pool mean --model "$tmp/pm.h5" --log "$tmp/pm.jsonl" --summary "$tmp/pm.json" \
	--no-checkpoint
grep -q '"pooling": "mean"' "$tmp/pm.json" || fail "train --task regress --pool mean: not mean"
h5dump -A "$tmp/m.h5" >"$tmp/attrs.txt"
for a in norm_mean norm_std window horizon source; do
	grep -q "ATTRIBUTE \"$a\"" "$tmp/attrs.txt" || fail "model lacks attribute $a"
done
h5dump -H "$tmp/m.h5" | grep -q 'DATASET "embedding.weight"' && fail "a regression model has an embedding"
h5dump -H "$tmp/m.h5" | grep -q 'DATASET "rnn.weight_ih_l0"' || fail "no rnn.weight_ih_l0"

"$BIN/evaluate" --task regress --model "$tmp/m.h5" --data "$tmp/ts.h5" --metrics "$tmp/metrics.json" --quiet
for k in '"rmse"' '"mae"' '"naive_rmse"' '"naive_mae"' '"loss"'; do
	grep -q "$k" "$tmp/metrics.json" || fail "metrics.json lacks $k"
done
rmse=$(sed -n 's/^ *"rmse": \([0-9.e-]*\),*$/\1/p' "$tmp/metrics.json" | head -1)
naive=$(sed -n 's/^ *"naive_rmse": \([0-9.e-]*\),*$/\1/p' "$tmp/metrics.json" | head -1)
echo "test rmse $rmse, naive $naive"
awk -v a="$rmse" -v b="$naive" 'BEGIN { exit !(a > 0 && a < b) }' || fail "not better than naive"

# 1 epoch, then resume to 4: the same weights
train --epochs 1 --model "$tmp/r.h5" --log "$tmp/r.jsonl" --summary "$tmp/r.json" --checkpoint "$tmp/rck.h5"
train --epochs 4 --model "$tmp/r.h5" --log "$tmp/r.jsonl" --summary "$tmp/r.json" --checkpoint "$tmp/rck.h5" --resume
h5diff "$tmp/m.h5" "$tmp/r.h5" >/dev/null || fail "resumed regression weights differ"

# wrong combinations fail with a message
rc=0; "$BIN/evaluate" --model "$tmp/m.h5" --data "$tmp/ts.h5" 2>"$tmp/e1" || rc=$?
[ $rc -eq 1 ] && grep -q "evaluate --task regress" "$tmp/e1" || fail "classify evaluate of a regression model"
# evaluate --task regress with the options after want: bad usage (exit 2)
# saying want, no metrics written
regress_usage() {
	local want=$1 rc=0
	shift
	"$BIN/evaluate" --task regress --model "$tmp/m.h5" --data "$tmp/ts.h5" \
		--metrics "$tmp/u-m.json" --quiet "$@" 2>"$tmp/e3" || rc=$?
	[ $rc -eq 2 ] && grep -q -- "$want" "$tmp/e3" && [ ! -e "$tmp/u-m.json" ] ||
		fail "evaluate --task regress $*: exit $rc, $(cat "$tmp/e3")"
}
# --predictions and --logits are a classifier's outputs: with --task
# regress they were silently ignored (exit 0, no file); now bad usage
regress_usage "error: --predictions does not apply to --task regress" --predictions "$tmp/p.tsv"
regress_usage "error: --logits does not apply to --task regress" --logits
# --predictions '' (no predictions file) is what regress does: accepted
"$BIN/evaluate" --task regress --model "$tmp/m.h5" --data "$tmp/ts.h5" --metrics "$tmp/e-m.json" \
	--predictions '' --quiet || fail "evaluate --task regress --predictions '': exit $?"
# --task regress scores the test split of the time-series dataset: another
# split or a dump is bad usage (exit 2, nothing written); --season is a
# regression option, --season 0 included
regress_usage "--task regress evaluates the test split" --split validation
regress_usage "--task regress evaluates the test split" --dump "$tmp/x.jsonl"
rc=0
"$BIN/evaluate" --model "$tmp/m.h5" --data "$tmp/ts.h5" --metrics "$tmp/u-m.json" --season 0 \
	--quiet 2>"$tmp/e4" || rc=$?
[ $rc -eq 2 ] && grep -q -- "--season goes with --task regress" "$tmp/e4" ||
	fail "evaluate --season 0 without --task regress: exit $rc, $(cat "$tmp/e4")"
# a failed regression evaluation exits 1 without metrics
rc=0
"$BIN/evaluate" --task regress --model "$tmp/m.h5" --data "$tmp/missing.h5" \
	--metrics "$tmp/u-m.json" --quiet 2>"$tmp/e4" || rc=$?
[ $rc -eq 1 ] && [ ! -e "$tmp/u-m.json" ] ||
	fail "evaluate --task regress on a missing dataset: exit $rc, $(cat "$tmp/e4")"
rc=0; train --epochs 1 --task classify --model "$tmp/x.h5" --no-checkpoint 2>"$tmp/e2" || rc=$?
[ $rc -eq 1 ] && grep -q "ts.h5" "$tmp/e2" || fail "classify training on a time-series file"
rm -rf "$tmp"
echo ok
