#!/usr/bin/env bash
# Hostile structure through tokenize: JSON with duplicate keys, deep
# nesting, huge numbers, wrong types, trailing garbage, non-objects, empty
# and oversized labels; CSV with embedded newlines, unbalanced quotes,
# wrong field counts, a header and nothing else, a used column named
# twice (refused), 100000 columns.  Each bad record is named (file:line:
# reason), counted by reason, skipped with exit 0, or stops the run with
# --on-error fail (exit 1) leaving the previous artifact unchanged; good
# records around it keep their ids and line numbers.
set -euo pipefail
. "$(dirname "$0")/hostile-lib.bash"

# json_case NAME REASON_KEY MESSAGE LINE: a dump of GOOD, LINE, BAD
json_case() {
	local name=$1 key=$2 msg=$3 line=$4
	printf '%s\n%s\n%s\n' "$GOOD" "$line" "$BAD" >"$tmp/$name.jsonl"
	tok_over_prev "$name" 0 "$tmp/$name.jsonl"
	expect_line "$tmp/$name.jsonl:2: " "$msg"
	expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 2
	expect_json "$tmp/t.json" 'd["dumps"][0]["bad_by_reason"]' "{'$key': 1}"
	"$BIN/tok-dump" --no-text "$tmp/t.tok" | grep -c '"line":[13],' | grep -qx 2 ||
		fail "$name: the good records lost their line numbers"
	tok_over_prev "$name, --on-error fail" 1 "$tmp/$name.jsonl" --on-error fail
	expect_line "$tmp/$name.jsonl:2: " "$msg"
}

# -- duplicate keys: refused, never resolved silently
json_case dupkey invalid_json "duplicate object key near '\"text\"' (a key given twice)" \
	'{"text": "good", "label_text": "positive", "text": "bad"}'
json_case dupkey2 invalid_json "duplicate object key" \
	'{"text": "good", "label_text": "positive", "label_text": "negative"}'
# -- deep nesting (jansson's depth limit, no stack overflow)
deep_arr=$($PY -c 'print("[" * 100000 + "]" * 100000)')
json_case deeparray invalid_json "maximum parsing depth reached" \
	"{\"text\": \"good\", \"label_text\": \"positive\", \"x\": $deep_arr}"
deep_obj=$($PY -c 'print("{\"a\": " * 50000 + "1" + "}" * 50000)')
json_case deepobject invalid_json "maximum parsing depth reached" \
	"{\"text\": \"good\", \"label_text\": \"positive\", \"x\": $deep_obj}"
# -- huge numbers
json_case bigint invalid_json "too big integer" \
	'{"text": "good", "label_text": 123456789012345678901234567890}'
json_case bigreal invalid_json "real number overflow" \
	'{"text": "good", "label_text": "positive", "score": 1e400}'
json_case realabel bad_type "'label_text' is a number, not a string or an integer" \
	'{"text": "good", "label_text": 1.5}'
# -- wrong types
json_case textint bad_type "'text' is an integer, not a string" \
	'{"text": 5, "label_text": "positive"}'
json_case textarray bad_type "'text' is an array, not a string" \
	'{"text": ["good"], "label_text": "positive"}'
json_case textobject bad_type "'text' is an object, not a string" \
	'{"text": {"a": "good"}, "label_text": "positive"}'
json_case textbool bad_type "'text' is a boolean, not a string" \
	'{"text": true, "label_text": "positive"}'
json_case textnull missing_text "no 'text' field" '{"text": null, "label_text": "positive"}'
json_case labelbool bad_type "'label_text' is a boolean, not a string or an integer" \
	'{"text": "good", "label_text": false}'
json_case labelarray bad_type "'label_text' is an array" '{"text": "good", "label_text": ["x"]}'
json_case nolabel missing_label "no 'label_text' field" '{"text": "good"}'
json_case blanklabel bad_label "empty 'label_text'" '{"text": "good", "label_text": " \t "}'
json_case longlabel bad_label "'label_text' is 300 bytes long (limit 256)" \
	"{\"text\": \"good\", \"label_text\": \"$(head -c 300 /dev/zero | tr '\0' x)\"}"
# -- not one object per line
json_case garbage invalid_json "end of file expected near 'x'" \
	'{"text": "good", "label_text": "positive"} x'
json_case twoobjects invalid_json "end of file expected" "$GOOD$BAD"
json_case array invalid_json "expected a JSON object, found an array" '[1, 2]'
json_case number invalid_json "invalid JSON at column 2: '[' or '{' expected near '42'" '42'
# (the split field is looked for on the first record; BAD has none, so
# give the dump one for this case)
printf '%s\n%s\n' '{"text": "plot", "label_text": "positive", "split": "train"}' \
	'{"text": "good", "label_text": "positive", "split": 7}' >"$tmp/splittype.jsonl"
tok_over_prev "split of the wrong type" 0 "$tmp/splittype.jsonl"
expect_err "$tmp/splittype.jsonl:2: 'split' is an integer, not a string"
printf '%s\n%s\n' '{"text": "plot", "label_text": "positive", "split": "train"}' \
	'{"text": "good", "label_text": "positive", "split": "holdout"}' >"$tmp/splitname.jsonl"
tok_over_prev "unknown split" 0 "$tmp/splitname.jsonl"
expect_err "$tmp/splitname.jsonl:2: unknown split 'holdout' (expected train, validation or test)"
expect_json "$tmp/t.json" 'd["dumps"][0]["bad_by_reason"]' "{'unknown_split': 1}"

# a split field named with --split-field must be there, as a CSV column
# must: a misspelt name was ignored in JSON Lines (exit 0, no split
# honoured); now each record without it is bad, so such a dump fails
printf '%s\n%s\n' '{"text": "plot", "label_text": "positive", "fold": "test"}' \
	'{"text": "good", "label_text": "positive", "fold": "train"}' >"$tmp/fold.jsonl"
tok_over_prev "--split-field misspelt" 1 "$tmp/fold.jsonl" --split-field flod
expect_err "$tmp/fold.jsonl:1: no split field 'flod'"
expect_err "$tmp/fold.jsonl:2: no split field 'flod'"
expect_json "$tmp/t.json" 'd["dumps"][0]["bad_by_reason"]' "{'unknown_split': 2}"
tok_over_prev "--split-field named right" 0 "$tmp/fold.jsonl" --split-field fold
expect_json "$tmp/t.json" 'd["dumps"][0]["named_splits"]' "{'train': 1, 'test': 1}"
printf 'text,label_text,fold\nplot,positive,test\n' >"$tmp/fold.csv"
tok_over_prev "--split-field misspelt, CSV" 1 "$tmp/fold.csv" --split-field flod
expect_err "$tmp/fold.csv:1: no split column 'flod'"

# -- CSV: embedded newlines keep the record's first line; later records
# keep theirs
printf 'text,label\n"good\nfilm\n\nplot",positive\n"bad ""plot""",negative\nfilm,positive\n' \
	>"$tmp/multi.csv"
tok_over_prev "embedded newlines" 0 "$tmp/multi.csv"
"$BIN/tok-dump" --no-text "$tmp/t.tok" | $PY -c '
import json, sys
got = [(r["line"], r["ids"]) for r in map(json.loads, sys.stdin)]
want = [(2, [2, 5, 6, 10, 3]), (6, [2, 7, 1, 10, 1, 3]), (7, [2, 6, 3])]
sys.exit(0 if got == want else "embedded newlines: %r" % (got,))'

# -- unbalanced quotes: mid-record (resynchronised at the next line) and
# unterminated (runs to the end of the file: the records before it stay)
printf 'text,label\ngood,positive\ngo"od,positive\n"go"od,positive\nbad plot,negative\n' >"$tmp/q.csv"
tok_over_prev "quote inside a field" 0 "$tmp/q.csv"
expect_err "$tmp/q.csv:3: malformed quoting"
expect_err "$tmp/q.csv:4: malformed quoting"
expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 2
tok_over_prev "quote inside a field, --on-error fail" 1 "$tmp/q.csv" --on-error fail
printf 'text,label\ngood,positive\nbad plot,negative\n"never closed,positive\ngood\nfilm\n' >"$tmp/open.csv"
tok_over_prev "unterminated quote" 0 "$tmp/open.csv"
expect_err "$tmp/open.csv:4: unterminated quoted field: the quote opened in this record runs to the end of the file (3 lines)"
expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 2
printf 'text,label\n"never closed,positive\ngood,positive\n' >"$tmp/open2.csv"
tok_over_prev "unterminated quote, nothing usable" 1 "$tmp/open2.csv"
expect_err "no usable review"

# -- wrong field counts, empty fields
printf 'text,label\ngood,positive\ngood,positive,extra\nlonely\n,\nbad plot,negative\n' >"$tmp/fields.csv"
tok_over_prev "field counts" 0 "$tmp/fields.csv"
expect_err "$tmp/fields.csv:3: expected 2 fields as in the header, found 3"
expect_err "$tmp/fields.csv:4: expected 2 fields as in the header, found 1"
expect_err "$tmp/fields.csv:5: empty 'label'"
expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 2

# -- a header and nothing else; no text column
printf 'text,label\n' >"$tmp/header.csv"
tok_over_prev "header only" 1 "$tmp/header.csv"
expect_err "'$tmp/header.csv': no usable review (0 records, 0 bad)"
printf 'id,stars\n1,5\n' >"$tmp/nocol.csv"
tok_over_prev "no text column" 1 "$tmp/nocol.csv"
expect_err "$tmp/nocol.csv:1: no text column"

# -- a column the reader uses named twice: either could be meant, refused
# (also in another case, and for the label); an unused name twice is fine
printf 'text,label,text\ngood film,positive,bad plot\n' >"$tmp/dup.csv"
tok_over_prev "text column twice" 1 "$tmp/dup.csv"
expect_err "$tmp/dup.csv:1: column \"text\" appears twice in the header"
printf 'Label\ttext\tlabel\npositive\tgood film\tnegative\n' >"$tmp/dup.tsv"
tok_over_prev "label column twice (TSV, other case)" 1 "$tmp/dup.tsv"
expect_err "$tmp/dup.tsv:1: column \"Label\" appears twice in the header"
printf 'id,text,id,label\n1,good film,2,positive\n' >"$tmp/dupid.csv"
tok_over_prev "unused column twice" 0 "$tmp/dupid.csv"

# -- 100000 columns
$PY -c '
print(",".join("c%d" % i for i in range(100000)) + ",text,label")
print("," * 100000 + "good film,positive")' >"$tmp/wide.csv"
tok_over_prev "100000 columns" 0 "$tmp/wide.csv"
expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 1
echo "ok"
