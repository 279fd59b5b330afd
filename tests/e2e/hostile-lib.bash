# tests/e2e/hostile-lib.bash - helpers sourced by the hostile-input and
# fault tests (tests/e2e/hostile_*.sh, fault_*.sh).  Not a test itself: the
# runner only runs tests/e2e/*.sh.  Sets BIN, tmp (removed at exit unless
# KEEP=1), VOCAB (a tiny vocabulary), and the helpers below.
#
# The contract they check, for every hostile input: a clear message naming
# the file, the documented exit status (0: bad records skipped and counted;
# 1: the dump or the run failed; 2: bad usage) and, when a stage fails,
# the artifact it would have replaced is byte for byte what it was before,
# with no temporary file left beside it.

BIN=${BUILD:-build}/bin
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/rnnpipe-e2e-hostile-XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

# run CMD...: runs it, stdout in $tmp/out, stderr in $tmp/err, exit in $rc
run() {
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
}
expect_rc() { # WANT WHAT
	[ "$rc" -eq "$1" ] || { sed 's/^/  | /' "$tmp/err" | head -n 20; fail "$2: exit $rc, want $1"; }
}
expect_err() { # TEXT: stderr must contain TEXT
	grep -qF -- "$1" "$tmp/err" || { sed 's/^/  | /' "$tmp/err" | head -n 20; fail "stderr lacks: $1"; }
}
expect_line() { # PREFIX TEXT: a stderr line starts with PREFIX and contains TEXT
	grep -F -- "$1" "$tmp/err" | grep -qF -- "$2" ||
		{ sed 's/^/  | /' "$tmp/err" | head -n 20; fail "stderr lacks a line '$1...$2'"; }
}
jget() { # FILE EXPR: the Python expression EXPR over the JSON in FILE (as d)
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
expect_json() { # FILE EXPR WANT
	local got
	got=$(jget "$1" "$2") || fail "cannot read $2 from $1"
	[ "$got" = "$3" ] || fail "$1: $2 is '$got', want '$3'"
}

# The binaries are built with sanitizers (their memory use means nothing).
# (not `ldd | grep -q`: under pipefail grep's early exit fails the pipe)
sanitized() { [[ $(ldd "$BIN/tokenize" 2>/dev/null) == *lib[atl]san* ]]; }

# Vocabulary: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, good 5, film 6,
# bad 7, ##s 8, . 9, plot 10, фильм 11, хороший 12, плохой 13
printf '%s\n' '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' good film bad '##s' . plot \
	фильм хороший плохой >"$tmp/vocab.txt"
VOCAB=$tmp/vocab.txt
T="$BIN/tokenize --vocab $VOCAB --quiet --threads 2"
GOOD='{"text": "good film", "label_text": "positive"}'
BAD='{"text": "bad plot", "label_text": "negative"}'

# A previous artifact at $tmp/prev.tok (from a good dump) and its checksum.
printf '%s\n%s\n' "$GOOD" "$BAD" >"$tmp/prev.jsonl"
$T --output "$tmp/prev.tok" "$tmp/prev.jsonl" || fail "cannot make the previous artifact"
PREV_SUM=$(sha256sum <"$tmp/prev.tok")

# no_temp DIR: fails when a temporary artifact (*.tmp.<pid>) is left in DIR
no_temp() {
	local left
	left=$(find "$1" -maxdepth 2 -name '*.tmp.*' 2>/dev/null | head -n 3)
	[ -z "$left" ] || fail "temporary file left behind: $left"
}

# tok_over_prev WHAT RC DUMP [OPTIONS...]: copies the previous artifact to
# $tmp/t.tok, runs tokenize --output $tmp/t.tok on DUMP and checks the exit
# status; on failure the artifact must be unchanged, on success replaced by
# a complete token file.  No temporary file may be left either way.
tok_over_prev() {
	local what=$1 want=$2 dump=$3
	shift 3
	cp "$tmp/prev.tok" "$tmp/t.tok"
	run $T --stats "$tmp/t.json" --output "$tmp/t.tok" "$@" "$dump"
	expect_rc "$want" "$what"
	if [ "$want" -ne 0 ]; then
		[ "$(sha256sum <"$tmp/t.tok")" = "$PREV_SUM" ] || fail "$what: the previous artifact changed"
	else
		"$BIN/tok-dump" --no-text "$tmp/t.tok" >"$tmp/t.dump" ||
			fail "$what: the new artifact does not read back"
	fi
	no_temp "$tmp"
}
