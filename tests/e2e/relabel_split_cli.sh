#!/usr/bin/env bash
# tokenize -> filter-relabel -> split on small hand-made dumps: the fate of
# every review (kept, neutral dropped, duplicate, conflict, unknown label),
# label maps (default, 3class, custom), incompatible inputs, named splits,
# and that adding a dump moves no review to another split.
set -euo pipefail
. "$(dirname "$0")/text-lib.bash"
T="$BIN/tokenize --vocab $VOCAB --quiet"
FR="$BIN/filter-relabel --quiet"
SP="$BIN/split --quiet"

cat >"$tmp/d1.jsonl" <<'EOF'
{"text": "good film", "label_text": "positive"}
{"text": "bad plot", "label_text": "negative"}
{"text": "boring plot", "label_text": "neutral"}
{"text": "good plot", "label_text": "2"}
{"text": "bad film", "label_text": "0"}
{"text": "plot plot", "label_text": "great"}
EOF
printf 'comment_id,comment_kind,comment_text\n1,positive,good  film\n2,positive,"bad\nplot"\n3,bad,boring film\n4,neutral,boring plot\n5,good,film film\n' \
	>"$tmp/d2.csv"
run $T --out-dir "$tmp/tok" "$tmp/d1.jsonl" "$tmp/d2.csv"
expect_rc 0 tokenize

# default map: negative 0, neutral dropped, positive 1
run $FR --output "$tmp/merged.tok" --stats "$tmp/merged.json" "$tmp/tok/d1.tok" "$tmp/tok/d2.tok"
expect_rc 0 filter-relabel
expect_err "$tmp/d1.jsonl:6: unknown label 'great'"
expect_json "$tmp/merged.json" 'd["in"], d["kept"]' "(11, 5)"
expect_json "$tmp/merged.json" 'd["dropped"]' \
	"{'unknown_label': 1, 'label': 1, 'duplicate': 2, 'conflict': 2}"
expect_json "$tmp/merged.json" 'd["conflict_texts"]' 1
expect_json "$tmp/merged.json" 'd["classes"]' "{'negative': 2, 'positive': 3}"
expect_json "$tmp/merged.json" '[(i["in"], i["kept"]) for i in d["inputs"]]' "[(6, 3), (5, 2)]"
expect_json "$tmp/merged.json" 'd["inputs"][1]["dropped"]' \
	"{'unknown_label': 0, 'label': 0, 'duplicate': 2, 'conflict': 1}"
expect_json "$tmp/merged.json" 'd["unknown_labels"]["examples"]' \
	"[\"$tmp/d1.jsonl:6: unknown label 'great' (not in --labels negative=negative,neutral=drop,positive=positive)\"]"
# unknown labels past --max-print: the rest are counted in the stats file,
# which the message names (without --stats it says how to get one)
run $FR --output "$tmp/mp.tok" --stats "$tmp/mp.json" --max-print 0 "$tmp/tok/d1.tok"
expect_rc 0 "filter-relabel --max-print 0"
expect_err "'$tmp/mp.json' counts them by reason"
run $FR --output "$tmp/mp.tok" --max-print 0 "$tmp/tok/d1.tok"
expect_rc 0 "filter-relabel --max-print 0, no --stats"
expect_err "give --stats FILE"
"$BIN/tok-dump" --no-ids "$tmp/merged.tok" >"$tmp/merged.dump"
$PY - "$tmp/merged.dump" "$tmp" <<'EOF' || fail "merged records"
import json, sys
t = sys.argv[2]
got = [(r["text"], r["label"], r["source"], r["line"]) for r in map(json.loads, open(sys.argv[1]))]
want = [("good film", 1, t + "/d1.jsonl", 1), ("good plot", 1, t + "/d1.jsonl", 4),
        ("bad film", 0, t + "/d1.jsonl", 5), ("boring film", 0, t + "/d2.csv", 5),
        ("film film", 1, t + "/d2.csv", 7)]
assert got == want, got
EOF
"$BIN/tok-dump" --meta "$tmp/merged.tok" >"$tmp/meta.json"
expect_json "$tmp/meta.json" 'd["labels"]' "['negative', 'positive']"
expect_json "$tmp/meta.json" 'len(d["sources"])' 2

# 3class keeps neutral; a custom map with its own class names
run $FR --labels 3class --output "$tmp/m3.tok" --stats "$tmp/m3.json" "$tmp/tok/d1.tok" "$tmp/tok/d2.tok"
expect_rc 0 "3class"
expect_json "$tmp/m3.json" 'd["classes"]' "{'negative': 2, 'neutral': 1, 'positive': 3}"
expect_json "$tmp/m3.json" 'd["dropped"]["label"]' 0
run $FR --labels 'great=pos,positive=pos,negative=neg,neutral=drop' --output "$tmp/mc.tok" \
	--stats "$tmp/mc.json" "$tmp/tok/d1.tok" "$tmp/tok/d2.tok"
expect_rc 0 "custom map"
expect_json "$tmp/mc.json" 'd["classes"]' "{'pos': 4, 'neg': 2}"
expect_json "$tmp/mc.json" 'd["dropped"]["unknown_label"]' 0

# inputs tokenized differently cannot be merged
run $T --max-len 8 --output "$tmp/d1-8.tok" "$tmp/d1.jsonl"
run $FR --output "$tmp/bad-merge.tok" "$tmp/tok/d1.tok" "$tmp/d1-8.tok"
expect_rc 1 "incompatible inputs"
expect_err "were tokenized with different max_len"
[ ! -e "$tmp/bad-merge.tok" ] || fail "incompatible merge left its output"
# tokenize --nfc was not recorded: a dump tokenized with it merged silently
# with one tokenized without (other ids, other text hashes for the same
# decomposed text, so duplicates slipped through)
run $T --nfc --output "$tmp/d1-nfc.tok" "$tmp/d1.jsonl"
"$BIN/tok-dump" --meta "$tmp/d1-nfc.tok" | grep -q '"nfc":true' || fail "--nfc not in the metadata"
"$BIN/tok-dump" --meta "$tmp/tok/d1.tok" | grep -q '"nfc"' && fail "nfc in the metadata without --nfc"
run $FR --output "$tmp/bad-merge.tok" "$tmp/d1-nfc.tok" "$tmp/tok/d2.tok"
expect_rc 1 "--nfc and not"
expect_err "were tokenized with different normalisations (one with --nfc, one without)"
[ ! -e "$tmp/bad-merge.tok" ] || fail "--nfc merge left its output"

# split: counts add up; a split named by the dump wins
run $SP --train "$tmp/s1/train.tok" --validation "$tmp/s1/validation.tok" --test "$tmp/s1/test.tok" \
	--stats "$tmp/s1.json" "$tmp/merged.tok"
expect_rc 0 split
expect_json "$tmp/s1.json" 'sum(s["n"] for s in d["splits"].values())' 5
for i in $(seq 1 300); do echo "{\"text\": \"boring film $i plot\", \"label\": $((2 * (i % 2)))}"; done \
	>"$tmp/d3-test.jsonl"
for i in $(seq 1 2000); do echo "{\"text\": \"good plot $i\", \"label\": $((2 * (i % 2)))}"; done \
	>"$tmp/d4.jsonl"
run $T --out-dir "$tmp/tok" "$tmp/d3-test.jsonl" "$tmp/d4.jsonl"
expect_rc 0 "tokenize d3, d4"
run $FR --output "$tmp/merged2.tok" "$tmp/tok/d1.tok" "$tmp/tok/d2.tok" "$tmp/tok/d4.tok"
run $FR --output "$tmp/merged3.tok" "$tmp/tok/d1.tok" "$tmp/tok/d2.tok" "$tmp/tok/d4.tok" "$tmp/tok/d3-test.tok"
for k in 2 3; do
	run $SP --train "$tmp/s$k/train.tok" --validation "$tmp/s$k/validation.tok" \
		--test "$tmp/s$k/test.tok" --stats "$tmp/s$k.json" "$tmp/merged$k.tok"
	expect_rc 0 "split $k"
	for s in train validation test; do "$BIN/tok-dump" --no-ids --no-text "$tmp/s$k/$s.tok"; done \
		>"$tmp/s$k.dump"
done
expect_json "$tmp/s3.json" 'd["splits"]["test"]["named"]' 300
expect_json "$tmp/s3.json" 'd["in"]' 2305
$PY - "$tmp/s2.dump" "$tmp/s3.dump" "$tmp/s2.json" <<'EOF' || fail "split stability"
import json, sys
before = {r["hash"]: r["split"] for r in map(json.loads, open(sys.argv[1]))}
after = [json.loads(l) for l in open(sys.argv[2])]
placed = {}
for r in after:
    assert r["hash"] not in placed, "a review in two splits"
    placed[r["hash"]] = r["split"]
moved = [h for h, s in before.items() if placed.get(h) != s]
assert not moved, f"{len(moved)} reviews moved"
assert all(r["split"] == "test" for r in after if r["source"].endswith("d3-test.jsonl"))
st = json.load(open(sys.argv[3]))
n = {k: v["n"] for k, v in st["splits"].items()}
assert sum(n.values()) == 2005 and abs(n["train"] / 2005 - 0.8) < 0.05, n
EOF
run $SP --ignore-named --fractions 100/0/0 --train "$tmp/s4/train.tok" \
	--validation "$tmp/s4/validation.tok" --test "$tmp/s4/test.tok" --stats "$tmp/s4.json" "$tmp/merged3.tok"
expect_json "$tmp/s4.json" '[d["splits"][s]["n"] for s in ("train", "validation", "test")]' "[2305, 0, 0]"
run $SP --train "$tmp/same.tok" --validation "$tmp/same.tok" "$tmp/merged3.tok"
expect_rc 2 "split to one file twice"
run $SP --train "$tmp/s8/train.tok" --validation "$tmp/same.tok" --test "$tmp/same.tok" \
	"$tmp/merged3.tok"
expect_rc 2 "split to one file twice (validation and test)"
expect_err "must be three different files"
run $SP --train "$tmp/same.tok" --validation "$tmp/s8/validation.tok" --test "$tmp/same.tok" \
	"$tmp/merged3.tok"
expect_rc 2 "split to one file twice (train and test)"
expect_err "must be three different files"
for bad in 80/10 80/10/5 80/-10/30 x/y/z; do
	run $SP --fractions "$bad" --train "$tmp/s8/train.tok" --validation "$tmp/s8/validation.tok" \
		--test "$tmp/s8/test.tok" "$tmp/merged3.tok"
	expect_rc 2 "split --fractions $bad"
done
[ ! -e "$tmp/s8" ] || fail "a refused split wrote: $(ls "$tmp/s8")"
# an output (the stats, a split) that is an input of the run is refused,
# and the input is left as it was
cp "$tmp/merged3.tok" "$tmp/in3.tok"
for opt in --stats --test; do
	run $SP --train "$tmp/s8/train.tok" --validation "$tmp/s8/validation.tok" \
		--test "$tmp/s8/test.tok" "$opt" "$tmp/./in3.tok" "$tmp/in3.tok"
	expect_rc 1 "split $opt naming its input"
	expect_err "is an input of this run"
	cmp "$tmp/merged3.tok" "$tmp/in3.tok" || fail "split $opt naming its input replaced it"
done
# the same file under two spellings (or through a symlinked folder) shared
# one temporary name: two writers interleaved in it, and a file with no
# trailer was left under the final name.  Refused before anything is written.
mkdir -p "$tmp/sd"
ln -s sd "$tmp/sdlink"
for other in "$tmp/sd/./same.tok" "$tmp/sdlink/same.tok"; do
	run $SP --train "$tmp/sd/same.tok" --validation "$other" --test "$tmp/sd/t.tok" "$tmp/merged3.tok"
	expect_rc 1 "split to one file under two names ($other)"
	expect_err "are the same file; give each output its own name"
	[ -z "$(ls -A "$tmp/sd")" ] || fail "split to one file under two names left: $(ls "$tmp/sd")"
done
# stats that cannot be written fail before the work, and the outputs stay
# as they were (filter-relabel and split committed theirs, then failed on
# the stats, exit 1); stats named like an output never replace it
: >"$tmp/file"
cp "$tmp/merged3.tok" "$tmp/m5.tok"
run $FR --output "$tmp/m5.tok" --stats "$tmp/file/s.json" "$tmp/tok/d1.tok"
expect_rc 1 "filter-relabel --stats under a file"
expect_err "cannot create '$tmp/file/s.json'"
cmp "$tmp/merged3.tok" "$tmp/m5.tok" || fail "filter-relabel --stats under a file: output replaced"
run $FR --output "$tmp/m5.tok" --stats "$tmp/./m5.tok" "$tmp/tok/d1.tok"
expect_rc 1 "filter-relabel --stats naming the output"
expect_err "are the same file"
cmp "$tmp/merged3.tok" "$tmp/m5.tok" || fail "filter-relabel --stats naming the output: replaced"
run $SP --train "$tmp/s5/train.tok" --validation "$tmp/s5/validation.tok" \
	--test "$tmp/s5/test.tok" --stats "$tmp/file/s.json" "$tmp/merged3.tok"
expect_rc 1 "split --stats under a file"
expect_err "cannot create '$tmp/file/s.json'"
[ ! -e "$tmp/s5" ] || fail "split --stats under a file wrote: $(ls "$tmp/s5")"
mkdir -p "$tmp/s5"
cp "$tmp/merged3.tok" "$tmp/s5/test.tok"
run $SP --train "$tmp/s5/train.tok" --validation "$tmp/s5/validation.tok" \
	--test "$tmp/s5/test.tok" --stats "$tmp/s5/./test.tok" "$tmp/merged3.tok"
expect_rc 1 "split --stats naming an output"
expect_err "are the same file"
cmp "$tmp/merged3.tok" "$tmp/s5/test.tok" || fail "split --stats naming an output: replaced"
[ "$(ls "$tmp/s5")" = test.tok ] || fail "split --stats naming an output wrote: $(ls "$tmp/s5")"
ls "$tmp" "$tmp/s5" | grep -q '\.tmp\.' && fail "a temporary file was left"
# a label map that cannot be read is bad usage (exit 2), nothing written
for map in bogus 'positive=' '=negative'; do
	run $FR --labels "$map" --output "$tmp/lm.tok" "$tmp/tok/d1.tok"
	expect_rc 2 "filter-relabel --labels '$map'"
	[ ! -e "$tmp/lm.tok" ] || fail "filter-relabel --labels '$map' wrote"
done
# an empty path is bad usage, not a failure after the work (exit 1)
for opt in output stats; do
	run $FR "--$opt" '' "$tmp/tok/d1.tok"
	expect_rc 2 "filter-relabel --$opt ''"
	expect_err "--$opt: empty file name"
done
for opt in train validation test stats; do
	run $SP --train "$tmp/s6/train.tok" --validation "$tmp/s6/validation.tok" \
		--test "$tmp/s6/test.tok" "--$opt" '' "$tmp/merged3.tok"
	expect_rc 2 "split --$opt ''"
	expect_err "--$opt: empty file name"
	[ ! -e "$tmp/s6" ] || fail "split --$opt '' wrote: $(ls "$tmp/s6")"
done
# --max-len 0 cuts nothing, so the truncation side changes no id: such
# token files merge whatever --truncation said (they were refused as
# "tokenized with different truncation sides"); with a max_len they are not
run $T --max-len 0 --truncation head --output "$tmp/t0h.tok" "$tmp/d1.jsonl"
run $T --max-len 0 --truncation tail --output "$tmp/t0t.tok" "$tmp/d2.csv"
run $FR --output "$tmp/t0.tok" "$tmp/t0h.tok" "$tmp/t0t.tok"
expect_rc 0 "filter-relabel of --max-len 0 files with other --truncation"
run $SP --train "$tmp/s7/train.tok" --validation "$tmp/s7/validation.tok" \
	--test "$tmp/s7/test.tok" "$tmp/t0h.tok" "$tmp/t0t.tok"
expect_rc 0 "split of --max-len 0 files with other --truncation"
run $T --max-len 4 --truncation head --output "$tmp/t4h.tok" "$tmp/d1.jsonl"
run $T --max-len 4 --truncation tail --output "$tmp/t4t.tok" "$tmp/d2.csv"
run $FR --output "$tmp/t4.tok" "$tmp/t4h.tok" "$tmp/t4t.tok"
expect_rc 1 "filter-relabel of --max-len 4 files with other --truncation"
expect_err "were tokenized with different truncation sides"
echo "ok"
