# tests/e2e/text-lib.bash - helpers sourced by the text-stage e2e tests
# (tokenize, filter-relabel, split, learn-vocab).  Not a test itself: the
# runner only runs tests/e2e/*.sh.  Sets BIN, PY, tmp, VOCAB (a tiny vocab).

BIN=${BUILD:-build}/bin
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/rnnpipe-e2e-text-XXXXXX)

fail() { echo "FAIL: $*"; exit 1; }

# run CMD...: runs it, keeps stdout in $tmp/out, stderr in $tmp/err, exit in $rc
run() {
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
}
expect_rc() { # WANT WHAT
	[ "$rc" -eq "$1" ] || { sed 's/^/  | /' "$tmp/err"; fail "$2: exit $rc, want $1"; }
}
expect_err() { # TEXT: stderr must contain TEXT
	grep -qF -- "$1" "$tmp/err" || { sed 's/^/  | /' "$tmp/err"; fail "stderr lacks: $1"; }
}
# jget FILE EXPR: prints the Python expression EXPR over the JSON in FILE (as d)
jget() {
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
expect_json() { # FILE EXPR WANT
	local got
	got=$(jget "$1" "$2") || fail "cannot read $2 from $1"
	[ "$got" = "$3" ] || fail "$1: $2 is '$got', want '$3'"
}

# A tiny vocabulary: ids [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4,
# good 5, film 6, bad 7, ##s 8, . 9, plot 10, boring 11
printf '%s\n' '[PAD]' '[UNK]' '[CLS]' '[SEP]' '[MASK]' good film bad '##s' . plot boring \
	>"$tmp/vocab.txt"
VOCAB=$tmp/vocab.txt
