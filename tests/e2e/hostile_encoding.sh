#!/usr/bin/env bash
# Hostile encodings through tokenize, in JSON Lines and CSV: invalid and
# overlong UTF-8, surrogates, code points over U+10FFFF, truncated
# sequences, NUL bytes (raw and escaped), byte-order marks (UTF-8 at the
# start and inside), UTF-16 files (named as such, with and without a BOM,
# plain and gzip), CRLF line ends, and cp1251 bytes mixed with UTF-8.
# Each bad record is named as file:line with its reason, counted in the
# stats, skipped (exit 0) or fatal with --on-error fail (exit 1) leaving
# the previous artifact unchanged; a file with no usable review fails
# (exit 1); CRLF and BOMs change nothing in the ids.
set -euo pipefail
. "$(dirname "$0")/hostile-lib.bash"

# -- invalid byte sequences inside a review, JSON Lines and CSV
i=0
for seq in '\xff' '\xc0\xaf' '\xe0\x80\xaf' '\xf0\x80\x80\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80' \
	'\xf8\x88\x80\x80\x80' '\xfe\xfe' '\xd0' '\x80' '\xe2\x82'; do
	i=$((i + 1))
	what="bad UTF-8 '$seq'"
	printf '%s\n{"text": "good '"$seq"' film", "label_text": "positive"}\n%s\n' "$GOOD" "$BAD" \
		>"$tmp/u$i.jsonl"
	tok_over_prev "$what, jsonl" 0 "$tmp/u$i.jsonl"
	expect_err "$tmp/u$i.jsonl:2: invalid UTF-8 at byte 15 of the line"
	expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 2
	expect_json "$tmp/t.json" 'd["dumps"][0]["bad_by_reason"]' "{'invalid_utf8': 1}"
	tok_over_prev "$what, jsonl, --on-error fail" 1 "$tmp/u$i.jsonl" --on-error fail
	expect_err "$tmp/u$i.jsonl:2: invalid UTF-8"

	printf 'text,label\ngood film,positive\n"bad '"$seq"'",negative\nbad plot,negative\n' \
		>"$tmp/u$i.csv"
	tok_over_prev "$what, csv" 0 "$tmp/u$i.csv"
	expect_err "$tmp/u$i.csv:3: invalid UTF-8 at byte 4 of field 'text'"
	expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 2
	tok_over_prev "$what, csv, --on-error fail" 1 "$tmp/u$i.csv" --on-error fail
done

# -- invalid UTF-8 in a CSV label, and in the header (fatal for the dump)
printf 'text,label\ngood film,posit\xefve\nbad plot,negative\n' >"$tmp/ulabel.csv"
tok_over_prev "bad UTF-8 in a label" 0 "$tmp/ulabel.csv"
expect_err "$tmp/ulabel.csv:2: invalid UTF-8 at byte 5 of field 'label'"
printf 'te\xd5t,label\ngood film,positive\n' >"$tmp/uhead.csv"
tok_over_prev "bad UTF-8 in the header" 1 "$tmp/uhead.csv"
expect_err "$tmp/uhead.csv:1: the header is not valid UTF-8"

# -- surrogate escapes: jansson refuses them as invalid JSON
printf '%s\n{"text": "good \\ud800 film", "label_text": "positive"}\n' "$GOOD" >"$tmp/sur.jsonl"
tok_over_prev "lone surrogate escape" 0 "$tmp/sur.jsonl"
expect_err "$tmp/sur.jsonl:2: invalid JSON at column"
expect_err "invalid Unicode"

# -- NUL bytes: a raw NUL inside a JSON line is invalid JSON; an escaped
# one (\u0000) and a raw one in a CSV field are dropped like other control
# characters (as Hugging Face does), so the ids are those without it
printf '%s\n{"text": "good \0film", "label_text": "positive"}\n' "$GOOD" >"$tmp/nul.jsonl"
tok_over_prev "raw NUL in JSON" 0 "$tmp/nul.jsonl"
expect_err "$tmp/nul.jsonl:2: invalid JSON at column"
expect_json "$tmp/t.json" 'd["dumps"][0]["bad_by_reason"]' "{'invalid_json': 1}"
printf '{"text": "good\\u0000 film\\u0000", "label_text": "positive"}\n' >"$tmp/nulesc.jsonl"
run $T --print-ids "$tmp/nulesc.jsonl"
expect_rc 0 "escaped NUL"
[ "$(cat "$tmp/out")" = '{"ids":[2,5,6,3]}' ] || fail "escaped NUL: ids $(cat "$tmp/out")"
printf 'text,label\n"good\0 film\0",positive\n' >"$tmp/nul.csv"
run $T --print-ids "$tmp/nul.csv"
expect_rc 0 "raw NUL in CSV"
[ "$(cat "$tmp/out")" = '{"ids":[2,5,6,3]}' ] || fail "NUL in CSV: ids $(cat "$tmp/out")"
# a NUL byte in a label (or a split) is a bad record where it is read: it
# used to pass as "positive\0", counted apart from "positive" in the raw
# label counts, and filter-relabel then said "unknown label 'positive'"
{
	echo '{"text": "good film", "label_text": "positive", "split": "train"}'
	echo '{"text": "bad film", "label_text": "positive\u0000", "split": "train"}'
	echo '{"text": "bad plot", "label_text": "negative", "split": "test"}'
	echo '{"text": "good plot", "label_text": "positive", "split": "train\u0000"}'
} >"$tmp/nullab.jsonl"
tok_over_prev "NUL in a JSON label" 0 "$tmp/nullab.jsonl"
expect_err "$tmp/nullab.jsonl:2: 'label_text' contains a NUL byte"
expect_err "$tmp/nullab.jsonl:4: 'split' contains a NUL byte"
expect_json "$tmp/t.json" 'sorted(d["dumps"][0]["bad_by_reason"].items())' "[('bad_label', 1), ('unknown_split', 1)]"
expect_json "$tmp/t.json" 'd["dumps"][0]["labels"]' "{'positive': 1, 'negative': 1}"
run "$BIN/filter-relabel" --quiet --output "$tmp/nullab-m.tok" "$tmp/t.tok"
expect_rc 0 "filter-relabel after a NUL label"
printf 'text,label\ngood film,positive\nbad film,"positive\0"\n' >"$tmp/nullab.csv"
tok_over_prev "NUL in a CSV label" 0 "$tmp/nullab.csv"
expect_err "$tmp/nullab.csv:3: 'label' contains a NUL byte"
expect_json "$tmp/t.json" 'd["dumps"][0]["labels"]' "{'positive': 1}"

# -- CRLF line ends and UTF-8 BOMs (file start, record start, inside a
# text) give the same ids as the plain LF file
printf 'text,label\n"good\nfilm",positive\nbad plot,negative\nфильм хороший,positive\n' >"$tmp/lf.csv"
run $T --print-ids "$tmp/lf.csv"
expect_rc 0 "LF csv"
cp "$tmp/out" "$tmp/lf.ids"
[ "$(wc -l <"$tmp/lf.ids")" -eq 3 ] || fail "LF csv: $(cat "$tmp/lf.ids")"
sed 's/$/\r/' "$tmp/lf.csv" >"$tmp/crlf.csv"
printf '\xef\xbb\xbf' | cat - "$tmp/crlf.csv" >"$tmp/bomcrlf.csv"
printf 'text,label\n"good\nfilm",positive\n\xef\xbb\xbfbad plot,negative\nфильм \xef\xbb\xbfхороший,positive\n' \
	>"$tmp/bommid.csv"
for f in crlf bomcrlf bommid; do
	run $T --print-ids "$tmp/$f.csv"
	expect_rc 0 "$f csv"
	cmp -s "$tmp/out" "$tmp/lf.ids" || fail "$f csv: ids differ from the LF file: $(cat "$tmp/out")"
done
printf '\xef\xbb\xbf%s\r\n\r\n%s\r\n' "$GOOD" "$BAD" >"$tmp/crlf.jsonl"
run $T --print-ids "$tmp/crlf.jsonl"
expect_rc 0 "CRLF jsonl with BOM"
[ "$(cat "$tmp/out")" = $'{"ids":[2,5,6,3]}\n{"ids":[2,7,10,3]}' ] || fail "CRLF jsonl: $(cat "$tmp/out")"

# -- UTF-16 files: named as such in one error (not line by line as bad
# UTF-8), exit 1, with a BOM (FF FE / FE FF) or without one (ASCII with a
# NUL every other byte), plain and gzip; the iconv command the message
# suggests gives a dump that reads
# u16_case NAME FILE ENDIAN ICONV_FROM: FILE holds GOOD and BAD (or a CSV)
u16_case() {
	local name=$1 f=$2 endian=$3 from=$4 conv
	tok_over_prev "$name" 1 "$f"
	expect_err "$f:1: the file is UTF-16 ($endian); convert it to UTF-8, e.g. iconv -f $from -t UTF-8"
	if grep -q "invalid UTF-8\|not valid UTF-8" "$tmp/err"; then fail "$name: also reported as bad UTF-8"; fi
	conv=$tmp/conv-$(basename "$f" .gz)
	if [[ $f == *.gz ]]; then gzip -dc "$f"; else cat "$f"; fi | iconv -f "$from" -t UTF-8 >"$conv"
	tok_over_prev "$name, converted as suggested" 0 "$conv"
}
printf '%s\n%s\n' "$GOOD" "$BAD" | iconv -f utf-8 -t utf-16le >"$tmp/u16le.raw"
printf '%s\n%s\n' "$GOOD" "$BAD" | iconv -f utf-8 -t utf-16be >"$tmp/u16be.raw"
{ printf '\xff\xfe'; cat "$tmp/u16le.raw"; } >"$tmp/u16.jsonl"
u16_case "UTF-16 jsonl" "$tmp/u16.jsonl" little-endian UTF-16
{ printf '\xfe\xff'; cat "$tmp/u16be.raw"; } >"$tmp/u16be.jsonl"
u16_case "UTF-16BE jsonl" "$tmp/u16be.jsonl" big-endian UTF-16
cp "$tmp/u16le.raw" "$tmp/u16nobom.jsonl"
u16_case "UTF-16LE jsonl without BOM" "$tmp/u16nobom.jsonl" "little-endian, no BOM" UTF-16LE
printf 'text,label\ngood film,positive\n' | iconv -f utf-8 -t utf-16 >"$tmp/u16.csv"
u16_case "UTF-16 csv" "$tmp/u16.csv" little-endian UTF-16
printf 'text,label\ngood film,positive\n' | iconv -f utf-8 -t utf-16be >"$tmp/u16nobom.csv"
u16_case "UTF-16BE csv without BOM" "$tmp/u16nobom.csv" "big-endian, no BOM" UTF-16BE
gzip -nc "$tmp/u16.jsonl" >"$tmp/u16gz.jsonl.gz"
u16_case "UTF-16 jsonl.gz" "$tmp/u16gz.jsonl.gz" little-endian UTF-16
gzip -nc "$tmp/u16nobom.jsonl" >"$tmp/u16nobomgz.jsonl.gz"
u16_case "UTF-16LE jsonl.gz without BOM" "$tmp/u16nobomgz.jsonl.gz" "little-endian, no BOM" UTF-16LE

# -- cp1251: a whole cp1251 dump fails; cp1251 lines mixed into a UTF-8
# dump are skipped one by one
printf '%s\n' '{"text": "фильм хороший", "label_text": "positive"}' \
	'{"text": "фильм плохой", "label_text": "negative"}' >"$tmp/ru.jsonl"
iconv -f utf-8 -t cp1251 "$tmp/ru.jsonl" >"$tmp/cp1251.jsonl"
tok_over_prev "cp1251 dump" 1 "$tmp/cp1251.jsonl"
expect_err "$tmp/cp1251.jsonl:1: invalid UTF-8"
expect_err "$tmp/cp1251.jsonl:2: invalid UTF-8"
{ cat "$tmp/ru.jsonl"; cat "$tmp/cp1251.jsonl"; echo "$GOOD"; } >"$tmp/mixed.jsonl"
tok_over_prev "mixed UTF-8 and cp1251" 0 "$tmp/mixed.jsonl"
expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 3
expect_json "$tmp/t.json" 'd["dumps"][0]["bad_by_reason"]' "{'invalid_utf8': 2}"
expect_err "$tmp/mixed.jsonl:3: invalid UTF-8"
expect_err "$tmp/mixed.jsonl:4: invalid UTF-8"
{ printf 'text,label\n'; printf 'фильм хороший,positive\n'; printf 'фильм плохой,negative\n' |
	iconv -f utf-8 -t cp1251; } >"$tmp/mixed.csv"
tok_over_prev "mixed csv" 0 "$tmp/mixed.csv"
expect_err "$tmp/mixed.csv:3: invalid UTF-8 at byte 0 of field 'text'"
echo "ok"
