#!/usr/bin/env bash
# tests/e2e/bench_helpers.sh - the parts of the benchmark suite whose mistakes
# would silently give wrong numbers: bench/tok2fasttext (labels and texts of
# split files as fastText lines), and bench/run's metrics (accuracy, macro F1),
# id comparison and fastText preprocessing.  Small data made here; builds the
# helper with bench/bench.mk.  Needs tokenize, filter-relabel and split built
# (SKIP otherwise) and Debian's /usr/bin/python3.
set -u
cd "${RNNPIPE_TOP:-$(dirname "$0")/../..}"
BUILD=${BUILD:-build}
for s in tokenize filter-relabel split; do
	[ -x "$BUILD/bin/$s" ] || { echo "SKIP: $BUILD/bin/$s not built"; exit 77; }
done
PY=/usr/bin/python3
[ -x $PY ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the helper, built as bench/run builds it
mkf=(-f Makefile)
grep -qE '^\s*-?include\s+bench/bench\.mk' Makefile || mkf+=(-f bench/bench.mk)
make -s "${mkf[@]}" BUILD="$BUILD" "$BUILD/bench/tok2fasttext" >"$tmp/make.log" 2>&1 ||
	{ cat "$tmp/make.log"; fail "cannot build $BUILD/bench/tok2fasttext"; }
t2f=$BUILD/bench/tok2fasttext

# a tiny vocabulary and dump: texts with line breaks, a tab, a control
# character; three labels (neutral is dropped by the binary map)
printf '%s\n' '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' 'хорошо' 'плохо' 'фильм' ',' '.' > "$tmp/vocab.txt"
$PY - "$tmp/d.jsonl" <<'PY'
import json, sys
rows = [("хорошо, фильм.", "positive"), ("плохо\nфильм\r\nплохо", "negative"),
        ("фильм\tхорошо \u0001 хорошо", "positive"), ("фильм", "neutral"),
        ("плохо плохо", "negative"), ("хорошо хорошо фильм", "positive")]
with open(sys.argv[1], "w") as f:
    for i in range(30):
        t, l = rows[i % len(rows)]
        f.write(json.dumps({"text": f"{t} №{i}", "label_text": l}, ensure_ascii=False) + "\n")
PY
"$BUILD/bin/tokenize" --quiet --vocab "$tmp/vocab.txt" --output "$tmp/d.tok" "$tmp/d.jsonl" || fail tokenize
"$BUILD/bin/filter-relabel" --quiet --output "$tmp/m.tok" "$tmp/d.tok" || fail filter-relabel
"$BUILD/bin/split" --quiet --fractions 50/0/50 --train "$tmp/train.tok" \
	--validation "$tmp/validation.tok" --test "$tmp/test.tok" "$tmp/m.tok" || fail split

"$t2f" --quiet --output "$tmp/all.ft" "$tmp/train.tok" "$tmp/test.tok" || fail "tok2fasttext exit $?"
"$t2f" --quiet --limit 3 "$tmp/train.tok" > "$tmp/three.ft" || fail "tok2fasttext --limit"
"$t2f" --quiet "$tmp/d.tok" > /dev/null 2>&1 && fail "tok2fasttext accepted a file without label names"
$PY - "$tmp" <<'PY' || exit 1
import json, sys
tmp = sys.argv[1]
lines = open(f"{tmp}/all.ft", encoding="utf-8").read().split("\n")
assert lines[-1] == "", "output must end with a newline"
lines = lines[:-1]
# every binary-labelled review of the dump, each once, in some split
want = {}
for line in open(f"{tmp}/d.jsonl", encoding="utf-8"):
    r = json.loads(line)
    if r["label_text"] != "neutral":
        t = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in r["text"])
        want[t] = "__label__" + r["label_text"]
assert len(lines) == len(want), (len(lines), len(want))
got = {}
for line in lines:
    label, _, text = line.partition(" ")
    assert "\t" not in line and "\r" not in line and "\x01" not in line, repr(line)
    got[text] = label
assert got == want, (got, want)
three = open(f"{tmp}/three.ft", encoding="utf-8").read().splitlines()
assert len(three) == 3 and three == [l for l in lines[:3]], three
print("tok2fasttext: ok", len(lines), "reviews")
PY

# bench/run's own arithmetic
$PY - "$tmp" <<'PY' || exit 1
import importlib.machinery, importlib.util, json, math, sys
tmp = sys.argv[1]
loader = importlib.machinery.SourceFileLoader("benchrun", "bench/run")
spec = importlib.util.spec_from_loader("benchrun", loader)
b = importlib.util.module_from_spec(spec)
loader.exec_module(b)

# 10 reviews: gold a a a a a a b b b c; pred a a a a b b b b a c
gold = list("aaaaaabbbc")
pred = list("aaaabbbbac")
m = b.metrics(gold, pred)
assert m["n"] == 10 and math.isclose(m["accuracy"], 0.7), m
# a: P 4/5 R 4/6 F 8/11; b: P 2/4 R 2/3 F 4/7; c: P 1 R 1 F 1
assert math.isclose(m["macro_f1"], (8 / 11 + 4 / 7 + 1) / 3), m
assert m["confusion_matrix"] == [[4, 2, 0], [1, 2, 0], [0, 0, 1]], m["confusion_matrix"]
# a class never predicted has F1 0, not an error; a predicted class absent
# from gold does not enter the macro average
m = b.metrics(list("aab"), list("aaa"))
assert math.isclose(m["macro_f1"], (0.8 + 0.0) / 2), m
m = b.metrics(list("aa"), list("ab"))
assert math.isclose(m["macro_f1"], 2 / 3), m

def ids(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps({"ids": r}) + "\n")
ids(f"{tmp}/o", [[101, 5, 102], [101, 7, 8, 102], [101, 102]])
ids(f"{tmp}/h", [[101, 5, 102], [101, 7, 9, 102], [101, 102]])
c = b.cmp_ids(f"{tmp}/o", f"{tmp}/h")
assert c["reviews"] == 3 and c["identical"] == 2, c
assert c["first_difference"]["review"] == 1 and c["first_difference"]["position"] == 2, c
ids(f"{tmp}/h2", [[101, 5, 102], [101, 7, 8, 102]])
c = b.cmp_ids(f"{tmp}/o", f"{tmp}/h2")
assert c["reviews"] == 3 and c["identical"] == 2 and c["reviews_hf"] == 2, c
assert c["first_difference"] == {"review": 2, "what": "one side has fewer reviews"}, c
c = b.cmp_ids(f"{tmp}/o", f"{tmp}/o")
assert c["identical_pct"] == 100.0 and c["first_difference"] is None, c

with open(f"{tmp}/p.in", "w") as f:
    f.write("__label__positive Фильм, «ОТЛИЧНЫЙ»!  Смотрите...\n")
b.ft_prep(f"{tmp}/p.in", f"{tmp}/p.out")
out = open(f"{tmp}/p.out").read()
assert out == "__label__positive фильм , « отличный » ! смотрите . . .\n", repr(out)
print("bench/run arithmetic: ok")
PY
echo "bench helpers: ok"
