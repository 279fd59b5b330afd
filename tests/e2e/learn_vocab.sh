#!/usr/bin/env bash
# learn-vocab: learns a vocab.txt from dumps (no label needed), the same
# file whatever the dump order, usable by tokenize with no [UNK] on its own
# texts; bad records are reported and counted; bad usage exits 2.
set -euo pipefail
. "$(dirname "$0")/text-lib.bash"
L="$BIN/learn-vocab --quiet"

words=(кино фильм сюжет актёры скучно отлично плохо музыка финал режиссёр)
for i in $(seq 1 400); do
	echo "{\"text\": \"${words[i % 10]} ${words[(i * 3) % 10]}, ${words[(i * 7) % 10]}! $i\", \"label\": $((i % 3))}"
done >"$tmp/a.jsonl"
{
	echo "id,body"
	for i in $(seq 1 300); do echo "$i,\"${words[(i * 9) % 10]} ${words[i % 10]} (${words[(i * 3) % 10]})\""; done
	printf '301,"bad \xff byte"\n'
} >"$tmp/b.csv"

run $L --size 200 --output "$tmp/v1.txt" --stats "$tmp/v1.json" --text-field body "$tmp/a.jsonl" "$tmp/b.csv"
expect_rc 1 "--text-field body does not fit a.jsonl"
run $L --size 200 --output "$tmp/v1.txt" --stats "$tmp/v1.json" "$tmp/a.jsonl" "$tmp/b.csv"
expect_rc 0 learn-vocab
expect_err "$tmp/b.csv:302: invalid UTF-8 at byte 4 of field 'body'"
[ "$(wc -l <"$tmp/v1.txt")" -le 200 ] || fail "more than --size lines"
[ "$(head -n 5 "$tmp/v1.txt" | tr '\n' ' ')" = '[PAD] [UNK] [CLS] [SEP] [MASK] ' ] || fail "special tokens"
expect_json "$tmp/v1.json" '[x["ok"] for x in d["dumps"]]' "[400, 300]"
expect_json "$tmp/v1.json" 'd["bad_records"]["by_reason"]' "{'invalid_utf8': 1}"
expect_json "$tmp/v1.json" 'd["learner"]["texts"]' 700
expect_json "$tmp/v1.json" 'd["learner"]["size"] == len(open("'"$tmp/v1.txt"'").read().splitlines())' True

# deterministic: another dump order, another run, same bytes
run $L --size 200 --output "$tmp/v2.txt" "$tmp/b.csv" "$tmp/a.jsonl"
expect_rc 0 "learn-vocab, reversed"
cmp "$tmp/v1.txt" "$tmp/v2.txt" || fail "dump order changed the vocabulary"

# tokenize with it: no [UNK] on the texts it was learned from
run "$BIN/tokenize" --vocab "$tmp/v1.txt" --max-len 0 --print-ids "$tmp/a.jsonl"
expect_rc 0 "tokenize with the learned vocabulary"
[ "$(wc -l <"$tmp/out")" -eq 400 ] || fail "tokenize printed $(wc -l <"$tmp/out") lines"
! grep -qE '[[,]1[],]' "$tmp/out" || fail "[UNK] (id 1) in the ids of a training text"

# --fractions: learn from the reviews split will put in train, and only those
cp "$tmp/a.jsonl" "$tmp/a-test.jsonl"
run $L --size 200 --fractions 80/10/10 --output "$tmp/vt.txt" --stats "$tmp/vt.json" \
	"$tmp/a.jsonl" "$tmp/a-test.jsonl"
expect_rc 0 "learn-vocab --fractions"
expect_json "$tmp/vt.json" '[(x["ok"] + x["not_train"]) for x in d["dumps"]]' "[400, 400]"
expect_json "$tmp/vt.json" 'd["dumps"][1]["ok"]' 0
ntrain=$(jget "$tmp/vt.json" 'd["dumps"][0]["ok"]')
[ "$ntrain" -gt 280 ] && [ "$ntrain" -lt 360 ] || fail "$ntrain of 400 reviews in train"
run "$BIN/tokenize" --quiet --vocab "$tmp/vt.txt" --output "$tmp/a.tok" "$tmp/a.jsonl"
run "$BIN/filter-relabel" --quiet --labels 3class --output "$tmp/a-m.tok" "$tmp/a.tok"
run "$BIN/split" --quiet --train "$tmp/s/train.tok" --validation "$tmp/s/validation.tok" \
	--test "$tmp/s/test.tok" --stats "$tmp/s.json" "$tmp/a-m.tok"
expect_rc 0 "split after learn-vocab --fractions"
expect_json "$tmp/s.json" 'd["splits"]["train"]["n"]' "$ntrain"

# failures
run $L --on-error fail --output "$tmp/v3.txt" "$tmp/b.csv"
expect_rc 1 "--on-error fail"
[ ! -e "$tmp/v3.txt" ] || fail "a failed run wrote its vocabulary"
# --max-errors N: N bad records are skipped, N + 1 fail the run
{ head -n 20 "$tmp/a.jsonl"; printf '{"text": 1}\n{"text": 2}\n{"text": 3}\n'; } >"$tmp/many.jsonl"
run $L --max-errors 2 --output "$tmp/vmax.txt" "$tmp/many.jsonl"
expect_rc 1 "--max-errors 2, 3 bad records"
expect_err "more than 2 bad records (--max-errors)"
[ ! -e "$tmp/vmax.txt" ] || fail "a run over --max-errors wrote its vocabulary"
run $L --max-errors 3 --output "$tmp/vmax.txt" "$tmp/many.jsonl"
expect_rc 0 "--max-errors 3, 3 bad records"
: >"$tmp/empty.jsonl"
run $L --output "$tmp/v4.txt" "$tmp/empty.jsonl"
expect_rc 1 "empty dump"
expect_err "empty file (no records)"
run $L --size 3 "$tmp/a.jsonl"
expect_rc 2 "--size 3"
run $L
expect_rc 2 "no dump"
# --ignore-named only changes which reviews --fractions keeps: alone it
# was silently a no-op
run $L --ignore-named --output "$tmp/v5.txt" "$tmp/a.jsonl"
expect_rc 2 "--ignore-named without --fractions"
expect_err "--ignore-named needs --fractions"
[ ! -e "$tmp/v5.txt" ] || fail "--ignore-named without --fractions wrote a vocabulary"
# a failed run's stats say so, for the run and for the dump that failed
run $L --size 200 --on-error fail --output "$tmp/fl.txt" --stats "$tmp/fl.json" "$tmp/b.csv"
expect_rc 1 "--on-error fail on a bad record"
expect_json "$tmp/fl.json" '[d["status"], d["dumps"][0]["status"]]' "['failed', 'failed']"
# --min-frequency and --max-alphabet reach the learner (its stats say so)
run $L --size 200 --min-frequency 3 --max-alphabet 20 --output "$tmp/mf.txt" --stats "$tmp/mf.json" \
	"$tmp/a.jsonl"
expect_rc 0 "--min-frequency 3 --max-alphabet 20"
expect_json "$tmp/mf.json" '[d["options"]["min_frequency"], d["options"]["max_alphabet"]]' "[3, 20]"
expect_json "$tmp/mf.json" 'd["learner"]["dropped_alphabet"] > 0' True
run $L --fractions 80/10 --output "$tmp/v5.txt" "$tmp/a.jsonl"
expect_rc 2 "--fractions 80/10"
[ ! -e "$tmp/v5.txt" ] || fail "--fractions 80/10 wrote a vocabulary"
# without --fractions, or with --ignore-named, no split is asked of a
# record: its split field is not read, and a value split would not know
# is no bad record
printf '%s\n' '{"text": "кино фильм сюжет", "split": "holdout"}' \
	'{"text": "финал музыка кино", "split": "train"}' >"$tmp/sp.jsonl"
run $L --size 50 --output "$tmp/sp6.txt" --stats "$tmp/sp6.json" "$tmp/sp.jsonl"
expect_rc 0 "learn-vocab on a dump with an unknown split"
expect_json "$tmp/sp6.json" '[(x["ok"], x["bad"]) for x in d["dumps"]]' "[(2, 0)]"
run $L --size 50 --fractions 80/10/10 --ignore-named --output "$tmp/sp7.txt" --stats "$tmp/sp7.json" \
	"$tmp/sp.jsonl"
expect_rc 0 "learn-vocab --ignore-named on a dump with an unknown split"
expect_json "$tmp/sp7.json" '[(x["ok"] + x["not_train"], x["bad"]) for x in d["dumps"]]' "[(2, 0)]"
# outputs that cannot be written fail before the dumps are read (the
# vocabulary was learned and committed, then the stats failed, exit 1; an
# unwritable vocabulary failed only after the learning)
: >"$tmp/file"
run $L --output "$tmp/v6.txt" --stats "$tmp/file/s.json" "$tmp/b.csv"
expect_rc 1 "--stats under a file"
expect_err "cannot create '$tmp/file/s.json'"
grep -q "invalid UTF-8" "$tmp/err" && fail "--stats under a file: the dumps were read first"
[ ! -e "$tmp/v6.txt" ] || fail "--stats under a file: the vocabulary was written"
run $L --output "$tmp/file/v.txt" --stats "$tmp/v6.json" "$tmp/b.csv"
expect_rc 1 "--output under a file"
expect_err "cannot create '$tmp/file/v.txt'"
grep -q "invalid UTF-8" "$tmp/err" && fail "--output under a file: the dumps were read first"
[ ! -e "$tmp/v6.json" ] || fail "--output under a file: stats written"
cp "$tmp/v1.txt" "$tmp/v7.txt"
run $L --output "$tmp/v7.txt" --stats "$tmp/./v7.txt" "$tmp/b.csv"
expect_rc 1 "--stats naming the vocabulary"
cmp "$tmp/v1.txt" "$tmp/v7.txt" || fail "--stats naming the vocabulary replaced it"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temporary file was left"
# an empty field or path is bad usage (--text-field '' made every record
# bad, exit 1; --output '' and --stats '' failed after the learning)
for opt in text-field output stats; do
	case $opt in *-field) what="field name" ;; *) what="file name" ;; esac
	run $L --output "$tmp/e.txt" "--$opt" '' "$tmp/a.jsonl"
	expect_rc 2 "--$opt ''"
	expect_err "--$opt: empty $what"
	[ ! -e "$tmp/e.txt" ] || fail "--$opt '' wrote a vocabulary"
done
# a dump that breaks off after good records (a cut gzip stream): the run
# fails, no vocabulary of what was read, the stats say where
gzip -c "$tmp/a.jsonl" >"$tmp/cut.jsonl.gz"
size=$(stat -c %s "$tmp/cut.jsonl.gz")
truncate -s $((size - 100)) "$tmp/cut.jsonl.gz"
run $L --size 200 --output "$tmp/cut.txt" --stats "$tmp/cut.json" "$tmp/cut.jsonl.gz"
expect_rc 1 "a cut gzip dump"
expect_err "$tmp/cut.jsonl.gz"
[ ! -e "$tmp/cut.txt" ] || fail "a cut gzip dump: a vocabulary was written"
expect_json "$tmp/cut.json" '[d["status"], d["dumps"][0]["status"], d["dumps"][0]["ok"] > 0]' \
	"['failed', 'failed', True]"
echo "ok"
