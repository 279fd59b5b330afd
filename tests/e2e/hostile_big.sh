#!/usr/bin/env bash
# Oversized input: a 200 MB JSON line and a 200 MB quoted CSV field
# spanning 200000 lines, each between two good reviews: the oversized
# record is skipped and counted as too_long with its line, the good ones
# keep their ids; so is an 80 MB review in a gzip that expands 60:1.  A
# gzip bomb (0.5 MB that expand to 500 MB inside one review) is refused as
# a whole within a fraction of a second (exit 1).
# Memory stays bounded (peak RSS under 100 MB, measured with /usr/bin/time
# unless the binaries carry sanitizers, whose shadow memory dominates).
# Inputs are generated on the fly in a temporary folder and removed.
set -euo pipefail
. "$(dirname "$0")/hostile-lib.bash"

LIMIT_KB=100000
measure=1
{ [ -x /usr/bin/time ] && ! sanitized; } || measure=0
# big_run WHAT DUMP: tokenize (skip policy), exit 0, RSS bounded
big_run() {
	local what=$1 dump=$2
	set +e
	if [ $measure = 1 ]; then
		/usr/bin/time -f '%M' -o "$tmp/rss" $T --stats "$tmp/t.json" --output "$tmp/t.tok" \
			"$dump" >"$tmp/out" 2>"$tmp/err"
	else
		$T --stats "$tmp/t.json" --output "$tmp/t.tok" "$dump" >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	set -e
	expect_rc 0 "$what"
	if [ $measure = 1 ]; then
		local rss
		rss=$(tail -n 1 "$tmp/rss")
		echo "$what: peak RSS $rss KB"
		[ "$rss" -lt $LIMIT_KB ] || fail "$what: peak RSS $rss KB (bounded: < $LIMIT_KB KB)"
	fi
	expect_json "$tmp/t.json" 'd["dumps"][0]["ok"]' 2
	expect_json "$tmp/t.json" 'd["dumps"][0]["bad_by_reason"]' "{'too_long': 1}"
	"$BIN/tok-dump" --no-text "$tmp/t.tok" | $PY -c '
import json, sys
got = [r["ids"] for r in map(json.loads, sys.stdin)]
sys.exit(0 if got == [[2, 5, 6, 3], [2, 7, 10, 3]] else "records around it: %r" % (got,))'
	no_temp "$tmp"
}

# -- a 200 MB line
{
	echo "$GOOD"
	printf '{"text": "'
	head -c 200000000 /dev/zero | tr '\0' a
	printf '", "label_text": "positive"}\n'
	echo "$BAD"
} >"$tmp/line.jsonl"
big_run "200 MB line" "$tmp/line.jsonl"
expect_err "$tmp/line.jsonl:2: line of 200000039 bytes is over the limit of 16777216 bytes (skipped; see --max-record-mb)"
# --on-error fail: exit 1, previous artifact unchanged
tok_over_prev "200 MB line, --on-error fail" 1 "$tmp/line.jsonl" --on-error fail
rm -f "$tmp/line.jsonl"

# -- a 200 MB quoted CSV field over 200000 lines (quote parity is followed
# past the limit, so the records after it are found again)
{
	printf 'text,label\ngood film,positive\n"'
	head -c 200000000 /dev/zero | tr '\0' a | fold -w 999
	printf '",positive\nbad plot,negative\n'
} >"$tmp/field.csv"
big_run "200 MB CSV field" "$tmp/field.csv"
expect_err "$tmp/field.csv:3: record of"
expect_err "is over the limit of 16777216 bytes"
[[ $("$BIN/tok-dump" --no-text "$tmp/t.tok") == *'"line":200204,'* ]] || fail "line number after the long field"
rm -f "$tmp/field.csv"

# -- a big gzip that is no bomb: 80 members of 1 MB each (a's and 20 kB of
# seeded base64 noise: about 60:1) inside one review, 80 MB expanded: under
# the bomb guard's ratio, so read to its end and the review skipped as above
$PY -c '
import base64, random, sys
r = random.Random(1)
sys.stdout.write("a" * 1000000 + base64.b64encode(bytes(r.getrandbits(8) for _ in range(15000))).decode())' |
	gzip -n >"$tmp/block.gz"
{
	printf '%s\n{"text": "' "$GOOD" | gzip -n
	for _ in $(seq 1 80); do cat "$tmp/block.gz"; done
	printf '", "label_text": "positive"}\n%s\n' "$BAD" | gzip -n
} >"$tmp/big.jsonl.gz"
echo "80 MB gzip: $(stat -c %s "$tmp/big.jsonl.gz") bytes"
big_run "80 MB gzip at 60:1" "$tmp/big.jsonl.gz"
expect_err "$tmp/big.jsonl.gz:2: line of 81600039 bytes is over the limit"
rm -f "$tmp/big.jsonl.gz"

# -- gzip bomb: 5 members of 100 MB of one letter each (about 100 KB each)
# inside one review's text: 0.5 MB of gzip, 500 MB when expanded.  Refused
# as a whole (exit 1, previous artifact unchanged) once more than 64 MiB
# have come out at over 200:1, so its time is bounded too (it used to be
# read to the end: about 1 s per GB)
head -c 100000000 /dev/zero | tr '\0' a | gzip -9n >"$tmp/a100.gz"
{
	printf '%s\n{"text": "' "$GOOD" | gzip -n
	for _ in 1 2 3 4 5; do cat "$tmp/a100.gz"; done
	printf '", "label_text": "positive"}\n%s\n' "$BAD" | gzip -n
} >"$tmp/bomb.jsonl.gz"
echo "gzip bomb: $(stat -c %s "$tmp/bomb.jsonl.gz") bytes"
t0=$(date +%s%N)
tok_over_prev "gzip bomb" 1 "$tmp/bomb.jsonl.gz"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_err "$tmp/bomb.jsonl.gz: gzip expands over 200:1 ("
expect_err "refusing it as a likely gzip bomb"
echo "gzip bomb refused after $ms ms: $(grep -o 'gzip expands.*' "$tmp/err")"
# (about 0.1 s here; 10 s allows for a loaded machine and sanitizers)
[ $ms -lt 10000 ] || fail "gzip bomb: refused only after $ms ms"
# memory: bounded as for the big records above
if [ $measure = 1 ]; then
	/usr/bin/time -f '%M' -o "$tmp/rss" $T --output "$tmp/t.tok" "$tmp/bomb.jsonl.gz" 2>/dev/null &&
		fail "gzip bomb accepted"
	rss=$(tail -n 1 "$tmp/rss")
	echo "gzip bomb: peak RSS $rss KB"
	[ "$rss" -lt $LIMIT_KB ] || fail "gzip bomb: peak RSS $rss KB (bounded: < $LIMIT_KB KB)"
fi
# the same bomb cut short: refused the same way before its end is reached
head -c 300000 "$tmp/bomb.jsonl.gz" >"$tmp/cut.jsonl.gz"
tok_over_prev "truncated gzip bomb" 1 "$tmp/cut.jsonl.gz"
expect_err "refusing it as a likely gzip bomb"
echo "ok"
