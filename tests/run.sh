#!/usr/bin/env bash
# tests/run.sh - runs every unit test binary (build/tests/test_*) and every
# end-to-end script (tests/e2e/*.sh), then prints one summary line:
#   tests: N passed, N failed, N skipped
# A test passes with exit 0, is skipped with exit 77 (it printed "SKIP: why"),
# and fails with anything else.  Exit status: 0 when nothing failed.
#   tests/run.sh [PATTERN]   only tests whose name contains PATTERN
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export RNNPIPE_TOP=$PWD
export SHARED=${SHARED:-$PWD/../shared}
pattern=${1:-}
pass=0 fail=0 skip=0 failed=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"

run_one() { # name, command...
	local name=$1; shift
	[ -n "$pattern" ] && [[ $name != *"$pattern"* ]] && return
	local log=$logdir/$name.log start=$SECONDS rc
	mkdir -p "$(dirname "$log")" # e2e/<name>.log
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	local dt=$((SECONDS - start))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  %-40s %3ds\n' "$name" "$dt"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1))
		printf 'SKIP  %-40s %s\n' "$name" "$(grep -m1 -o 'SKIP:.*' "$log")"
	else
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL  %-40s (exit %d, log %s)\n' "$name" "$rc" "$log"
		tail -n 20 "$log" | sed 's/^/      | /'
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	run_one "e2e/$(basename "$t" .sh)" bash "$t"
done

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
