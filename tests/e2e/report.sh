#!/usr/bin/env bash
# tests/e2e/report.sh - the report stage on the fixtures in
# tests/fixtures/report/: a full report, absent inputs, malformed inputs,
# bad usage, the Markdown with linked SVG files, reproducibility, and two
# outputs named as one file.
# Token-record files are written by the unit-test binary's fixture writer
# ($BUILD/tests/test_report --write-tok), which uses tokwriter.
# HTML checks: tests/e2e/report_check.py (well formed, self-contained).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=$BUILD/bin/report
GEN=$BUILD/tests/test_report
PY=/usr/bin/python3
FX=tests/fixtures/report
for f in "$BIN" "$GEN"; do
	[ -x "$f" ] || { echo "FAIL: $f missing (run make test BUILD=$BUILD)"; exit 1; }
done
[ -x $PY ] || { echo "SKIP: $PY not found (the HTML checks need it)"; exit 77; }
T=$(mktemp -d /tmp/rnnpipe-report-XXXXXX)
fail() { echo "FAIL: $*"; echo "(files in $T)"; exit 1; }
export SOURCE_DATE_EPOCH=1764460800 # 2025-11-30 00:00 UTC: reproducible output

"$GEN" --write-tok $FX/texts.tsv "$T/split" 600 || fail "fixture writer"

full=(--train-log $FX/train-log.jsonl --train-json $FX/train.json --metrics $FX/metrics.json
      --predictions $FX/predictions.tsv --history $FX/history.jsonl --split-dir "$T/split"
      --tok-stats $FX/tok-a.stats.json --tok-stats $FX/tok-b.stats.json
      --filter-stats $FX/filter.stats.json --split-stats $FX/split.stats.json)

# 1. everything present
"$BIN" "${full[@]}" --html "$T/full/report.html" --md "$T/full/report.md" --md-svg \
	2>"$T/full.err" || fail "full report: exit $? ($(cat "$T/full.err"))"
[ -s "$T/full/report.html" ] && [ -s "$T/full/report.md" ] || fail "full report: no output"
ls "$T/full" | grep -q '\.tmp\.' && fail "temporary files left behind"
# key numbers: metrics, split sizes, truncation, confusion cells, history
# change, config, the escaped injection text from a review
$PY tests/e2e/report_check.py "$T/full/report.html" \
	'87.50%' '0.8750' '0.8749' '0.9050' '0.4481' '0.8947' '>17</text>' '>18</text>' \
	'85.0%' '90.0%' '>480<' '>120<' '>40<' '>640<' '88 (13.8%)' 'max_len = 64' \
	'-0.60 pp' '4 of 6' 'early-stopping' '286.1 sequences/s' 'cuda' \
	'data/reviews-b.csv:203: unterminated quoted field' \
	'invalid UTF-8 &lt;0xff&gt; in &quot;text&quot;' 'bad: invalid_<wbr>utf8' \
	'negative=negative,neutral=drop,positive=positive,bad=negative' \
	'same text again (the first copy is kept)' '>58<' '>15<' '>723<' \
	'positive 201, negative 121, neutral 44' 'Split fractions asked for: train 80%' \
	'40 reviews placed by a split their dump named' '>200 (62.5%)<' \
	'&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;' \
	'Фильм отстой. Не советую смотреть.' '2026-10-02T03:00:15Z' 'this run' \
	'2025-11-30 00:00 UTC' '<p>5 of 40 test reviews are misclassified' \
	'style="width:66.67%;background' '<td class="num worse">-0.60 pp</td>' \
	'<td class="num better">+1.08 pp</td>' || fail "full report: HTML check"
# a review that is one long word (a URL, "аааа...") wraps inside its column:
# without a break-anywhere rule it widened the examples table past the page,
# and every review was cut off at the right edge
$PY - "$T/full/report.html" <<'PY' || fail "full report: long words in reviews do not wrap"
import re, sys
css = re.search(r"<style>(.*?)</style>", open(sys.argv[1], encoding="utf-8").read(), re.S).group(1)
for sel in (".text", "ul.bad-records"):
    m = re.search(r"(?:^|})" + re.escape(sel) + r"\{([^}]*)\}", css)
    assert m and "overflow-wrap:anywhere" in m.group(1), sel
PY
# the checker must catch what it claims to (a test that cannot fail is no test)
for bad in '<img src="x.png">' '<div>' '<a href="https://example.org">x</a>' \
	   '<p style="background:url(x.png)">x</p>' '<script>1</script>'; do
	sed "s|<main>|<main>$bad|" "$T/full/report.html" > "$T/bad.html"
	$PY tests/e2e/report_check.py "$T/bad.html" >/dev/null && fail "checker accepted $bad"
done
# Markdown: same numbers, escaped text, plots as linked SVG files that parse
md=$T/full/report.md
for want in '87.50%' '0.8749' '| train | 480 |' 'max\_len = 64' '## Evaluation' \
	    '&lt;script&gt;' '](report-confusion.svg)' '](report-loss.svg)'; do
	grep -qF -- "$want" "$md" || fail "report.md lacks '$want'"
done
grep -q '<script' "$md" && fail "report.md holds raw HTML from a review"
# the numbers of the run against the last promoted one (not the last run
# of the history, which was not promoted), epochs run of planned, the
# history's changes against the previous promoted run
for want in '- accuracy vs last promoted run (11-02 03:00): **-0.60 pp**' \
	    '| epochs run | 6 of 8 planned |' '| best epoch | 4 |' \
	    '| 2026-10-02T03:00:15Z | 0.8480 | -1.40 pp |' '| 2026-11-02T03:00:12Z | 0.8810 | +1.90 pp |' \
	    '| this run (not in history yet) | 0.8750 | -0.60 pp |'; do
	grep -qF -- "$want" "$md" || fail "report.md lacks '$want'"
done
# the per-epoch table marks the best epoch's row, and only it
[ "$(grep -o '<tr><td class="num better">[0-9]*</td>' "$T/full/report.html" | sort -u)" = \
	'<tr><td class="num better">4</td>' ] || fail "report.html: the best epoch (4) is not the one marked"
# the folded stats tables' <summary> is an HTML block, where Markdown's
# backslash escapes are not read: a file name shows as written (no "tok\_a")
cp $FX/tok-a.stats.json "$T/tok_a.stats.json"
"$BIN" "${full[@]}" --tok-stats "$T/tok_a.stats.json" --html "" --md "$T/u.md" --quiet \
	|| fail "stats file name with '_': exit $?"
grep -qF "<summary>All values in tokenize stats $T/tok_a.stats.json</summary>" "$T/u.md" \
	|| fail "report.md: a stats file's name is escaped for Markdown inside <summary>"
# the plots' links are URLs: a Markdown file named with a space or
# parentheses links its SVG files percent-encoded (a raw space ended the link)
mkdir -p "$T/sp"
"$BIN" "${full[@]}" --html "" --md "$T/sp/my report (1).md" --md-svg --quiet \
	|| fail "--md with a space: exit $?"
[ -s "$T/sp/my report (1)-loss.svg" ] || fail "--md with a space: no SVG file"
grep -qF '](my%20report%20%281%29-loss.svg)' "$T/sp/my report (1).md" \
	|| fail "--md with a space: the SVG link is not a URL: $(grep -F 'loss.svg' "$T/sp/my report (1).md")"
for svg in lengths loss accuracy confusion roc history; do
	f=$T/full/report-$svg.svg
	$PY -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot();
assert r.tag.endswith("svg"), r.tag' "$f" || fail "$f is not a valid SVG file"
done

# 2. reproducible: same inputs and SOURCE_DATE_EPOCH, same bytes
"$BIN" "${full[@]}" --html "$T/again.html" --md "" --quiet || fail "second run"
cmp -s "$T/full/report.html" "$T/again.html" || fail "two runs differ"

# split files tokenized without truncation (MAX_LEN=0): the model's max_len
# (train.json) is the longest row, and the header says so next to the Data
# section's "max_len 0 (no truncation)"
"$GEN" --write-tok $FX/texts.tsv "$T/split0" 600 0 || fail "fixture writer, max_len 0"
"$BIN" "${full[@]}" --split-dir "$T/split0" --html "$T/ml0.html" --md "$T/ml0.md" --quiet \
	|| fail "max_len 0: exit $?"
$PY tests/e2e/report_check.py "$T/ml0.html" \
	'max_len 64 (the longest review; tokenized without truncation)' \
	'max_len 0 (no truncation)' || fail "max_len 0: HTML check"
grep -qF 'max\_len 64 (the longest review; tokenized without truncation)' "$T/ml0.md" \
	|| fail "max_len 0: report.md header"
grep -qF 'tokenized without truncation' "$T/full/report.html" \
	&& fail "max_len 64: the header calls truncated split files untruncated"

# 3. optional inputs absent: exit 0, sections say so; split sizes then come
# from the split stats; stats files in another format are read generically
"$BIN" --train-log $FX/train-log.jsonl --metrics $FX/metrics.json --train-json "" \
	--predictions "$T/none.tsv" --history "$T/none.jsonl" --split-dir "$T/nowhere" \
	--split-stats $FX/split.stats.json --tok-stats $FX/other-format-tok.stats.json \
	--filter-stats $FX/other-format-filter.stats.json \
	--html "$T/partial.html" --md "$T/partial.md" 2>"$T/partial.err" \
	|| fail "partial inputs: exit $?"
grep -q "none.tsv' not found" "$T/partial.err" || fail "absent input not announced"
$PY tests/e2e/report_check.py "$T/partial.html" 'Not available: predictions.tsv was not found' \
	'Not available: history.jsonl was not found' 'Not available: no split files' \
	'train.json was not found' '87.50%' '(from the split stats)' 'negative 160, positive 320' \
	'>neutral label<' '>56<' 'bad.<wbr>invalid_<wbr>utf8' '>372<' \
	|| fail "partial report: HTML check"
# nothing at all (a fresh checkout): still a page
"$BIN" --train-log "" --train-json "" --metrics "" --predictions "" --history "" \
	--split-dir "" --html "$T/empty.html" --md "" --quiet || fail "no inputs: exit $?"
$PY tests/e2e/report_check.py --no-plots-ok "$T/empty.html" \
	'Not available: metrics.json was not found' || fail "empty report: HTML check"

# three classes: a 3x3 heat map, no ROC curve; empty log and history files
cat > "$T/m3.json" <<'JSON'
{"split": "test", "n": 30, "loss": 0.9, "accuracy": 0.6, "macro_f1": 0.5871,
 "labels": ["negative", "neutral", "positive"],
 "confusion_matrix": [[8, 1, 1], [3, 4, 3], [1, 3, 6]],
 "per_class": [{"label": "negative", "precision": 0.6667, "recall": 0.8, "f1": 0.7273, "support": 10},
               {"label": "neutral", "precision": 0.5, "recall": 0.4, "f1": 0.4444, "support": 10},
               {"label": "positive", "precision": 0.6, "recall": 0.6, "f1": 0.6, "support": 10}],
 "roc_auc": null, "roc": null}
JSON
: > "$T/empty.jsonl"
"$BIN" --metrics "$T/m3.json" --train-log "$T/empty.jsonl" --history "$T/empty.jsonl" \
	--train-json $FX/train.json --predictions "" --split-dir "" --html "$T/m3.html" --md "" \
	--quiet || fail "three classes: exit $?"
$PY tests/e2e/report_check.py "$T/m3.html" '>neutral</text>' '>4</text>' '40.0%' \
	'ROC curve: only drawn for two classes' 'train-log.jsonl holds no finished epoch' \
	'this run (not in history yet)' || fail "three classes: HTML check"

# history.jsonl as scripts/retrain writes it: run names are its folders'
# basic UTC times (-2 for a second run in one second), shown month-day
# hour:minute in the chart and the headline
cat > "$T/retrain-history.jsonl" <<'JSON'
{"run": "20261130T030012Z", "accuracy": 0.85, "macro_f1": 0.84, "val_macro_f1": 0.86, "n": 40, "dumps": 1, "promoted": true}
{"run": "20261201T033000Z", "accuracy": 0.86, "macro_f1": 0.85, "val_macro_f1": 0.87, "n": 40, "dumps": 2, "promoted": true}
{"run": "20261201T033000Z-2", "accuracy": 0.8, "macro_f1": 0.79, "val_macro_f1": 0.8, "n": 40, "dumps": 2, "promoted": false}
JSON
"$BIN" "${full[@]}" --history "$T/retrain-history.jsonl" --html "$T/rh.html" --md "$T/rh.md" \
	--quiet || fail "retrain's history: exit $?"
$PY tests/e2e/report_check.py "$T/rh.html" '>11-30 03:00</text>' '>12-01 03:30</text>' \
	'>12-01 03:30-2</text>' 'accuracy vs last promoted run (12-01 03:30)' \
	'>20261201T033000Z-2<' || fail "retrain's history: HTML check"
grep -qF 'accuracy vs last promoted run (12-01 03:30)' "$T/rh.md" || fail "retrain's history: Markdown"
# the metric each run was promoted on (or not), named as retrain wrote it
for want in '| change | val\_macro\_f1 | test reviews |' '| 0.8600 | 40 | 1 | yes |' \
	    '| 0.8000 | 40 | 2 | no |'; do
	grep -qF -- "$want" "$T/rh.md" || fail "retrain's history: report.md lacks '$want'"
done
$PY tests/e2e/report_check.py "$T/rh.html" '>0.8700</td>' || fail "retrain's history: metric in HTML"
# a night retrain did not promote: artifacts/ and the report hold its model,
# so the headline says first that it is not in service and which run is
# (the last promoted one: runs/current)
grep -q 'Not promoted' "$T/rh.html" "$T/rh.md" && fail "retrain's history: another run called not promoted"
cp "$T/retrain-history.jsonl" "$T/np.jsonl"
echo '{"run": "20261202T033000Z", "accuracy": 0.875, "macro_f1": 0.8749, "val_macro_f1": 0.85, "n": 40, "dumps": 2, "promoted": false}' \
	>> "$T/np.jsonl"
"$BIN" "${full[@]}" --history "$T/np.jsonl" --html "$T/np.html" --md "$T/np.md" --quiet \
	|| fail "not promoted: exit $?"
np='this run (20261202T033000Z) did worse than the model in service (val_macro_f1 0.8500 vs 0.8700), which stays in use: run 20261201T033000Z (runs/current). The numbers below, and the model in artifacts/model.h5, are this run'
$PY tests/e2e/report_check.py "$T/np.html" "<p class=\"bad\">Not promoted: $np" \
	|| fail "not promoted: HTML headline"
grep -qF -- "**Not promoted:** ${np//_/\\_}" "$T/np.md" || fail "not promoted: Markdown headline"

# PROMOTE_METRIC changed between runs: each cell names its metric
sed '3s/"val_macro_f1": 0.8/"best_val_loss": 0.41/' "$T/retrain-history.jsonl" > "$T/mixed.jsonl"
"$BIN" "${full[@]}" --history "$T/mixed.jsonl" --html "" --md "$T/mixed.md" --quiet \
	|| fail "mixed metrics: exit $?"
for want in '| promotion metric |' '| val\_macro\_f1 0.8700 |' '| best\_val\_loss 0.4100 |'; do
	grep -qF -- "$want" "$T/mixed.md" || fail "mixed metrics: report.md lacks '$want'"
done

# a long history: the table lists the last 30 runs (as the chart shows);
# the earlier ones are folded in the HTML and counted in the Markdown (1000
# runs made a 300 KB page of one long table); changes still count them
$PY -c 'import json
for i in range(45):
    print(json.dumps({"run": "r%03d" % i, "accuracy": 0.8 + 0.001 * i, "macro_f1": 0.79,
                      "val_macro_f1": 0.8, "n": 40, "dumps": 1, "promoted": True}))' > "$T/long.jsonl"
"$BIN" "${full[@]}" --history "$T/long.jsonl" --html "$T/long.html" --md "$T/long.md" --quiet \
	|| fail "long history: exit $?"
for want in 'The last 30 runs of 46; the earlier ones are in history.jsonl' \
	    '| r016 | 0.8160 | +0.10 pp |' '| r044 |' '| this run (not in history yet) |'; do
	grep -qF -- "$want" "$T/long.md" || fail "long history: report.md lacks '$want'"
done
grep -qx 'The last 30 runs of 46; the earlier ones are in history.jsonl and, folded, in the HTML report.' \
	"$T/long.md" || fail "long history: report.md's note: $(grep -F 'The last 30' "$T/long.md")"
grep -qF '| r015 |' "$T/long.md" && fail "long history: report.md lists every run"
$PY - "$T/long.html" <<'PY' || fail "long history: the earlier runs are not folded in the HTML"
import sys
h = open(sys.argv[1], encoding="utf-8").read()
at = h.index("<details><summary>The 16 earlier runs</summary>")
for s in (">r000</td>", ">r015</td>", "</details>", "The last 30 runs of 46:", ">r016</td>",
          ">r044</td>"):
    at = h.index(s, at)  # in this order
assert h.count(">r015</td>") == 1
PY

# options that shape the output: --examples, --example-chars, the stem
# of --md's SVG files; SOURCE_DATE_EPOCH=0 is a time, "12abc" is not
"$BIN" "${full[@]}" --examples 2 --example-chars 20 --html "$T/opt/r.html" --md "$T/opt/a.md" \
	--md-svg --quiet || fail "--examples 2 --example-chars 20: exit $?"
grep -q 'Shown: the 1 most confident mistakes and 1 confident correct predictions' \
	"$T/opt/r.html" || fail "--examples 2: not 1 mistake and 1 right"
grep -qF 'Фильм отстой. Не сов …' "$T/opt/r.html" || fail "--example-chars 20: no 20-character review"
[ -s "$T/opt/a-loss.svg" ] || fail "--md a.md --md-svg: no a-loss.svg ($(ls "$T/opt"))"
SOURCE_DATE_EPOCH=0 "$BIN" "${full[@]}" --html "$T/opt/e0.html" --md "" --quiet ||
	fail "SOURCE_DATE_EPOCH=0: exit $?"
grep -q '1970-01-01 00:00 UTC' "$T/opt/e0.html" || fail "SOURCE_DATE_EPOCH=0: not 1970-01-01"
SOURCE_DATE_EPOCH=12abc "$BIN" "${full[@]}" --html "$T/opt/ex.html" --md "" 2>"$T/opt/ex.err" ||
	fail "SOURCE_DATE_EPOCH=12abc: exit $?"
grep -q "SOURCE_DATE_EPOCH '12abc' is not a number; using the current time" "$T/opt/ex.err" ||
	fail "SOURCE_DATE_EPOCH=12abc: $(cat "$T/opt/ex.err")"
# --md-svg without a Markdown report writes no SVG file (it wrote
# report-*.svg into the current folder)
mkdir -p "$T/cwd"
(cd "$T/cwd" && "$OLDPWD/$BIN" "${full[@]/#tests\//$OLDPWD/tests/}" --html "$T/opt/n.html" --md "" \
	--md-svg --quiet) || fail "--md '' --md-svg: exit $?"
[ -z "$(ls -A "$T/cwd")" ] || fail "--md '' --md-svg wrote: $(ls "$T/cwd")"

# an HTML report that cannot be written: exit 1, and neither the SVG
# files nor the Markdown are written after it
: >"$T/afile"
"$BIN" "${full[@]}" --html "$T/afile/r.html" --md "$T/hf/r.md" --md-svg --quiet 2>/dev/null
rc=$?
[ $rc -eq 1 ] || fail "--html under a file: exit $rc"
[ ! -e "$T/hf" ] || fail "--html under a file: wrote $(ls "$T/hf")"

# 4. malformed inputs: exit 1, the message names the file (and line)
"$BIN" "${full[@]}" --metrics $FX/bad-metrics.json --html "$T/x.html" --md "" 2>"$T/bad.err"
rc=$?
[ $rc -eq 1 ] || fail "malformed metrics.json: exit $rc, want 1"
grep -q "bad-metrics.json" "$T/bad.err" || fail "error does not name the file: $(cat "$T/bad.err")"
[ -e "$T/x.html" ] && fail "a failed run wrote its output"
printf '{"epoch": 1, "loss": 0.5}\n{"epoch": 2, "loss": \n' > "$T/log.jsonl"
"$BIN" "${full[@]}" --train-log "$T/log.jsonl" --html "$T/x.html" --md "" 2>"$T/bad.err"
[ $? -eq 1 ] && grep -q "log.jsonl:2:" "$T/bad.err" || fail "bad log line: $(cat "$T/bad.err")"
printf 'hash\tlabel\tpredicted\tprob_negative\tprob_positive\nxyz\tnegative\tnegative\t1\t0\n' \
	> "$T/p.tsv"
"$BIN" "${full[@]}" --predictions "$T/p.tsv" --html "$T/x.html" --md "" 2>"$T/bad.err"
[ $? -eq 1 ] && grep -q "p.tsv:2:" "$T/bad.err" || fail "bad predictions: $(cat "$T/bad.err")"
mkdir -p "$T/trunc" && head -c 3000 "$T/split/test.tok" > "$T/trunc/test.tok"
"$BIN" "${full[@]}" --split-dir "$T/trunc" --html "$T/x.html" --md "" 2>"$T/bad.err"
[ $? -eq 1 ] && grep -q "trunc/test.tok" "$T/bad.err" || fail "truncated tok: $(cat "$T/bad.err")"

# 5. usage: --help from the option table, exit 2 on bad options
"$BIN" --help > "$T/help" || fail "--help exit $?"
for opt in --train-log --metrics --split-dir --tok-stats --html --md --md-svg --examples; do
	grep -q -- "$opt" "$T/help" || fail "--help lacks $opt"
done
for args in "--examples x" "--examples 1000" "--bogus" "extra-arg" "--html= --md="; do
	"$BIN" $args >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "'report $args': exit $rc, want 2"
done

# 6. --md naming the file --html wrote: refused, the HTML left as it is
"$BIN" "${full[@]}" --html "$T/same.html" --md "$T/./same.html" 2>"$T/same.err"
rc=$?
[ $rc -eq 1 ] && grep -q "are the same file" "$T/same.err" ||
	fail "--html and --md one file: exit $rc, $(cat "$T/same.err")"
grep -q '<html' "$T/same.html" || fail "--md replaced the HTML report"
rm -rf "$T"
echo "report: ok"
