#!/usr/bin/env bash
# tokenize on good input with a tiny vocabulary: exact --print-ids output
# (the interface tests and benchmarks rely on), truncation sides, JSONL /
# CSV (quotes, commas, newlines) / TSV / gzip, field detection, --out-dir
# names (a double extension, a name that is only an extension), splits
# named by a field or the file name, the stats file (totals, threads),
# --nfc, a vocabulary without [CLS] refused, and
# identical output for any thread count.
set -euo pipefail
. "$(dirname "$0")/text-lib.bash"
T="$BIN/tokenize --vocab $VOCAB --quiet"

printf '{"text": "good films.", "label": 2}\n{"text": "bad\\tplot", "label": 0}\n' >"$tmp/a.jsonl"
run $T --print-ids "$tmp/a.jsonl"
expect_rc 0 "print-ids"
[ "$(cat "$tmp/out")" = $'{"ids":[2,5,6,8,9,3]}\n{"ids":[2,7,10,3]}' ] || fail "print-ids: $(cat "$tmp/out")"
check_first() { # WANT OPTIONS...: first output line of tokenize OPTIONS a.jsonl
	local want=$1
	shift
	run $T "$@" --print-ids "$tmp/a.jsonl"
	expect_rc 0 "$*"
	[ "$(head -n 1 "$tmp/out")" = "$want" ] || fail "$*: $(head -n 1 "$tmp/out"), want $want"
}
check_first '{"ids":[2,5,6,3]}' --max-len 4
check_first '{"ids":[2,5,6,3]}' --max-len 4 --truncation head
check_first '{"ids":[2,8,9,3]}' --max-len 4 --truncation tail
check_first '{"ids":[2,6,8,9,3]}' --max-len 5 --truncation head+tail
check_first '{"ids":[2,3]}' --max-len 2
check_first '{"ids":[2,5,6,8,9,3]}' --max-len 0
check_first '{"ids":[2,5,6,8,9,3]}' --max-len 6

# --print-ids alone needs no label; an empty text is [CLS] [SEP], as in
# Hugging Face, and counted; writing a token file does need labels
printf '{"text": "good"}\n{"text": ""}\n{"text": " \\u0007 "}\n{"text": "bad"}\n' >"$tmp/bare.jsonl"
run $T --stats "$tmp/bare.json" --print-ids "$tmp/bare.jsonl"
expect_rc 0 "bare texts"
[ "$(cat "$tmp/out")" = $'{"ids":[2,5,3]}\n{"ids":[2,3]}\n{"ids":[2,3]}\n{"ids":[2,7,3]}' ] ||
	fail "bare texts: $(cat "$tmp/out")"
expect_json "$tmp/bare.json" 'd["dumps"][0]["empty_text"]' 2
# the counts of the stats: truncated is longer than --max-len (a review of
# exactly max_len ids is not), tokens are the ids written (after
# truncation), empty texts are [CLS] [SEP] alone
printf '{"text": "good film"}\n{"text": "good films."}\n{"text": ""}\n{"text": ""}\n' >"$tmp/counts.jsonl"
run $T --max-len 4 --stats "$tmp/counts.json" --print-ids "$tmp/counts.jsonl"
expect_rc 0 "counts"
[ "$(cat "$tmp/out")" = $'{"ids":[2,5,6,3]}\n{"ids":[2,5,6,3]}\n{"ids":[2,3]}\n{"ids":[2,3]}' ] ||
	fail "counts: $(cat "$tmp/out")"
expect_json "$tmp/counts.json" '[d["dumps"][0][k] for k in ("ok", "truncated", "empty_text", "tokens")]' '[4, 1, 2, 12]'
# text_bytes are the bytes of the texts (9 + 11 + 0 + 0), not their ids;
# texts read without labels count no label (not 4 empty ones)
expect_json "$tmp/counts.json" '[d["dumps"][0][k] for k in ("text_bytes", "labels")]' '[20, {}]'
# --max-len 0 cuts nothing: no review counts as truncated (each is longer
# than 0 ids), every id is written
run $T --max-len 0 --stats "$tmp/counts0.json" --print-ids "$tmp/counts.jsonl"
expect_rc 0 "counts at --max-len 0"
expect_json "$tmp/counts0.json" '[d["dumps"][0][k] for k in ("ok", "truncated", "empty_text", "tokens")]' '[4, 0, 2, 14]'
# --nfc composes before the lookup: и + combining breve is the token й
printf '%s\n' '[PAD]' '[UNK]' '[CLS]' '[SEP]' 'й' >"$tmp/vocab-y.txt"
printf '{"text": "\xd0\xb8\xcc\x86"}\n' >"$tmp/nfd.jsonl"
run "$BIN/tokenize" --vocab "$tmp/vocab-y.txt" --quiet --print-ids "$tmp/nfd.jsonl"
[ "$(cat "$tmp/out")" = '{"ids":[2,1,3]}' ] || fail "without --nfc: $(cat "$tmp/out")"
run "$BIN/tokenize" --vocab "$tmp/vocab-y.txt" --quiet --nfc --print-ids "$tmp/nfd.jsonl"
[ "$(cat "$tmp/out")" = '{"ids":[2,4,3]}' ] || fail "--nfc: $(cat "$tmp/out")"
# a vocabulary without [CLS] is refused, naming it
printf '%s\n' '[PAD]' '[UNK]' '[SEP]' good >"$tmp/vocab-nocls.txt"
run "$BIN/tokenize" --vocab "$tmp/vocab-nocls.txt" --quiet --print-ids "$tmp/a.jsonl"
expect_rc 1 "a vocabulary without [CLS]"
expect_err "'$tmp/vocab-nocls.txt' has no [CLS] or [SEP] token"
run $T --output "$tmp/bare.tok" "$tmp/bare.jsonl"
expect_rc 1 "a token file of unlabelled texts"
expect_err "$tmp/bare.jsonl:1: no label field (looked for label_text, label, comment_kind"

# CSV with quoted commas, quotes and newlines; the shared dump's field names
printf 'comment_id,comment_kind,comment_text\r\n1,positive,"good, ""film"""\r\n2,bad,"bad\r\nplot"\r\n3,neutral,boring\r\n' \
	>"$tmp/b.csv"
gzip -c "$tmp/b.csv" >"$tmp/b.csv.gz"
printf 'sentiment\ttext\npositive\tboring film\n' >"$tmp/c.tsv"
for f in b.csv b.csv.gz; do
	run $T --print-ids "$tmp/$f"
	expect_rc 0 "$f"
	[ "$(cat "$tmp/out")" = $'{"ids":[2,5,1,1,6,1,3]}\n{"ids":[2,7,10,3]}\n{"ids":[2,11,3]}' ] ||
		fail "$f: $(cat "$tmp/out")"
done
run $T --print-ids "$tmp/c.tsv"
[ "$(cat "$tmp/out")" = '{"ids":[2,11,6,3]}' ] || fail "tsv: $(cat "$tmp/out")"
cp "$tmp/c.tsv" "$tmp/noext"
run $T --print-ids "$tmp/noext"
[ "$(cat "$tmp/out")" = '{"ids":[2,11,6,3]}' ] || fail "tsv found by content: $(cat "$tmp/out")"
run $T --format csv --print-ids "$tmp/c.tsv"
expect_rc 1 "a TSV read as CSV has no text column"

# --out-dir: one token file per dump, named after it; stats per dump
printf '{"text": "good film", "label_text": "positive", "split": "validation"}\n{"text": "plot", "label_text": "negative"}\n' \
	>"$tmp/extra-test.jsonl"
run $T --out-dir "$tmp/tok" --stats "$tmp/stats.json" "$tmp/a.jsonl" "$tmp/b.csv.gz" \
	"$tmp/extra-test.jsonl"
expect_rc 0 "--out-dir"
for n in a b extra-test; do [ -f "$tmp/tok/$n.tok" ] || fail "no $tmp/tok/$n.tok"; done
[ "$(ls "$tmp/tok" | wc -l)" -eq 3 ] || fail "stray files in --out-dir: $(ls "$tmp/tok")"
expect_json "$tmp/stats.json" '[x["ok"] for x in d["dumps"]]' '[2, 3, 2]'
expect_json "$tmp/stats.json" 'd["dumps"][1]["fields"]' \
	"{'text': 'comment_text', 'label': 'comment_kind', 'split': None}"
expect_json "$tmp/stats.json" 'd["dumps"][1]["labels"]' "{'positive': 1, 'bad': 1, 'neutral': 1}"
expect_json "$tmp/stats.json" 'd["dumps"][2]["split_from_name"]' test
expect_json "$tmp/stats.json" 'd["dumps"][2]["named_splits"]' "{'validation': 1, 'test': 1}"
expect_json "$tmp/stats.json" 'd["total"]["ok"]' 7
expect_json "$tmp/stats.json" 'd["total"]["bytes"] == sum(x["bytes"] for x in d["dumps"]) > 0' True
# names: only the last dump extension (and .gz) goes; a name that is only
# an extension keeps it
mkdir -p "$tmp/names"
cp "$tmp/a.jsonl" "$tmp/names/d.json.jsonl"
cp "$tmp/a.jsonl" "$tmp/names/.jsonl"
run $T --out-dir "$tmp/names/tok" "$tmp/names/d.json.jsonl" "$tmp/names/.jsonl"
expect_rc 0 "--out-dir, odd names"
[ "$(ls -A "$tmp/names/tok" | tr '\n' ' ')" = '.jsonl.tok d.json.tok ' ] ||
	fail "--out-dir names: $(ls -A "$tmp/names/tok")"
"$BIN/tok-dump" --no-ids "$tmp/tok/b.tok" >"$tmp/b.dump"
$PY - "$tmp/b.dump" "$tmp/b.csv.gz" <<'EOF' || fail "b.tok records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
got = [(r["line"], r["label_raw"], r["label"], r["split"], r["text"], r["source"]) for r in recs]
want = [(2, "positive", -1, "", 'good, "film"', sys.argv[2]),
        (3, "bad", -1, "", "bad\r\nplot", sys.argv[2]),
        (5, "neutral", -1, "", "boring", sys.argv[2])]
assert got == want, got
EOF
"$BIN/tok-dump" --no-text "$tmp/tok/extra-test.tok" >"$tmp/x.dump"
[ "$(cut -d, -f4 "$tmp/x.dump" | tr '\n' ' ')" = '"split":"validation" "split":"test" ' ] ||
	fail "named splits: $(cat "$tmp/x.dump")"
# a split field that the first reviews lack: the later ones that have it
# are honoured (the field was looked for on the first record only, so a
# dump's test reviews after a first review without it went by hash, maybe
# into train), whatever the thread count
{ printf '{"text": "plot", "label": "negative"}\n'
  for i in $(seq 1 600); do printf '{"text": "film %d", "label": "positive", "split": "test"}\n' $i; done
} >"$tmp/late.jsonl"
for th in 1 2; do
	run $T --threads $th --output "$tmp/late.tok" --stats "$tmp/late.json" "$tmp/late.jsonl"
	expect_rc 0 "split field from the second record on"
	expect_json "$tmp/late.json" 'd["dumps"][0]["named_splits"]' "{'test': 600}"
	expect_json "$tmp/late.json" 'd["threads"]' $th
done
"$BIN/tok-dump" --meta "$tmp/tok/a.tok" >"$tmp/meta.json"
expect_json "$tmp/meta.json" '[d["count"], d["max_len"], d["truncation"], d["vocab_size"], d["cls_id"], d["labels"]]' \
	"[2, 256, 'head', 12, 2, []]"

# the same bytes whatever the thread count, bad records reported in order
for i in $(seq 1 4000); do
	case $((i % 500)) in
	7) echo '{"text": 42, "label": 1}' ;;
	9) echo "{\"text\": \"good \\u0000 film $i\"" ;;
	*) echo "{\"text\": \"good film $((i % 7)) bad plot $i boring\", \"label\": $((i % 3))}" ;;
	esac
done >"$tmp/many.jsonl"
for t in 1 2 3; do
	run $T --threads $t --output "$tmp/many-$t.tok" "$tmp/many.jsonl"
	expect_rc 0 "--threads $t"
	mv "$tmp/err" "$tmp/err-$t"
done
cmp "$tmp/many-1.tok" "$tmp/many-2.tok" || fail "--threads 1 and 2 differ"
cmp "$tmp/many-1.tok" "$tmp/many-3.tok" || fail "--threads 1 and 3 differ"
cmp "$tmp/err-1" "$tmp/err-3" || fail "messages differ with the thread count"
[ "$(head -n 1 "$tmp/err-1")" = "$tmp/many.jsonl:7: 'text' is an integer, not a string" ] ||
	fail "first message: $(head -n 1 "$tmp/err-1")"
[ "$(grep -c . "$tmp/err-1")" -eq 16 ] || fail "expected 16 bad-record messages: $(cat "$tmp/err-1")"
# all outputs are opened before the work: stats that cannot be written
# fail before the dump is read and leave no token file (the token file
# was committed, then the stats failed with exit 1), and stats named like
# the token file never replace it
: >"$tmp/file"
run $T --output "$tmp/st.tok" --stats "$tmp/file/s.json" "$tmp/many.jsonl"
expect_rc 1 "--stats under a file"
expect_err "cannot create '$tmp/file/s.json'"
grep -q "is an integer" "$tmp/err" && fail "--stats under a file: the dump was read first"
[ ! -e "$tmp/st.tok" ] || fail "--stats under a file: the token file was written"
cp "$tmp/many-1.tok" "$tmp/st.tok"
run $T --output "$tmp/st.tok" --stats "$tmp/./st.tok" "$tmp/many.jsonl"
expect_rc 1 "--stats naming the token file"
expect_err "are the same file"
grep -q "is an integer" "$tmp/err" && fail "--stats naming the token file: the dump was read first"
cmp "$tmp/many-1.tok" "$tmp/st.tok" || fail "--stats naming the token file replaced it"
run $T --out-dir "$tmp/file" --stats "$tmp/st.json" "$tmp/a.jsonl"
expect_rc 1 "--out-dir a file"
expect_err "cannot create '$tmp/file/a.tok': Not a directory"
[ ! -e "$tmp/st.json" ] || fail "--out-dir a file: stats written"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temporary file was left"
# an empty field or path (an unset variable) is bad usage: --text-field ''
# and --label-field '' made every record bad (exit 1), --split-field ''
# ignored the split field, --out-dir '' wrote /<dump>.tok
for opt in text-field label-field split-field output out-dir stats vocab; do
	case $opt in *-field) what="field name" ;; out-dir) what="folder name" ;; *) what="file name" ;; esac
	run $T --output "$tmp/e.tok" "--$opt" '' "$tmp/a.jsonl"
	expect_rc 2 "--$opt ''"
	expect_err "--$opt: empty $what"
	[ ! -e "$tmp/e.tok" ] || fail "--$opt '' wrote a token file"
done
run $T --output "$tmp/e.tok" --split-field '' "$tmp/a.jsonl"
expect_err "--split-field: empty field name ('none' ignores a split field)"
# --output and --out-dir together, --output with two dumps, and two dumps
# --out-dir would write to one file are bad usage, before anything is read
mkdir -p "$tmp/x" "$tmp/y"
cp "$tmp/a.jsonl" "$tmp/x/a.jsonl"
cp "$tmp/a.jsonl" "$tmp/y/a.jsonl"
run $T --output "$tmp/u.tok" --out-dir "$tmp/u" "$tmp/a.jsonl"
expect_rc 2 "--output with --out-dir"
expect_err "give --output or --out-dir, not both"
run $T --output "$tmp/u.tok" "$tmp/x/a.jsonl" "$tmp/y/a.jsonl"
expect_rc 2 "--output with two dumps"
expect_err "--output takes one dump; use --out-dir for 2"
run $T --out-dir "$tmp/u" "$tmp/x/a.jsonl" "$tmp/y/a.jsonl"
expect_rc 2 "--out-dir with two dumps of one name"
expect_err "'$tmp/x/a.jsonl' and '$tmp/y/a.jsonl' would both write '$tmp/u/a.tok'"
[ ! -e "$tmp/u.tok" ] && [ ! -e "$tmp/u" ] || fail "refused tokenize runs wrote output"
# --split-field none ignores the dump's split field; --print-ids reads
# none either (a split it would not know is no bad record)
printf '%s\n' '{"text": "a b", "label": "x", "split": "test"}' \
	'{"text": "b a", "label": "x", "split": "holdout"}' >"$tmp/sf.jsonl"
run $T --split-field none --output "$tmp/sf.tok" "$tmp/sf.jsonl"
expect_rc 0 "--split-field none"
"$BIN/tok-dump" --no-text --no-ids "$tmp/sf.tok" >"$tmp/sf.txt"
[ "$(wc -l <"$tmp/sf.txt")" -eq 2 ] && ! grep -q '"split":"test"' "$tmp/sf.txt" ||
	fail "--split-field none: $(cat "$tmp/sf.txt")"
run $T --print-ids "$tmp/sf.jsonl"
expect_rc 0 "--print-ids of a dump with an unknown split"
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--print-ids, unknown split: $(cat "$tmp/out" "$tmp/err")"
# --print-ids reads texts only, unless a label field is named: then a
# record without it is bad (and not printed)
printf '%s\n' '{"text": "a b", "label": "x"}' '{"text": "b a"}' >"$tmp/nl.jsonl"
run $T --print-ids "$tmp/nl.jsonl"
expect_rc 0 "--print-ids of a dump without labels"
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--print-ids: $(cat "$tmp/out")"
run $T --print-ids --label-field label "$tmp/nl.jsonl"
expect_rc 0 "--print-ids --label-field"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "--print-ids --label-field label: $(cat "$tmp/out")"
expect_err "$tmp/nl.jsonl:2: "
# bad records past --max-print: the count points to the stats file only
# when there is one (it said "see the stats file" without --stats)
run $T --max-print 0 --output "$tmp/mp.tok" "$tmp/many.jsonl"
expect_rc 0 "--max-print 0"
expect_err "16 more bad records not shown (--max-print 0); raise it to print them, or give --stats FILE"
grep -q "see the stats file" "$tmp/err" && fail "--max-print 0 without --stats: 'see the stats file'"
run $T --max-print 1 --stats "$tmp/mp.json" --output "$tmp/mp.tok" "$tmp/many.jsonl"
expect_rc 0 "--max-print 1 --stats"
expect_err "15 more bad records not shown (--max-print 1); '$tmp/mp.json' counts them by reason"
echo "ok"
