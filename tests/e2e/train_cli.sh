#!/usr/bin/env bash
# train, evaluate and predict end to end on the project's demo dump:
# learn-vocab -> tokenize -> filter-relabel -> split -> pack-hdf5 -> train
# (2 epochs) -> evaluate (metrics.json keys, predictions.tsv rows, --dump)
# -> predict (output shape, --jsonl).  Then, on the command line: a run
# killed after its first checkpoint and resumed ends with the same weights
# as an uninterrupted run; a huge learning rate exits 1 without a model;
# bad usage exits 2; --device cuda fails clearly without a device.
set -euo pipefail
BIN=${BUILD:-build}/bin
TOP=${RNNPIPE_TOP:-$PWD}
DEMO=$TOP/data/demo/reviews-2026-10.jsonl
[ -f "$DEMO" ] || { echo "SKIP: $DEMO not found"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-train-XXXXXX)
A=$tmp/artifacts
fail() { echo "FAIL: $*"; exit 1; }
has() { grep -q -- "$2" "$1" || fail "$1 lacks $2"; }

"$BIN/learn-vocab" --quiet --size 1500 --output "$A/vocab.txt" "$DEMO"
"$BIN/tokenize" --quiet --vocab "$A/vocab.txt" --max-len 64 --output "$A/tok/reviews.tok" "$DEMO"
"$BIN/filter-relabel" --quiet --output "$A/merged.tok" "$A/tok/reviews.tok"
"$BIN/split" --quiet --train "$A/split/train.tok" --validation "$A/split/validation.tok" \
	--test "$A/split/test.tok" "$A/merged.tok"
"$BIN/pack-hdf5" --quiet --out "$A/dataset.h5" --chunk-rows 32 "$A"/split/{train,validation,test}.tok

train() { "$BIN/train" --data "$A/dataset.h5" --vocab "$A/vocab.txt" --embed 16 --hidden 16 \
	--batch 16 --lr 0.01 --pool mean --progress lines "$@"; }
train --epochs 2 --model "$A/model.h5" --log "$A/train-log.jsonl" --summary "$A/train.json" \
	--checkpoint "$A/checkpoint.h5" --resume 2>"$tmp/train.err"
cat "$tmp/train.err"
[ "$(wc -l <"$A/train-log.jsonl")" -eq 2 ] || fail "train-log.jsonl: not 2 lines"
for k in '"epoch": 2' '"val_loss"' '"val_accuracy"' '"val_macro_f1"' '"seq_per_s"' '"lr"'; do
	has "$A/train-log.jsonl" "$k"
done
for k in '"config"' '"epochs_run": 2' '"best_epoch"' '"stopped": "epochs"' '"seq_per_s"' \
	'"train_examples"' '"validation_examples"' '"labels"'; do
	has "$A/train.json" "$k"
done
# plain progress lines: no control characters, timestamps
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f]' "$tmp/train.err"; then fail "control characters in log"; fi
grep -qE '^train: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} epoch 1/2: loss' "$tmp/train.err" ||
	fail "no timestamped epoch line"

# evaluate the test split
"$BIN/evaluate" --model "$A/model.h5" --data "$A/dataset.h5" --metrics "$A/metrics.json" \
	--predictions "$A/predictions.tsv"
for k in '"split": "test"' '"n":' '"accuracy"' '"macro_f1"' '"confusion_matrix"' '"per_class"' \
	'"roc_auc"' '"roc"' '"loss"' '"labels"' '"precision"' '"recall"' '"f1"' '"support"'; do
	has "$A/metrics.json" "$k"
done
n=$(sed -n 's/.*"n": \([0-9]*\).*/\1/p' "$A/metrics.json" | head -1)
[ "$n" -gt 0 ] || fail "metrics.json: n = $n"
[ "$(wc -l <"$A/predictions.tsv")" -eq $((n + 1)) ] || fail "predictions.tsv: not n + 1 lines"
head -1 "$A/predictions.tsv" | grep -qP '^hash\tlabel\tpredicted\tprob_negative\tprob_positive$' ||
	fail "predictions.tsv header"
sed -n 2p "$A/predictions.tsv" | grep -qP '^[0-9a-f]{16}\t(negative|positive)\t(negative|positive)\t0\.[0-9]{4}\t[01]\.[0-9]{4}$' ||
	fail "predictions.tsv row: $(sed -n 2p "$A/predictions.tsv")"
# the same reviews straight from the dump: every labelled review (train too)
"$BIN/evaluate" --model "$A/model.h5" --dump "$DEMO" --metrics "$tmp/dump.json" \
	--predictions "$tmp/dump.tsv"
has "$tmp/dump.json" '"n": 300'
has "$tmp/dump.json" '"dropped": 66'
[ "$(wc -l <"$tmp/dump.tsv")" -eq 301 ] || fail "dump predictions: not 301 lines"
# test-split rows of the dump run agree with the dataset run
join -t $'\t' <(tail -n +2 "$A/predictions.tsv" | sort) <(tail -n +2 "$tmp/dump.tsv" | sort) |
	awk -F'\t' '$4 != $8 || $5 != $9 { bad++ } END { exit bad > 0 }' ||
	fail "the dump run and the dataset run give other probabilities"
# each row's predicted class is the one of its highest probability column,
# and the rows score the accuracy of metrics.json
acc=$(sed -n 's/^  "accuracy": \([0-9.e-]*\),$/\1/p' "$A/metrics.json")
[ -n "$acc" ] || fail "metrics.json: no top-level accuracy"
tail -n +2 "$A/predictions.tsv" | awk -F'\t' -v acc="$acc" '
	$4 > $5 && $3 != "negative" { print "FAIL: predicted " $3 " with prob_negative " $4 " > prob_positive " $5; bad++ }
	$5 > $4 && $3 != "positive" { print "FAIL: predicted " $3 " with prob_positive " $5 " > prob_negative " $4; bad++ }
	{ n++; right += $2 == $3 }
	END { d = right / n - acc; if (d < 0) d = -d
	      if (d > 1e-9) { print "FAIL: predictions.tsv scores " right "/" n ", metrics.json accuracy " acc; bad++ }
	      exit bad > 0 }' || fail "predictions.tsv and metrics.json disagree"
# --dump: a label the map drops and a label it does not know are counted
# apart, and neither is scored
{ sed -n '/"label": 0/{p;q}' "$DEMO"; sed -n '/"label": 2/{p;q}' "$DEMO"
  grep -m2 '"label": 1' "$DEMO"
  sed -n '/"label": 2/{s/"label": 2/"label": 7/;s/"label_text": "positive"/"label_text": "superb"/;p;q}' "$DEMO"; } >"$tmp/odd.jsonl"
"$BIN/evaluate" --model "$A/model.h5" --dump "$tmp/odd.jsonl" --metrics "$tmp/odd.json" \
	--predictions '' --quiet 2>"$tmp/odd.err"
for k in '"n": 2' '"dropped": 2' '"unknown_labels": 1'; do has "$tmp/odd.json" "$k"; done
grep -q "odd.jsonl:5: unknown label 'superb'" "$tmp/odd.err" || fail "unknown label: $(cat "$tmp/odd.err")"
# the dump's loss is the cross-entropy of its logits, also for a model so
# sure and so wrong that the float probability of the true class is 0 (it
# was -log of that probability floored at 1e-30: at most 69 a review)
train --epochs 1 --lr 1e9 --model "$tmp/sure.h5" --log "$tmp/sure.log" --summary "$tmp/sure.json" \
	--no-checkpoint --quiet
"$BIN/evaluate" --model "$tmp/sure.h5" --dump "$DEMO" --metrics "$tmp/sure-m.json" \
	--predictions "$tmp/sure.tsv" --logits --quiet
loss=$(sed -n 's/^  "loss": \(.*\),$/\1/p' "$tmp/sure-m.json")
awk -F'\t' -v loss="$loss" 'NR > 1 {
		y = $2 == "negative" ? $6 : $7; mx = $6 > $7 ? $6 : $7
		s += mx + log(exp($6 - mx) + exp($7 - mx)) - y; n++
		if (mx - y > 100) far++
	}
	END {
		if (!far) { print "FAIL: no review with a logit gap over 100: the check means nothing"; exit 1 }
		d = s / n - loss; if (d < 0) d = -d
		if (d > 1e-6 * s / n) { printf "FAIL: --dump loss %s, cross-entropy of its logits %.10g\n", loss, s / n; exit 1 }
	}' "$tmp/sure.tsv" || exit 1

# a dataset without test reviews (split --fractions 90/10/0): evaluate
# refuses it (exit 1, no metrics) instead of scoring nothing as accuracy 0
"$BIN/split" --quiet --fractions 90/10/0 --train "$tmp/e0/train.tok" \
	--validation "$tmp/e0/validation.tok" --test "$tmp/e0/test.tok" "$A/merged.tok"
"$BIN/pack-hdf5" --quiet --out "$tmp/e0/dataset.h5" "$tmp"/e0/{train,validation,test}.tok
rc=0
"$BIN/evaluate" --model "$A/model.h5" --data "$tmp/e0/dataset.h5" --metrics "$tmp/e0/metrics.json" \
	--predictions "$tmp/e0/predictions.tsv" 2>"$tmp/e0.err" || rc=$?
[ $rc -eq 1 ] || fail "evaluate on an empty test split: exit $rc"
grep -q "split 'test' has no reviews" "$tmp/e0.err" || fail "empty split message: $(cat "$tmp/e0.err")"
[ ! -e "$tmp/e0/metrics.json" ] && [ ! -e "$tmp/e0/predictions.tsv" ] ||
	fail "evaluate on an empty split wrote its outputs"
ls "$tmp/e0" | grep -q '\.tmp\.' && fail "evaluate on an empty split left a temporary file"
# a dataset without validation reviews (split --fractions 90/0/10): each
# epoch's line says so (it printed "val loss nan acc nan macro-F1 nan"),
# and train-log.jsonl has null where there is no value
"$BIN/split" --quiet --fractions 90/0/10 --train "$tmp/nv/train.tok" \
	--validation "$tmp/nv/validation.tok" --test "$tmp/nv/test.tok" "$A/merged.tok"
"$BIN/pack-hdf5" --quiet --out "$tmp/nv/dataset.h5" "$tmp"/nv/{train,validation,test}.tok
train --data "$tmp/nv/dataset.h5" --epochs 1 --model "$tmp/nv/model.h5" --log "$tmp/nv/log.jsonl" \
	--summary "$tmp/nv/train.json" --no-checkpoint 2>"$tmp/nv.err"
grep -qE '^train: [0-9-]{10} [0-9:]{8} epoch 1/1: loss [0-9.]+ acc [0-9.]+ \| no validation split \| ' \
	"$tmp/nv.err" && ! grep -qiw 'nan' "$tmp/nv.err" ||
	fail "train without a validation split: $(cat "$tmp/nv.err")"
for k in '"val_loss": null' '"val_accuracy": null' '"val_macro_f1": null'; do
	has "$tmp/nv/log.jsonl" "$k"
done
grep -qiw 'nan' "$tmp/nv/log.jsonl" "$tmp/nv/train.json" && fail "NaN in the log of a run without validation"
# metrics that cannot be written: an empty name is bad usage before any
# work; a path that cannot be created fails before the split is scored.
# Either way no predictions.tsv without its metrics.json (both were
# written: the predictions first, then the metrics failed, exit 1)
rc=0
"$BIN/evaluate" --model "$A/model.h5" --data "$A/dataset.h5" --metrics '' \
	--predictions "$tmp/e0/p.tsv" 2>"$tmp/e0.err" || rc=$?
[ $rc -eq 2 ] && grep -q -- "--metrics: empty file name" "$tmp/e0.err" ||
	fail "evaluate --metrics '': exit $rc, $(cat "$tmp/e0.err")"
: >"$tmp/e0/file"
rc=0
"$BIN/evaluate" --model "$A/model.h5" --data "$A/dataset.h5" --metrics "$tmp/e0/file/m.json" \
	--predictions "$tmp/e0/p.tsv" 2>"$tmp/e0.err" || rc=$?
[ $rc -eq 1 ] && grep -q "cannot create '$tmp/e0/file/m.json'" "$tmp/e0.err" ||
	fail "evaluate --metrics under a file: exit $rc, $(cat "$tmp/e0.err")"
grep -q "accuracy" "$tmp/e0.err" && fail "evaluate --metrics under a file: scored the split first"
[ ! -e "$tmp/e0/p.tsv" ] || fail "evaluate wrote predictions without metrics"
ls "$tmp/e0" | grep -q '\.tmp\.' && fail "evaluate with unwritable metrics left a temporary file"

# predict: label and probability; --jsonl; the embedded vocabulary
out=$("$BIN/predict" --model "$A/model.h5" "Фильм отстой. Не советую смотреть.")
echo "predict: $out"
[[ $out =~ ^(negative|positive)\ (0\.[5-9][0-9]{3}|1\.0000)$ ]] || fail "predict printed '$out'"
printf 'Отличный фильм, рекомендую!\n{"text": "Скучно и глупо."}\n\n' |
	"$BIN/predict" --model "$A/model.h5" --jsonl >"$tmp/p.jsonl"
[ "$(wc -l <"$tmp/p.jsonl")" -eq 3 ] || fail "predict --jsonl: not 3 lines"
while read -r l; do
	[[ $l =~ ^\{\"label\":\ \"(negative|positive)\",\ \"prob\":\ [0-9.e-]+,\ \"probs\":\ \[[0-9.e-]+,\ [0-9.e-]+\]\}$ ]] ||
		fail "predict --jsonl line: $l"
done <"$tmp/p.jsonl"
# "prob" is the probability of the printed label, the largest of "probs";
# a review under "review" or "comment_text" is read as under "text"
printf '{"review": "Скучно и глупо."}\n{"comment_text": "Отличный фильм!"}\n' |
	"$BIN/predict" --model "$A/model.h5" --jsonl >>"$tmp/p.jsonl" || fail "predict: review, comment_text fields"
sed 's/[][{}",:]/ /g' "$tmp/p.jsonl" | awk '
	$1 != "label" || $3 != "prob" || $5 != "probs" { print "FAIL: predict --jsonl line: " $0; bad++; next }
	{ k = $2 == "negative" ? $6 : $7; o = $2 == "negative" ? $7 : $6
	  if ($4 != k || k + 0 < o + 0) { print "FAIL: predict --jsonl: label " $2 ", prob " $4 ", probs " $6 " " $7; bad++ } }
	END { exit bad > 0 || NR != 5 }' || fail "predict --jsonl: prob is not that of the label"
# reviews from stdin in batches (--batch 2, 5 reviews: the last batch
# short) get the answers they get one at a time
reviews=("Отличный фильм, рекомендую!" "Скучно и глупо." "Хорошо" "Плохо, ужасная игра актёров" "Фильм отстой. Не советую смотреть.")
printf '%s\n' "${reviews[@]}" | "$BIN/predict" --model "$A/model.h5" --batch 2 >"$tmp/pb.txt"
for r in "${reviews[@]}"; do "$BIN/predict" --model "$A/model.h5" "$r"; done >"$tmp/p1.txt"
cmp -s "$tmp/pb.txt" "$tmp/p1.txt" || fail "predict --batch 2: $(paste "$tmp/pb.txt" "$tmp/p1.txt")"
[ "$(sort -u "$tmp/p1.txt" | wc -l)" -gt 2 ] || fail "predict: the test reviews got too few distinct answers: $(cat "$tmp/p1.txt")"
# an unreadable line keeps its place and fails the run
rc=0
printf 'Хорошо\n\xff\xfe\nПлохо\n' | "$BIN/predict" --model "$A/model.h5" >"$tmp/p.txt" 2>"$tmp/p.err" || rc=$?
[ $rc -eq 1 ] || fail "predict with a bad line: exit $rc"
[ "$(sed -n 2p "$tmp/p.txt")" = "error line 2" ] && [ "$(wc -l <"$tmp/p.txt")" -eq 3 ] ||
	fail "predict with a bad line printed: $(cat "$tmp/p.txt")"
# the reason is the one line, in file:line form (it was "predict: error:
# invalid UTF-8 ..." on a line of its own, then "<stdin>:2: cannot
# classify this review"); JSON that is not valid UTF-8 is read as text
[ "$(cat "$tmp/p.err")" = '<stdin>:2: invalid UTF-8 at byte 1 of the line' ] ||
	fail "predict with a bad line said: $(cat "$tmp/p.err")"
rc=0
printf '{"text": "Хорошо \xff"}\n' | "$BIN/predict" --model "$A/model.h5" --jsonl >"$tmp/p.txt" \
	2>"$tmp/p.err" || rc=$?
[ $rc -eq 1 ] && [ "$(cat "$tmp/p.txt")" = '{"label": null, "error": "line 1"}' ] &&
	[ "$(cat "$tmp/p.err")" = '<stdin>:1: invalid UTF-8 at byte 24 of the line' ] ||
	fail "predict --jsonl with a bad line: exit $rc, $(cat "$tmp/p.txt" "$tmp/p.err")"
# JSON lines whose review is under another name (or not a string) hold no
# review: each is a failed line in its place, not its JSON source classified
rc=0
printf '{"content": "Хорошо"}\n{"text": "Плохо"}\n{"text": null}\n' |
	"$BIN/predict" --model "$A/model.h5" --jsonl >"$tmp/p.txt" 2>"$tmp/p.err" || rc=$?
[ $rc -eq 1 ] || fail "predict with a JSON object without text: exit $rc"
[ "$(wc -l <"$tmp/p.txt")" -eq 3 ] && [ "$(sed -n 1p "$tmp/p.txt")" = '{"label": null, "error": "line 1"}' ] &&
	[ "$(sed -n 3p "$tmp/p.txt")" = '{"label": null, "error": "line 3"}' ] &&
	sed -n 2p "$tmp/p.txt" | grep -q '^{"label": "' || fail "predict, JSON without text: $(cat "$tmp/p.txt")"
grep -q "<stdin>:1: a JSON object without a string field 'text'" "$tmp/p.err" &&
	grep -q '<stdin>:3:' "$tmp/p.err" || fail "predict, JSON without text: $(cat "$tmp/p.err")"
# a vocabulary of another hash is refused
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n' >"$tmp/other.txt"
rc=0
"$BIN/predict" --model "$A/model.h5" --vocab "$tmp/other.txt" "x" 2>"$tmp/err" || rc=$?
[ $rc -eq 1 ] && grep -q "is not the vocabulary of the model '$A/model.h5'" "$tmp/err" || fail "foreign vocabulary accepted"
# --logits without --jsonl: plain lines have no room for the logits; it
# was silently ignored, now it is bad usage
rc=0
"$BIN/predict" --model "$A/model.h5" --logits "x" >"$tmp/p.txt" 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q -- "--logits goes with --jsonl" "$tmp/err" && [ ! -s "$tmp/p.txt" ] ||
	fail "predict --logits without --jsonl: exit $rc, $(cat "$tmp/p.txt" "$tmp/err")"
"$BIN/predict" --model "$A/model.h5" --jsonl --logits "x" | grep -q '"logits": \[' ||
	fail "predict --jsonl --logits: no logits"

# kill after the first checkpoint, resume: the weights of an uninterrupted run
train --epochs 4 --model "$tmp/full.h5" --log "$tmp/full.log" --summary "$tmp/full.json" \
	--checkpoint "$tmp/full.ckpt.h5" --quiet
# exec: $! must be the train process itself, not a subshell running the
# function (killing that would leave train running, racing the resume)
(exec "$BIN/train" --data "$A/dataset.h5" --vocab "$A/vocab.txt" --embed 16 --hidden 16 \
	--batch 16 --lr 0.01 --pool mean --progress lines --epochs 4 --model "$tmp/killed.h5" \
	--log "$tmp/killed.log" --summary "$tmp/killed.json" --checkpoint "$tmp/killed.ckpt.h5" \
	--quiet --progress-interval 0.1 2>"$tmp/killed.err") &
pid=$!
for _ in $(seq 1 200); do [ -e "$tmp/killed.ckpt.h5" ] && break; sleep 0.05; done
kill -TERM $pid 2>/dev/null || true
wait $pid || true
[ -e "$tmp/killed.ckpt.h5" ] || fail "no checkpoint before the kill"
ls "$tmp" | grep -q '\.tmp\.' && fail "a killed run left a temporary file"
train --epochs 4 --model "$tmp/killed.h5" --log "$tmp/killed.log" --summary "$tmp/killed.json" \
	--checkpoint "$tmp/killed.ckpt.h5" --resume 2>"$tmp/resume.err"
cat "$tmp/resume.err"
grep -q "resuming from" "$tmp/resume.err" || echo "note: the run finished before the kill"
h5diff "$tmp/full.h5" "$tmp/killed.h5" >/dev/null || fail "resumed weights differ"
[ "$(wc -l <"$tmp/killed.log")" -eq "$(wc -l <"$tmp/full.log")" ] || fail "resumed log: not the full run's epochs"
cmp <(sed 's/"seconds".*//' "$tmp/full.log") <(sed 's/"seconds".*//' "$tmp/killed.log") ||
	fail "resumed log: other losses than the full run's"

# resuming under a smaller --patience (make PATIENCE=1 after a PATIENCE=0
# run): a checkpoint that went on past where this patience stops is not
# continued; the result is that of a fresh run with this patience
train --epochs 8 --patience 0 --model "$tmp/p0.h5" --log "$tmp/p0.log" --summary "$tmp/p0.json" \
	--checkpoint "$tmp/p.ckpt.h5" --quiet
train --epochs 8 --patience 1 --model "$tmp/p1.h5" --log "$tmp/p1.log" --summary "$tmp/p1.json" \
	--checkpoint "$tmp/p1.ckpt.h5" --quiet
[ "$(wc -l <"$tmp/p1.log")" -lt 8 ] || fail "--patience 1 did not stop early here: the check below means nothing"
train --epochs 8 --patience 1 --model "$tmp/pr.h5" --log "$tmp/pr.log" --summary "$tmp/pr.json" \
	--checkpoint "$tmp/p.ckpt.h5" --resume 2>"$tmp/pr.err"
grep -q -- "--patience 1 stops after epoch" "$tmp/pr.err" || { cat "$tmp/pr.err"; fail "no note on the patience"; }
cmp <(sed 's/"seconds".*//' "$tmp/p1.log") <(sed 's/"seconds".*//' "$tmp/pr.log") ||
	fail "resumed under --patience 1: not the log of a fresh --patience 1 run"
h5diff "$tmp/p1.h5" "$tmp/pr.h5" >/dev/null || fail "resumed under --patience 1: other weights"

# the NaN guard: exit 1, a clear message, no model
rc=0
train --epochs 2 --lr 1e38 --model "$tmp/nan.h5" --summary "$tmp/nan.json" --no-checkpoint \
	--log "$tmp/nan.log" 2>"$tmp/nan.err" || rc=$?
cat "$tmp/nan.err"
[ $rc -eq 1 ] || fail "huge lr: exit $rc"
grep -q "non-finite" "$tmp/nan.err" || fail "no NaN message"
[ ! -e "$tmp/nan.h5" ] || fail "a diverged run wrote a model"
has "$tmp/nan.json" '"stopped": "nan"'

# usage errors and the device switch
rc=0; "$BIN/train" --cell transformer 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "--cell transformer: exit $rc"
# --vocab with --task regress is bad usage (exit 2), found before the
# dataset is read (it was exit 1, as a failure)
rc=0
"$BIN/train" --task regress --vocab "$A/vocab.txt" --data "$tmp/no-ts.h5" --model "$tmp/k.h5" \
	2>"$tmp/usage.err" || rc=$?
[ $rc -eq 2 ] && grep -q -- "--vocab does not apply to --task regress" "$tmp/usage.err" ||
	fail "train --task regress --vocab: exit $rc, $(cat "$tmp/usage.err")"
# an empty path (an unset variable) is bad usage before any training, not
# a failed rename after the last epoch
for opt in model log summary checkpoint vocab data; do
	rc=0
	train --epochs 1 --model "$tmp/e.h5" --log "$tmp/e.log" --summary "$tmp/e.json" \
		--checkpoint "$tmp/e.ckpt.h5" --"$opt" '' 2>"$tmp/empty.err" || rc=$?
	[ $rc -eq 2 ] && grep -q -- "--$opt: empty file name" "$tmp/empty.err" ||
		fail "--$opt '': exit $rc, $(cat "$tmp/empty.err")"
	[ ! -e "$tmp/e.log" ] || fail "--$opt '': trained anyway"
done
# --sparse-embedding and --dense-embedding together are bad usage
rc=0
train --epochs 1 --model "$tmp/e.h5" --log "$tmp/e.log" --summary "$tmp/e.json" --no-checkpoint \
	--sparse-embedding --dense-embedding 2>"$tmp/usage.err" || rc=$?
[ $rc -eq 2 ] && grep -q -- "--sparse-embedding and --dense-embedding exclude each other" \
	"$tmp/usage.err" && [ ! -e "$tmp/e.log" ] ||
	fail "--sparse-embedding --dense-embedding: exit $rc, $(cat "$tmp/usage.err")"
# every option reaches the run (train.json's config says what was run),
# and --no-checkpoint writes none, not even where --checkpoint points
mkdir "$tmp/o"
train --epochs 1 --cell lstm --bidirectional --optimizer adamw --weight-decay 0.25 --clip 0.5 \
	--seed 7 --patience 0 --threads 0 --dense-embedding --model "$tmp/o/m.h5" \
	--log "$tmp/o/log.jsonl" --summary "$tmp/o/train.json" --checkpoint "$tmp/o/ck.h5" \
	--no-checkpoint --quiet
for k in '"cell": "lstm"' '"bidirectional": true' '"optimizer": "adamw"' '"weight_decay": 0.25' \
	'"clip": 0.5' '"seed": 7' '"patience": 0' '"sparse_embedding": false' \
	"\"threads\": $(getconf _NPROCESSORS_ONLN)"; do
	has "$tmp/o/train.json" "$k"
done
[ ! -e "$tmp/o/ck.h5" ] || fail "--no-checkpoint wrote the checkpoint"
# --preset notebook: the notebook's values where no option is given
# (--cell as a separate word, --pool=X as one), the options where one is
"$BIN/train" --data "$A/dataset.h5" --vocab "$A/vocab.txt" --preset notebook --epochs 1 \
	--cell gru --pool=max --model "$tmp/o/nb.h5" --log "$tmp/o/nb.jsonl" \
	--summary "$tmp/o/nb.json" --no-checkpoint --progress none --quiet
for k in '"preset": "notebook"' '"cell": "gru"' '"pooling": "max"' '"epochs": 1' '"embed": 256' \
	'"hidden": 128' '"layers": 1' '"batch": 32' '"lr": 0.001'; do
	has "$tmp/o/nb.json" "$k"
done
# a rebuilt trainer (here: the binary with one byte more) does not resume
# the old one's checkpoint: the run starts over
cp "$BIN/train" "$tmp/o/train2"
printf x >>"$tmp/o/train2"
train --epochs 1 --model "$tmp/o/rb.h5" --log "$tmp/o/rb.jsonl" --summary "$tmp/o/rb.json" \
	--checkpoint "$tmp/o/rb.ckpt.h5" --quiet
"$tmp/o/train2" --data "$A/dataset.h5" --vocab "$A/vocab.txt" --embed 16 --hidden 16 --batch 16 \
	--lr 0.01 --pool mean --progress none --epochs 2 --model "$tmp/o/rb.h5" \
	--log "$tmp/o/rb.jsonl" --summary "$tmp/o/rb.json" --checkpoint "$tmp/o/rb.ckpt.h5" \
	--resume 2>"$tmp/o/rb.err"
grep -q "checkpoint '$tmp/o/rb.ckpt.h5' is of another run (program=" "$tmp/o/rb.err" &&
	has "$tmp/o/rb.json" '"resumed_from_epoch": null' ||
	fail "a rebuilt train resumed the old one's run: $(cat "$tmp/o/rb.err")"
# (without a device; tests/e2e/device_cli.sh has the details)
if ! grep -q '"device": "cuda"' "$A/train.json"; then
	rc=0; "$BIN/train" --data "$A/dataset.h5" --device cuda 2>"$tmp/cuda.err" || rc=$?
	[ $rc -eq 1 ] && grep -q -- "--device cuda: " "$tmp/cuda.err" || fail "--device cuda: exit $rc"
fi
# a dataset of the other kind: the message names the --task to give (it
# said "re-run 'make ...'", which rebuilds the same file)
"$BIN/ts-prepare" --quiet --synthetic 200 --window 8 --out "$tmp/ts.h5"
rc=0
train --epochs 1 --data "$tmp/ts.h5" --model "$tmp/k.h5" --log "$tmp/k.log" \
	--summary "$tmp/k.json" --checkpoint "$tmp/k.ckpt.h5" 2>"$tmp/kind.err" || rc=$?
[ $rc -eq 1 ] && grep -qF "'$tmp/ts.h5' is a time-series dataset (ts-prepare's), not a review dataset; train and evaluate read it with --task regress" "$tmp/kind.err" ||
	fail "train on a time-series dataset: exit $rc, $(cat "$tmp/kind.err")"
grep -q "re-run 'make" "$tmp/kind.err" && fail "train on a time-series dataset: says re-run make"
rc=0
"$BIN/evaluate" --model "$A/model.h5" --data "$tmp/ts.h5" --metrics "$tmp/k-m.json" \
	--predictions "$tmp/k-p.tsv" 2>"$tmp/kind.err" || rc=$?
[ $rc -eq 1 ] && grep -qF "not a review dataset; train and evaluate read it with --task regress" "$tmp/kind.err" ||
	fail "evaluate on a time-series dataset: exit $rc, $(cat "$tmp/kind.err")"
rc=0
"$BIN/train" --task regress --epochs 1 --data "$A/dataset.h5" --model "$tmp/k.h5" \
	--log "$tmp/k.log" --summary "$tmp/k.json" --checkpoint "$tmp/k.ckpt.h5" 2>"$tmp/kind.err" || rc=$?
[ $rc -eq 1 ] && grep -qF "'$A/dataset.h5' is a review dataset (pack-hdf5's), not a time-series dataset; train and evaluate read it with --task classify" "$tmp/kind.err" ||
	fail "train --task regress on a review dataset: exit $rc, $(cat "$tmp/kind.err")"
# a dataset that is not there is missing, not damaged (it said "failed
# its integrity check", a false lead)
for cmd in "train --data" "train --task regress --data"; do
	rc=0
	# shellcheck disable=SC2086
	"$BIN"/$cmd "$tmp/missing.h5" --model "$tmp/k.h5" --log "$tmp/k.log" --summary "$tmp/k.json" \
		--checkpoint "$tmp/k.ckpt.h5" --quiet 2>"$tmp/miss.err" || rc=$?
	[ $rc -eq 1 ] && grep -qE "'$tmp/missing.h5'(: no such file| is missing); re-run" "$tmp/miss.err" &&
		! grep -q "integrity" "$tmp/miss.err" || fail "$cmd on a missing file: exit $rc, $(cat "$tmp/miss.err")"
done
rc=0
"$BIN/evaluate" --model "$A/model.h5" --data "$tmp/missing.h5" --metrics "$tmp/k-m.json" \
	--quiet 2>"$tmp/miss.err" || rc=$?
[ $rc -eq 1 ] && grep -q "'$tmp/missing.h5': no such file; re-run 'make " "$tmp/miss.err" &&
	! grep -q "integrity" "$tmp/miss.err" || fail "evaluate on a missing file: exit $rc, $(cat "$tmp/miss.err")"
# --dump '' is bad usage (an unset variable), and --data means nothing
# with --dump: '' there is accepted
rc=0
"$BIN/evaluate" --model "$A/model.h5" --dump '' --metrics "$tmp/k-m.json" --quiet \
	2>"$tmp/miss.err" || rc=$?
[ $rc -eq 2 ] && grep -q -- "--dump: empty file name" "$tmp/miss.err" ||
	fail "evaluate --dump '': exit $rc, $(cat "$tmp/miss.err")"
"$BIN/evaluate" --model "$A/model.h5" --dump "$tmp/odd.jsonl" --data '' --metrics "$tmp/k-m.json" \
	--predictions '' --quiet 2>/dev/null || fail "evaluate --dump with --data '': exit $?"
rc=0; "$BIN/evaluate" --split nonsense 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "evaluate --split nonsense: exit $rc"
# --vocab and --labels shape how a raw dump is read: without --dump they
# were silently ignored (the split scored as if they were not there); now
# they are bad usage, before any work
for opt in "--vocab $A/vocab.txt" "--labels 3class" "--labels binary"; do
	rc=0
	# shellcheck disable=SC2086
	"$BIN/evaluate" --model "$A/model.h5" --data "$A/dataset.h5" --metrics "$tmp/nd-m.json" \
		--predictions "$tmp/nd-p.tsv" --quiet $opt 2>"$tmp/nd.err" || rc=$?
	[ $rc -eq 2 ] && grep -q -- "error: ${opt%% *} goes with --dump" "$tmp/nd.err" &&
		[ ! -e "$tmp/nd-m.json" ] && [ ! -e "$tmp/nd-p.tsv" ] ||
		fail "evaluate $opt without --dump: exit $rc, $(cat "$tmp/nd.err")"
done
"$BIN/train" --help | grep -q -- "--preset" || fail "train --help"
# an output named as an input (a slip of the tab key) is refused before
# any work, and the input is left as it was: train --model DATASET wrote
# the model over the dataset and exited 0, evaluate --predictions MODEL
# replaced the model with the predictions
mkdir -p "$tmp/in"
cp "$A/dataset.h5" "$tmp/in/ds.h5"
cp "$A/vocab.txt" "$tmp/in/vocab.txt"
cp "$A/model.h5" "$tmp/in/model.h5"
in_rc() { # expected message, then the command
	local want=$1 rc=0
	shift
	"$@" 2>"$tmp/in.err" || rc=$?
	[ $rc -eq 1 ] && grep -qF "$want' is an input of this run; refusing to replace it" "$tmp/in.err" ||
		fail "$*: exit $rc, $(cat "$tmp/in.err")"
}
tin() { "$BIN/train" --data "$tmp/in/ds.h5" --vocab "$tmp/in/vocab.txt" --embed 8 --hidden 8 \
	--epochs 1 --progress none --quiet --checkpoint "$tmp/in/c.h5" "$@"; }
in_rc "$tmp/in/ds.h5" tin --model "$tmp/in/ds.h5" --log "$tmp/in/l" --summary "$tmp/in/s"
in_rc "$tmp/in/vocab.txt" tin --model "$tmp/in/m.h5" --log "$tmp/in/vocab.txt" --summary "$tmp/in/s"
in_rc "$tmp/in/ds.h5" tin --model "$tmp/in/m.h5" --log "$tmp/in/l" --summary "$tmp/in/s" \
	--checkpoint "$tmp/in/ds.h5"
[ ! -e "$tmp/in/c.h5" ] && [ ! -e "$tmp/in/l" ] || fail "train trained before refusing its outputs"
ein() { "$BIN/evaluate" --model "$tmp/in/model.h5" --quiet "$@"; }
in_rc "$tmp/in/model.h5" ein --data "$tmp/in/ds.h5" --metrics "$tmp/in/m.json" \
	--predictions "$tmp/in/model.h5"
in_rc "$tmp/in/ds.h5" ein --data "$tmp/in/ds.h5" --metrics "$tmp/in/ds.h5" --predictions ''
in_rc "$tmp/in/vocab.txt" ein --dump "$DEMO" --vocab "$tmp/in/vocab.txt" \
	--metrics "$tmp/in/vocab.txt" --predictions ''
cmp "$A/dataset.h5" "$tmp/in/ds.h5" && cmp "$A/vocab.txt" "$tmp/in/vocab.txt" &&
	cmp "$A/model.h5" "$tmp/in/model.h5" || fail "an input was replaced by an output"
ls "$tmp/in" | grep -q '\.tmp\.' && fail "a refused output left a temporary file"

# a model trained on reviews never truncated (--max-len 0: the dataset and
# the model record truncation "none") classifies text: predict and
# evaluate --dump refused it ("unknown truncation 'none'")
Z=$tmp/z
"$BIN/tokenize" --quiet --vocab "$A/vocab.txt" --max-len 0 --output "$Z/r.tok" "$DEMO"
"$BIN/filter-relabel" --quiet --output "$Z/merged.tok" "$Z/r.tok"
"$BIN/split" --quiet --train "$Z/train.tok" --validation "$Z/validation.tok" --test "$Z/test.tok" \
	"$Z/merged.tok"
"$BIN/pack-hdf5" --quiet --out "$Z/ds.h5" "$Z"/{train,validation,test}.tok
"$BIN/train" --data "$Z/ds.h5" --vocab "$A/vocab.txt" --embed 8 --hidden 8 --epochs 1 --quiet \
	--progress none --model "$Z/m.h5" --log "$Z/l.jsonl" --summary "$Z/s.json" --no-checkpoint
long=$(for i in $(seq 300); do printf 'Фильм отстой. '; done)
printf 'Фильм отстой.\n%s\n' "$long" | "$BIN/predict" --model "$Z/m.h5" >"$Z/p.txt" ||
	fail "predict on a model of untruncated data: $(cat "$Z/p.txt")"
[ "$(grep -cE '^(negative|positive|neutral)' "$Z/p.txt")" -eq 2 ] || fail "predict output: $(cat "$Z/p.txt")"
"$BIN/evaluate" --quiet --model "$Z/m.h5" --dump "$DEMO" --metrics "$Z/d.json" --predictions '' ||
	fail "evaluate --dump on a model of untruncated data"
rm -rf "$tmp"
echo ok
