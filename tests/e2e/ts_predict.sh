#!/usr/bin/env bash
# predict with a time-series model (docs/timeseries.md, "Predict the next
# value"): a small model trained on a CSV series (ts-prepare -> train
# --task regress -> evaluate --task regress); predict on the W values before
# test examples, given as arguments, on stdin and as a CSV, reproduces
# evaluate's forecasts (metrics.json, 12 significant digits); --steps N >
# horizon gives N values, the first K the direct forecast, the next ones
# what feeding the printed forecasts back by hand gives; too few values, a
# bad number (argument N / file:line), text, and a review model given
# numbers (arguments, --csv, a number line on stdin) are refused (exit 1);
# bad usage exits 2; make ts-predict prints the forecast past the series'
# end.
set -euo pipefail
BIN=${BUILD:-build}/bin
[ -x "$BIN/ts-prepare" ] || { echo "SKIP: no ts-prepare"; exit 77; }
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: no python3 to read metrics.json"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-tspredict-XXXXXX)
fail() { echo "FAIL: $*"; exit 1; }
expect() { # rc, message part, command... (stderr to $tmp/err)
	local want=$1 msg=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ $rc -eq "$want" ] || fail "$*: exit $rc, expected $want ($(cat "$tmp/err"))"
	[ -z "$msg" ] || grep -qF -- "$msg" "$tmp/err" || fail "$*: message lacks '$msg': $(cat "$tmp/err")"
}

# a seasonal series with a trend and fixed wiggles, 3 decimals, 360 steps
awk 'BEGIN { print "Step,Value"; for (t = 0; t < 360; t++)
	printf "%04d,%.3f\n", t, 50 + 0.1 * t + 10 * sin(2 * 3.14159265 * t / 12) + ((t * 37) % 11 - 5) * 0.3 }' \
	>"$tmp/s.csv"
W=12 K=2
"$BIN/ts-prepare" --quiet --csv "$tmp/s.csv" --window $W --horizon $K --season 12 --out "$tmp/ds.h5"
"$BIN/train" --task regress --data "$tmp/ds.h5" --hidden 12 --epochs 3 --batch 32 --lr 0.01 \
	--progress none --quiet --no-checkpoint --model "$tmp/m.h5" --log "$tmp/log.jsonl" \
	--summary "$tmp/train.json"
"$BIN/evaluate" --task regress --model "$tmp/m.h5" --data "$tmp/ds.h5" --metrics "$tmp/metrics.json" --quiet
P() { "$BIN/predict" --model "$tmp/m.h5" "$@"; }

# the values of the series, one per line (no header)
tail -n +2 "$tmp/s.csv" | cut -d, -f2 >"$tmp/values.txt"
# test examples: first, one in the middle, last -> "row index forecast..."
$PY - "$tmp/metrics.json" >"$tmp/cases.txt" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))["predictions"]
n = len(p["index"])
for r in sorted({0, n // 2, n - 1}):
    print(r, p["index"][r], " ".join("%.12g" % v for v in p["forecast"][r]))
EOF
[ "$(wc -l <"$tmp/cases.txt")" -eq 3 ] || fail "metrics.json: no test forecasts"
tod12() { $PY -c 'import json, sys
print(" ".join("%.12g" % json.loads(l)["value"] for l in sys.stdin))'; }
while read -r row i want; do
	sed -n "$((i - W + 1)),${i}p" "$tmp/values.txt" >"$tmp/win.txt"   # values[i-W .. i-1]
	[ "$(wc -l <"$tmp/win.txt")" -eq $W ] || fail "window of example $i"
	# shellcheck disable=SC2046
	got=$(P --jsonl $(cat "$tmp/win.txt") | tod12)
	[ "$got" = "$want" ] || fail "example $row (index $i): predict '$got', evaluate '$want'"
	got=$(P --jsonl <"$tmp/win.txt" | tod12)
	[ "$got" = "$want" ] || fail "example $row from stdin: '$got', evaluate '$want'"
	# a CSV that ends just before the example (all its earlier rows)
	head -n $((i + 1)) "$tmp/s.csv" >"$tmp/upto.csv"
	got=$(P --jsonl --csv "$tmp/upto.csv" --column Value | tod12)
	[ "$got" = "$want" ] || fail "example $row from a CSV: '$got', evaluate '$want'"
	echo "test example $row (index $i): predict = evaluate = $want"
done <"$tmp/cases.txt"
# every test example, with make timeseries' hidden size (32): evaluate ran
# 128 windows per forward pass, and BLAS sums a row of a block in another
# order than a lone row, so half the forecasts differed from predict's in
# the last float bits
"$BIN/train" --task regress --data "$tmp/ds.h5" --hidden 32 --epochs 2 --batch 32 --lr 0.01 \
	--progress none --quiet --no-checkpoint --model "$tmp/m32.h5" --log "$tmp/log32.jsonl" \
	--summary "$tmp/train32.json"
"$BIN/evaluate" --task regress --model "$tmp/m32.h5" --data "$tmp/ds.h5" \
	--metrics "$tmp/metrics32.json" --quiet
$PY - "$tmp/metrics32.json" >"$tmp/all.txt" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))["predictions"]
for r, i in enumerate(p["index"]):
    print(r, i, " ".join("%.12g" % v for v in p["forecast"][r]))
EOF
[ "$(wc -l <"$tmp/all.txt")" -gt 40 ] || fail "metrics32.json: too few test forecasts"
mismatch=0
while read -r row i want; do
	# shellcheck disable=SC2046
	got=$("$BIN/predict" --model "$tmp/m32.h5" --jsonl \
		$(sed -n "$((i - W + 1)),${i}p" "$tmp/values.txt") | tod12)
	[ "$got" = "$want" ] || { mismatch=$((mismatch + 1)); echo "example $row: predict '$got', evaluate '$want'"; }
done <"$tmp/all.txt"
[ $mismatch -eq 0 ] || fail "hidden 32: $mismatch of $(wc -l <"$tmp/all.txt") test forecasts differ from predict's"

# the model on a dataset normalised otherwise (the same series split at 50 %,
# so another train mean and std, the same test windows): evaluate feeds the
# model its own z-score, as predict does, and gives the same forecasts
"$BIN/ts-prepare" --quiet --csv "$tmp/s.csv" --window $W --horizon $K --season 12 \
	--train 0.5 --validation 0.35 --out "$tmp/ds-other.h5"
"$BIN/evaluate" --task regress --model "$tmp/m.h5" --data "$tmp/ds-other.h5" \
	--metrics "$tmp/metrics-other.json" 2>"$tmp/other.err"
grep -q "not the dataset it was trained on" "$tmp/other.err" || fail "no note: $(cat "$tmp/other.err")"
$PY - "$tmp/metrics.json" "$tmp/metrics-other.json" <<'EOF' || fail "another dataset's normalisation changed the forecasts"
import json, sys
a, b = (json.load(open(p))["predictions"] for p in sys.argv[1:])
assert a["index"] == b["index"], "not the same test windows"
fa = [["%.12g" % v for v in r] for r in a["forecast"]]
fb = [["%.12g" % v for v in r] for r in b["forecast"]]
bad = [(i, x, y) for i, (x, y) in enumerate(zip(fa, fb)) if x != y]
assert not bad, "forecasts differ, first at %s" % (bad[0],)
EOF

# plain output: K lines of numbers; the CSV and the dataset give the same
# forecast past the series' end as its last W values do
P $(tail -n $W "$tmp/values.txt") >"$tmp/plain.txt"
[ "$(wc -l <"$tmp/plain.txt")" -eq $K ] || fail "plain output: not $K lines"
grep -qvE '^-?[0-9.]+(e[-+][0-9]+)?$' "$tmp/plain.txt" && fail "plain output: $(cat "$tmp/plain.txt")"
P --jsonl $(tail -n $W "$tmp/values.txt") >"$tmp/end.jsonl"
P --jsonl --csv "$tmp/s.csv" >"$tmp/end-csv.jsonl"
cmp -s "$tmp/end.jsonl" "$tmp/end-csv.jsonl" || fail "--csv differs from the arguments"
P --jsonl --dataset "$tmp/ds.h5" >"$tmp/end-ds.jsonl" 2>"$tmp/pds.err"
grep -q "is not the dataset" "$tmp/pds.err" && fail "--dataset of the model's own file: $(cat "$tmp/pds.err")"
cmp -s "$tmp/end.jsonl" "$tmp/end-ds.jsonl" || fail "--dataset differs from the arguments"
grep -qE '^\{"step": 1, "value": -?[0-9.e+-]+\}$' "$tmp/end.jsonl" || fail "jsonl: $(head -1 "$tmp/end.jsonl")"
[ "$(sed 's/^{"step": \([0-9]*\),.*/\1/' "$tmp/end.jsonl" | tr '\n' ' ')" = "$(seq -s ' ' 1 $K) " ] ||
	fail "jsonl steps are not 1..$K: $(cat "$tmp/end.jsonl")"
# --dataset of another file than the model's: forecast, with a note saying so
P --jsonl --dataset "$tmp/ds-other.h5" >/dev/null 2>"$tmp/pother.err" || fail "--dataset of another file"
grep -q "is not the dataset the model was trained on" "$tmp/pother.err" ||
	fail "--dataset of another file: no note: $(cat "$tmp/pother.err")"

# --steps 5 > K: 5 values; the first K are the direct forecast; steps 3-4
# are the forecast from the last W-K values and the printed steps 1-2
P --jsonl --steps 5 --csv "$tmp/s.csv" >"$tmp/s5.jsonl"
[ "$(wc -l <"$tmp/s5.jsonl")" -eq 5 ] || fail "--steps 5: $(wc -l <"$tmp/s5.jsonl") lines"
[ "$(head -n $K "$tmp/s5.jsonl")" = "$(cat "$tmp/end.jsonl")" ] || fail "--steps: first $K differ"
vals() { $PY -c 'import json, sys
print(" ".join(repr(json.loads(l)["value"]) for l in sys.stdin))'; }
# shellcheck disable=SC2046
P --jsonl $(tail -n $((W - K)) "$tmp/values.txt") $(vals <"$tmp/end.jsonl") >"$tmp/by-hand.jsonl"
[ "$(sed -n 3,4p "$tmp/s5.jsonl" | vals)" = "$(vals <"$tmp/by-hand.jsonl")" ] ||
	fail "--steps 3-4: $(sed -n 3,4p "$tmp/s5.jsonl" | vals) vs by hand $(vals <"$tmp/by-hand.jsonl")"
[ "$(P --steps 1 --csv "$tmp/s.csv" | wc -l)" -eq 1 ] || fail "--steps 1"
# negative values are values, not options
P $(tail -n $((W - 1)) "$tmp/values.txt") -7.5 >/dev/null || fail "a negative value"

# ---- refusals ----
# shellcheck disable=SC2046
expect 1 "11 values given; the model needs the last 12 values" P $(tail -n 11 "$tmp/values.txt")
# shellcheck disable=SC2046
expect 1 "argument 3: '12x' is not a number" P 1 2 12x $(tail -n 12 "$tmp/values.txt")
expect 1 "argument 1: 'inf' is not a finite number" P inf $(tail -n 12 "$tmp/values.txt")
expect 1 "argument 1: 'Фильм отстой.' is not a number" P "Фильм отстой."
{ head -n 3 "$tmp/values.txt"; echo nan; tail -n 12 "$tmp/values.txt"; } >"$tmp/bad.txt"
expect 1 "<stdin>:4: 'nan' is not a finite number" P <"$tmp/bad.txt"
{ head -n 3 "$tmp/values.txt"; echo; tail -n 12 "$tmp/values.txt"; } >"$tmp/gap.txt"
expect 1 "<stdin>:4: empty line" P <"$tmp/gap.txt"
{ head -n 20 "$tmp/s.csv"; echo "0019,x"; } >"$tmp/bad.csv"
expect 1 "$tmp/bad.csv:21: 'x' in column 'Value' is not a number" P --csv "$tmp/bad.csv"
expect 1 "no column 'Passengers'" P --csv "$tmp/s.csv" --column Passengers
[ -s "$tmp/out" ] && fail "a refused run printed a forecast"
expect 1 "--vocab applies to review classifiers" P --vocab x.txt 1 2 3
expect 1 "is a time-series model: --logits applies to review classifiers" P --jsonl --logits 1 2 3
# a model that cannot be read is a failure (exit 1), not bad usage
expect 1 "$tmp/missing.h5" "$BIN/predict" --model "$tmp/missing.h5" 1 2 3

# a review classifier (the demo dump, one tiny epoch) given numbers
DEMO=${RNNPIPE_TOP:-$PWD}/data/demo/reviews-2026-10.jsonl
if [ -f "$DEMO" ]; then
	A=$tmp/reviews
	"$BIN/learn-vocab" --quiet --size 1500 --output "$A/vocab.txt" "$DEMO"
	"$BIN/tokenize" --quiet --vocab "$A/vocab.txt" --max-len 32 --output "$A/reviews.tok" "$DEMO"
	"$BIN/filter-relabel" --quiet --output "$A/merged.tok" "$A/reviews.tok"
	"$BIN/split" --quiet --train "$A/train.tok" --validation "$A/validation.tok" \
		--test "$A/test.tok" "$A/merged.tok"
	"$BIN/pack-hdf5" --quiet --out "$A/ds.h5" "$A"/{train,validation,test}.tok
	"$BIN/train" --data "$A/ds.h5" --vocab "$A/vocab.txt" --embed 4 --hidden 4 --epochs 1 \
		--progress none --quiet --no-checkpoint --model "$A/cls.h5" --log "$A/log.jsonl" \
		--summary "$A/train.json"
	expect 1 "is a review classifier and reads text, not numbers" \
		"$BIN/predict" --model "$A/cls.h5" 112 118 132
	expect 1 "is a review classifier: --csv applies to time-series models" \
		"$BIN/predict" --model "$A/cls.h5" --csv "$tmp/s.csv"
	expect 1 "--steps applies to time-series models" "$BIN/predict" --model "$A/cls.h5" --steps 3 x
	# on stdin a bare number is a failed line; the reviews around it are classified
	printf 'Отличный фильм!\n112\nСкучно.\n' >"$tmp/mixed.txt"
	expect 1 "<stdin>:2: '112' is a number" "$BIN/predict" --model "$A/cls.h5" <"$tmp/mixed.txt"
	sed -n 2p "$tmp/out" | grep -qx 'error line 2' || fail "stdin number: $(cat "$tmp/out")"
	[ "$(grep -cE '^(negative|positive) [01]\.[0-9]{4}$' "$tmp/out")" -eq 2 ] ||
		fail "the reviews around a number: $(cat "$tmp/out")"
	# text still works
	"$BIN/predict" --model "$A/cls.h5" "Фильм отстой." | grep -qE '^(negative|positive) ' ||
		fail "a review model no longer classifies text"
else
	echo "note: $DEMO not found; review-model checks skipped"
fi

# ---- usage ----
expect 2 "--column goes with --csv" P --column Value 1 2 3
expect 2 "give the values one way" P --csv "$tmp/s.csv" 1 2 3
expect 2 "" P --steps -1 1 2 3
"$BIN/predict" --help >"$tmp/help.txt"
grep -q "^Reviews" "$tmp/help.txt" && grep -q "^Series" "$tmp/help.txt" || fail "--help: both modes"
grep -q -- "--steps" "$tmp/help.txt" || fail "--help lacks --steps"

# ---- make ts-predict: the forecast past the end of the (small synthetic) series ----
top=${RNNPIPE_TOP:-$PWD}
mk=(make --no-print-directory -C "$top" BUILD="${BUILD:-build}" ART="$tmp/art" REPORTS="$tmp/rep"
	TS_LENGTH=300 TS_WINDOW=12 TS_HORIZON=1 TS_EPOCHS=2 TS_HIDDEN=8 THREADS=1)
"${mk[@]}" ts-predict TS_STEPS=3 >"$tmp/make.txt" 2>&1 || fail "make ts-predict: $(cat "$tmp/make.txt")"
grep -vE '^[A-Z]+ ' "$tmp/make.txt" | grep -E '^-?[0-9.]+(e[-+][0-9]+)?$' >"$tmp/make-values.txt" || true
"$BIN/predict" --model "$tmp/art/timeseries/model.h5" --dataset "$tmp/art/timeseries/dataset.h5" \
	--steps 3 >"$tmp/direct.txt"
[ "$(wc -l <"$tmp/make-values.txt")" -eq 3 ] && cmp -s "$tmp/make-values.txt" "$tmp/direct.txt" ||
	fail "make ts-predict printed: $(cat "$tmp/make.txt")"
rm -rf "$tmp"
echo "ts_predict e2e: ok"
