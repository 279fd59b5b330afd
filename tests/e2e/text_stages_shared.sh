#!/usr/bin/env bash
# The real shared dumps with the shared mBERT vocabulary: tokenize ->
# filter-relabel -> split, and every count adds up from stage to stage;
# --print-ids on sample-500 equals the Hugging Face golden ids; the token
# files do not depend on the thread count.  SKIP when the material is absent.
set -euo pipefail
. "$(dirname "$0")/text-lib.bash"
S=${SHARED:-../shared}
DUMPS=$S/data/kinopoisk/dumps
V=$S/vocab/bert-base-multilingual-cased/vocab.txt
GOLD=$S/golden/tokenize/sample-500-mbert.jsonl
TORTURE=$S/golden/tokenize/torture-mbert.jsonl
for f in "$DUMPS" "$V" "$GOLD" "$TORTURE" "$S/data/kinopoisk/sample-500.jsonl"; do
	[ -e "$f" ] || { echo "SKIP: $f not found (the shared material is absent)"; exit 77; }
done
dumps=("$DUMPS"/*)
[ ${#dumps[@]} -gt 0 ] || { echo "SKIP: no dumps in $DUMPS"; exit 77; }

# the interface tests and benchmarks rely on, against the golden ids:
# truncated (max_len 256) and not (0); the torture set has no labels, and
# its empty and control-only texts must still give one line each
golden() { # DUMP GOLDEN KEY MAX_LEN
	run "$BIN/tokenize" --vocab "$V" --max-len "$4" --print-ids "$1"
	expect_rc 0 "print-ids $1 --max-len $4"
	$PY - "$tmp/out" "$2" "$3" <<'EOF' || fail "print-ids $1 --max-len $4 differs from $2 ($3)"
import json, sys
got = [json.loads(l)["ids"] for l in open(sys.argv[1])]
want = [json.loads(l)[sys.argv[3]] for l in open(sys.argv[2])]
assert len(got) == len(want), (len(got), len(want))
bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
assert not bad, f"{len(bad)} reviews differ, first: line {bad[0] + 1}"
EOF
}
golden "$S/data/kinopoisk/sample-500.jsonl" "$GOLD" ids 256
golden "$S/data/kinopoisk/sample-500.jsonl" "$GOLD" ids_full 0
golden "$TORTURE" "$TORTURE" ids 256
golden "$TORTURE" "$TORTURE" ids_full 0

# the pipeline's first three stages
run "$BIN/tokenize" --vocab "$V" --out-dir "$tmp/tok" --stats "$tmp/tok.json" "${dumps[@]}"
expect_rc 0 tokenize
cat "$tmp/err"
toks=()
for d in "${dumps[@]}"; do
	b=$(basename "$d")
	b=${b%.gz}
	toks+=("$tmp/tok/${b%.*}.tok")
done
run "$BIN/filter-relabel" --output "$tmp/merged.tok" --stats "$tmp/merged.json" "${toks[@]}"
expect_rc 0 filter-relabel
cat "$tmp/err"
run "$BIN/split" --train "$tmp/split/train.tok" --validation "$tmp/split/validation.tok" \
	--test "$tmp/split/test.tok" --stats "$tmp/split.json" "$tmp/merged.tok"
expect_rc 0 split
cat "$tmp/err"
$PY - "$tmp/tok.json" "$tmp/merged.json" "$tmp/split.json" <<'EOF' || fail "counts do not add up"
import json, sys
tok, mer, spl = (json.load(open(p)) for p in sys.argv[1:4])
for d in tok["dumps"]:
    assert d["records"] == d["ok"] + d["bad"], d["path"]
    assert sum(d["labels"].values()) == d["ok"], d["path"]
    print(f'{d["path"].rsplit("/", 1)[1]}: {d["ok"]} reviews, {d["bad"]} bad, '
          f'{d["truncated"]} truncated, {d["mb_per_s"]:.1f} MB/s, labels {d["labels"]}')
assert tok["total"]["ok"] == sum(d["ok"] for d in tok["dumps"]) == mer["in"]
for i, d in zip(mer["inputs"], tok["dumps"]):
    assert i["in"] == d["ok"] and i["in"] == i["kept"] + sum(i["dropped"].values())
assert mer["in"] == mer["kept"] + sum(mer["dropped"].values())
assert mer["kept"] == sum(mer["classes"].values())
raw = {}
for d in tok["dumps"]:
    for k, v in d["labels"].items():
        raw[k] = raw.get(k, 0) + v
assert raw == mer["raw_labels"], (raw, mer["raw_labels"])
print(f'filter-relabel: {mer["in"]} in, {mer["kept"]} kept, classes {mer["classes"]}, '
      f'dropped {mer["dropped"]}')
n = {k: v["n"] for k, v in spl["splits"].items()}
assert spl["in"] == mer["kept"] and sum(n.values()) == spl["in"] - spl["duplicates_dropped"]
assert spl["duplicates_dropped"] == 0
for k, v in spl["splits"].items():
    assert sum(v["classes"].values()) == v["n"], k
    assert abs(v["fraction"] - spl["fractions"][k]) < 0.02, (k, v["fraction"])
print(f'split: {n}')
EOF

# the same bytes with one thread as with several
d0=${dumps[0]}
b=$(basename "$d0")
b=${b%.gz}
run "$BIN/tokenize" --vocab "$V" --threads 1 --output "$tmp/one.tok" "$d0"
expect_rc 0 "--threads 1"
cmp "$tmp/one.tok" "$tmp/tok/${b%.*}.tok" || fail "--threads 1 output differs"
echo "ok"
