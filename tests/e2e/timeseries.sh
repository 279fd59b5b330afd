#!/usr/bin/env bash
# Time series end to end with the programs only: ts-prepare -> dataset.h5
# (layout via h5dump), ts-metrics on a predictions file, ts-report with and
# without forecasts and a training log (self-contained HTML), bad input with
# file:line and exit 1, bad usage exit 2, no artifact left by a failed run,
# and mk/timeseries.mk: nothing re-runs when nothing changed, a changed
# parameter re-runs (TS_SEASON: the evaluation and the report only).  The
# h5py cross-check is tests/e2e/timeseries_h5py.sh.
set -euo pipefail
BIN=${BUILD:-build}/bin
command -v h5dump >/dev/null || { echo "SKIP: h5dump not installed (apt-get install hdf5-tools)"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-ts-XXXXXX)
fail() { echo "FAIL: $*"; exit 1; }

# ---- dataset ----
"$BIN/ts-prepare" --synthetic 600 --window 16 --horizon 2 --season 50 --out "$tmp/ds.h5" \
	2>"$tmp/prepare.err"
grep -q 'test period: naive rmse' "$tmp/prepare.err" || fail "ts-prepare prints no baseline"
h5dump -p -H "$tmp/ds.h5" >"$tmp/layout.txt"
# 600 values: train [0, 420), validation [420, 510), test [510, 600)
for want in 'GROUP "train"' 'GROUP "validation"' 'GROUP "test"' 'GROUP "series"' \
	'DATASET "inputs"' 'DATASET "targets"' 'DATASET "lengths"' 'DATASET "index"' \
	'DATASET "values"' 'SIMPLE { ( 403, 16, 1 ) / ( 403, 16, 1 ) }' \
	'SIMPLE { ( 403, 2 ) / ( 403, 2 ) }' 'SIMPLE { ( 89, 16, 1 ) / ( 89, 16, 1 ) }' \
	'SIMPLE { ( 600 ) / ( 600 ) }' 'H5T_IEEE_F32LE' 'H5T_IEEE_F64LE' 'H5T_STD_I64LE' \
	'COMPRESSION DEFLATE { LEVEL 4 }' 'CHECKSUM FLETCHER32' \
	'ATTRIBUTE "format"' 'ATTRIBUTE "format_version"' 'ATTRIBUTE "task"' \
	'ATTRIBUTE "window"' 'ATTRIBUTE "horizon"' 'ATTRIBUTE "mean"' 'ATTRIBUTE "std"' \
	'ATTRIBUTE "season"' 'ATTRIBUTE "source"' 'ATTRIBUTE "source_hash"' \
	'ATTRIBUTE "split_bounds"' 'ATTRIBUTE "synthetic_params"' 'ATTRIBUTE "n_test"'; do
	grep -qF "$want" "$tmp/layout.txt" || fail "h5dump -H lacks: $want"
done
grep -qF 'DATASET "time"' "$tmp/layout.txt" && fail "a synthetic series has no time labels"
h5dump -a /task "$tmp/ds.h5" | grep -q '"regress"' || fail "task attribute"
h5dump -a /split_bounds "$tmp/ds.h5" | grep -q '0, 420, 510, 600' || fail "split bounds"
h5dump -a /format "$tmp/ds.h5" | grep -q '"rnnpipe-timeseries"' || fail "format attribute"

# the same parameters give the same bytes; another seed does not
"$BIN/ts-prepare" --quiet --synthetic 600 --window 16 --horizon 2 --season 50 --out "$tmp/ds2.h5"
cmp -s "$tmp/ds.h5" "$tmp/ds2.h5" || fail "ts-prepare is not reproducible"
"$BIN/ts-prepare" --quiet --synthetic 600 --window 16 --horizon 2 --seed 2 --out "$tmp/ds3.h5"
cmp -s "$tmp/ds.h5" "$tmp/ds3.h5" && fail "--seed changes nothing"

# --trend is added per step: the train part (t = 0..139 of 200) of a
# noiseless series with --trend 1 has a mean 69.5 above that of --trend 0
tmean() { "$BIN/ts-prepare" --synthetic 200 --noise 0 --trend "$1" --window 8 \
	--out "$tmp/tr$1.h5" 2>&1 | sed -n 's/.* train mean \([^,]*\), std .*/\1/p'; }
m0=$(tmean 0)
m1=$(tmean 1)
awk -v a="$m0" -v b="$m1" 'BEGIN { d = b - a - 69.5; exit !(a != "" && d < 1e-3 && d > -1e-3) }' ||
	fail "--trend 1: train mean $m1, with --trend 0 $m0"

# ---- metrics from a predictions file (89 test examples, 2 values each) ----
for i in $(seq 89); do echo "0 0"; done >"$tmp/zeros.txt"
"$BIN/ts-metrics" --dataset "$tmp/ds.h5" --predictions "$tmp/zeros.txt" --out "$tmp/m.json"
for key in '"rmse": ' '"mae": ' '"naive_rmse": ' '"naive_mae": ' '"seasonal_rmse": ' \
	'"n": 89' '"per_step"' '"forecast"' '"truth"' "\"dataset\": \"$tmp/ds.h5\"" \
	"\"predictions_file\": \"$tmp/zeros.txt\"" '"predictions_units": "normalised"'; do
	grep -qF "$key" "$tmp/m.json" || fail "metrics.json lacks $key"
done
grep -q '"rmse": null' "$tmp/m.json" && fail "rmse is null with forecasts"
"$BIN/ts-metrics" --dataset "$tmp/ds.h5" --baselines >"$tmp/base.json"
grep -q '"rmse": null' "$tmp/base.json" || fail "--baselines reports a model rmse"
grep -q '"predictions"' "$tmp/base.json" && fail "--baselines prints a predictions list"
# the train split's first examples are less than a season (50) into the
# series: no seasonal figures (null) and a note; it exited 1 ("before the
# series starts")
"$BIN/ts-metrics" --dataset "$tmp/ds.h5" --baselines --split train >"$tmp/base-train.json" \
	2>"$tmp/err" || fail "--split train with a long season: $(cat "$tmp/err")"
grep -q '"seasonal_rmse": null' "$tmp/base-train.json" || fail "train split: seasonal_rmse not null"
grep -q '"naive_rmse": [0-9]' "$tmp/base-train.json" || fail "train split: no naive_rmse"
grep -q 'note: no seasonal naive forecast: the season (50) reaches before the series starts' \
	"$tmp/err" || fail "train split: no note: $(cat "$tmp/err")"
# --season: the seasonal baseline's season instead of the dataset's (0 = none)
"$BIN/ts-metrics" --dataset "$tmp/ds.h5" --baselines --season 25 >"$tmp/base25.json"
grep -q '"season": 25,' "$tmp/base25.json" || fail "ts-metrics --season 25"
"$BIN/ts-metrics" --dataset "$tmp/ds.h5" --baselines --season 0 >"$tmp/base0.json"
grep -q '"season": null,' "$tmp/base0.json" && ! grep -q seasonal "$tmp/base0.json" ||
	fail "ts-metrics --season 0"
"$BIN/ts-report" --quiet --dataset "$tmp/ds.h5" --season 25 --out "$tmp/r25.html"
grep -q 'seasonal naive: value 25 steps earlier' "$tmp/r25.html" || fail "ts-report --season 25"
for cmd in "ts-report --dataset $tmp/ds.h5 --metrics $tmp/m.json --season 25 --out $tmp/r26.html" \
	"evaluate --season 12" "ts-metrics --baselines --dataset $tmp/ds.h5 --season -2" \
	"ts-metrics --dataset $tmp/ds.h5" \
	"ts-metrics --baselines --predictions $tmp/zeros.txt --dataset $tmp/ds.h5"; do
	set +e
	# shellcheck disable=SC2086
	"$BIN"/$cmd >/dev/null 2>&1
	rc=$?
	set -e
	[ $rc -eq 2 ] || fail "usage '$cmd': exit $rc, expected 2"
done
# metrics that cannot be written: exit 1
: >"$tmp/afile"
set +e
"$BIN/ts-metrics" --quiet --dataset "$tmp/ds.h5" --predictions "$tmp/zeros.txt" \
	--out "$tmp/afile/m.json" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "ts-metrics --out under a file: exit $rc, $(cat "$tmp/err")"
# a short predictions file: file:line, exit 1, nothing written
head -n 50 "$tmp/zeros.txt" >"$tmp/short.txt"
set +e
"$BIN/ts-metrics" --dataset "$tmp/ds.h5" --predictions "$tmp/short.txt" --out "$tmp/m2.json" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "short predictions: exit $rc, expected 1"
grep -qF "$tmp/short.txt:50: 50 forecast lines, expected 89" "$tmp/err" || fail "message: $(cat "$tmp/err")"
[ -e "$tmp/m2.json" ] && fail "a failed ts-metrics left its output"

# ---- report ----
printf '{"epoch": 1, "loss": 0.8, "val_loss": 0.9}\n{"epoch": 2, "loss": 0.4, "val_loss": 0.6}\n' >"$tmp/log.jsonl"
"$BIN/ts-report" --dataset "$tmp/ds.h5" --metrics "$tmp/m.json" --train-log "$tmp/log.jsonl" \
	--step 2 --out "$tmp/r.html"
[ "$(grep -c '<svg' "$tmp/r.html")" -eq 4 ] || fail "report: expected 4 charts"
grep -q '<script\|https\?://\|<img\|<link' "$tmp/r.html" && fail "report is not self-contained"
grep -q 'forecast 2 steps ahead' "$tmp/r.html" || fail "report: --step 2 not shown"
grep -q 'Error over the test period: forecast 2 steps ahead' "$tmp/r.html" \
	|| fail "report: the error chart does not say it shows step 2"
"$BIN/ts-report" --dataset "$tmp/ds.h5" --out "$tmp/r0.html"
grep -q 'only the naive baselines' "$tmp/r0.html" || fail "baseline-only report"
grep -q 'No training log' "$tmp/r0.html" || fail "report without a log"
# metrics of another dataset are refused
"$BIN/ts-metrics" --dataset "$tmp/ds3.h5" --baselines >/dev/null
for i in $(seq 89); do echo "0 0"; done >"$tmp/zeros3.txt"
"$BIN/ts-metrics" --quiet --dataset "$tmp/ds3.h5" --predictions "$tmp/zeros3.txt" --out "$tmp/m3.json"
set +e
"$BIN/ts-report" --dataset "$tmp/ds.h5" --metrics "$tmp/m3.json" --out "$tmp/r3.html" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "foreign metrics: exit $rc"
grep -q 'not of this dataset' "$tmp/err" || fail "foreign metrics message: $(cat "$tmp/err")"

# ---- bad input and usage ----
printf 'Month,Value\n2000-01,1\n2000-02,x\n' >"$tmp/bad.csv"
set +e
"$BIN/ts-prepare" --csv "$tmp/bad.csv" --out "$tmp/bad.h5" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad CSV: exit $rc, expected 1"
grep -qF "$tmp/bad.csv:3: 'x' in column 'Value' is not a number" "$tmp/err" || fail "bad CSV message: $(cat "$tmp/err")"
ls "$tmp" | grep -q '^bad\.h5' && fail "a failed ts-prepare left a file"
# blank lines are skipped as pandas.read_csv skips them; the ones between
# two values (a gap in time, perhaps) are warned about, naming the file and
# the first, also under --quiet, and counted in the summary line
{ echo 'Month,Value'; for i in $(seq 10 69); do echo "20$i-01,$((i % 9))"
	[ "$i" = 30 ] && printf '\n  \n'; done; echo; } >"$tmp/blank.csv"
"$BIN/ts-prepare" --csv "$tmp/blank.csv" --window 6 --out "$tmp/blank.h5" 2>"$tmp/err" ||
	fail "CSV with blank lines: $(cat "$tmp/err")"
grep -qF "'$tmp/blank.csv': 2 blank lines between values skipped (the first is line 23), as pandas.read_csv does" \
	"$tmp/err" || fail "blank lines: no warning: $(cat "$tmp/err")"
grep -qF "60 values ($tmp/blank.csv, 2 blank lines between values skipped)" "$tmp/err" ||
	fail "blank lines: not in the summary: $(cat "$tmp/err")"
"$BIN/ts-prepare" --quiet --csv "$tmp/blank.csv" --window 6 --out "$tmp/blank.h5" 2>"$tmp/err"
grep -q "warning: .*2 blank lines between values skipped" "$tmp/err" ||
	fail "blank lines: no warning under --quiet: $(cat "$tmp/err")"
for args in "--synthetic 100 --csv $tmp/bad.csv" "" "--window 0 --synthetic 100" \
	"--synthetic 100 --periods 5,6 --amplitudes 1" "--synthetic 100 --train 1" \
	"--synthetic 100 --train 0.9 --validation 0.1" "--synthetic 100 --validation 0" \
	"--csv $tmp/bad.csv --train 0.95 --validation 0.1" "--synthetic 100 --train 0" \
	"--synthetic 100 --column Value" "--synthetic 100 --time-column none" \
	"--synthetic 100 --periods 5,x --amplitudes 1,1" \
	"--synthetic 100 --periods 0 --amplitudes 1"; do
	set +e
	# shellcheck disable=SC2086
	"$BIN/ts-prepare" $args --out "$tmp/u.h5" 2>/dev/null
	rc=$?
	set -e
	[ $rc -eq 2 ] || fail "usage '$args': exit $rc, expected 2"
done
set +e
"$BIN/ts-prepare" --synthetic 30 --window 24 --out "$tmp/u.h5" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'shorter than window' "$tmp/err" || fail "too short a series: exit $rc"

# values near DBL_MAX: their squares overflow, and the train part was
# called "constant (every value 0)"; its std is 1e308, in range
{ echo t,v; for i in $(seq 100); do echo "$((2 * i)),1e308"; echo "$((2 * i + 1)),-1e308"; done; } \
	>"$tmp/huge.csv"
set +e
"$BIN/ts-prepare" --csv "$tmp/huge.csv" --column v --window 10 --out "$tmp/huge.h5" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 0 ] || fail "values near DBL_MAX: exit $rc: $(cat "$tmp/err")"
h5dump -a /std "$tmp/huge.h5" | grep -q '(0): 1e+308' || fail "values near DBL_MAX: std"
# errors that overflow are null in metrics.json, and the summary lines say
# so (they printed "rmse 0 mae 0")
grep -qF 'test period: naive rmse null, mae null' "$tmp/err" || fail "ts-prepare: $(cat "$tmp/err")"
for i in $(seq 30); do echo 1e308; done >"$tmp/huge-pred.txt"
"$BIN/ts-metrics" --dataset "$tmp/huge.h5" --predictions "$tmp/huge-pred.txt" \
	--out "$tmp/huge-m.json" 2>"$tmp/err"
grep -q '"rmse": null' "$tmp/huge-m.json" || fail "overflowing rmse is not null"
grep -qF "test n=30 rmse null mae null (naive rmse null mae null)" "$tmp/err" ||
	fail "ts-metrics summary: $(cat "$tmp/err")"

# ---- mk/timeseries.mk (included by the Makefile, or added here until it is) ----
top=${RNNPIPE_TOP:-$PWD}
mk=(make --no-print-directory -C "$top" BUILD="${BUILD:-build}" ART="$tmp/art" REPORTS="$tmp/rep"
	TS_LENGTH=300)
grep -q 'mk/timeseries.mk' "$top/Makefile" "$top/mk/pipeline.mk" ||
	mk+=(-f Makefile -f mk/timeseries.mk)
"${mk[@]}" timeseries-data >"$tmp/make1.txt" 2>&1 || fail "make timeseries-data: $(cat "$tmp/make1.txt")"
[ -f "$tmp/art/timeseries/dataset.h5" ] || fail "make timeseries-data made no dataset"
before=$(stat -c %Y.%s "$tmp/art/timeseries/dataset.h5")
sleep 1
"${mk[@]}" timeseries-data >"$tmp/make2.txt" 2>&1
grep -q "ts-prepare ->" "$tmp/make2.txt" && fail "make re-ran ts-prepare with nothing changed"
[ "$(stat -c %Y.%s "$tmp/art/timeseries/dataset.h5")" = "$before" ] || fail "dataset rewritten"
"${mk[@]}" timeseries-data TS_WINDOW=10 >"$tmp/make3.txt" 2>&1
grep -q "ts-prepare ->" "$tmp/make3.txt" || fail "a changed TS_WINDOW did not re-run ts-prepare"
h5dump -a /window "$tmp/art/timeseries/dataset.h5" | grep -q '(0): 10' || fail "TS_WINDOW not passed"
# TS_SEASON is the seasonal baseline's season only: a changed one re-runs
# the evaluation and the report, not ts-prepare and training (the season
# was a dataset attribute: the dataset was rewritten, training re-ran from
# scratch and refused its checkpoint as 'of another run')
tsmk=("${mk[@]}" TS_WINDOW=10 TS_EPOCHS=1 THREADS=1)
"${tsmk[@]}" timeseries >"$tmp/make6.txt" 2>&1 || fail "make timeseries: $(cat "$tmp/make6.txt")"
h5dump -A "$tmp/art/timeseries/dataset.h5" | grep -q 'ATTRIBUTE "season"' &&
	fail "make's dataset has a season attribute"
grep -q '"season": 48,' "$tmp/art/timeseries/metrics.json" || fail "TS_SEASON 48 not in metrics.json"
model_before=$(stat -c %Y.%s "$tmp/art/timeseries/model.h5")
"${tsmk[@]}" timeseries TS_SEASON=24 >"$tmp/make7.txt" 2>&1 || fail "TS_SEASON=24: $(cat "$tmp/make7.txt")"
for stage in "ts-prepare ->" "train --task regress ->"; do
	grep -q "$stage" "$tmp/make7.txt" && fail "a changed TS_SEASON re-ran $stage"
done
for stage in "evaluate --task regress ->" "ts-report ->"; do
	grep -q "$stage" "$tmp/make7.txt" || fail "a changed TS_SEASON did not re-run $stage"
done
[ "$(stat -c %Y.%s "$tmp/art/timeseries/model.h5")" = "$model_before" ] || fail "model rewritten"
grep -q '"season": 24,' "$tmp/art/timeseries/metrics.json" || fail "TS_SEASON=24 not in metrics.json"
grep -q '"seasonal_rmse": [0-9]' "$tmp/art/timeseries/metrics.json" || fail "no seasonal_rmse"
grep -q 'seasonal naive: value 24 steps earlier' "$tmp/rep/timeseries.html" || fail "report's season"
"${tsmk[@]}" timeseries TS_SEASON=24 >"$tmp/make8.txt" 2>&1
grep -q -- "->" "$tmp/make8.txt" && fail "make re-ran a step with nothing changed: $(cat "$tmp/make8.txt")"
"${tsmk[@]}" timeseries TS_SEASON=0 >"$tmp/make9.txt" 2>&1 || fail "TS_SEASON=0: $(cat "$tmp/make9.txt")"
grep -q '"season": null,' "$tmp/art/timeseries/metrics.json" || fail "TS_SEASON=0 not in metrics.json"
grep -q 'seasonal_rmse' "$tmp/art/timeseries/metrics.json" && fail "TS_SEASON=0 has seasonal figures"
grep -q 'seasonal naive: value' "$tmp/rep/timeseries.html" && fail "TS_SEASON=0: report's season"
# a CSV series with COLUMN and TIME_COLUMN: they are quoted in the
# parameters line, and the quotes made the parameters file differ from its
# variable on every make, so the dataset (and training after it) was made
# again each time with nothing changed; a quote in a column's name broke
# the shell command
printf "When,Level o'clock,Other\\n" >"$tmp/level.csv"
for i in $(seq 0 99); do echo "$((1000 + i)),$((i % 7 + i / 10)),0"; done >>"$tmp/level.csv"
csvmk=("${mk[@]}" SERIES="$tmp/level.csv" "COLUMN=Level o'clock" TIME_COLUMN=When TS_WINDOW=8)
"${csvmk[@]}" timeseries-data >"$tmp/make4.txt" 2>&1 || fail "make with COLUMN: $(cat "$tmp/make4.txt")"
grep -q "ts-prepare ->" "$tmp/make4.txt" || fail "a new SERIES did not re-run ts-prepare"
h5dump -a /column "$tmp/art/timeseries/dataset.h5" | grep -qF '"Level o'"'"'clock"' || fail "COLUMN not passed"
"${csvmk[@]}" timeseries-data >"$tmp/make5.txt" 2>&1
grep -q "ts-prepare ->" "$tmp/make5.txt" && fail "make re-ran ts-prepare with COLUMN set and nothing changed"
rm -rf "$tmp"
echo "timeseries e2e: ok"
