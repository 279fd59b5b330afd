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
	# Sanitizer builds (make test SANITIZE=...): reports go to files in
	# $san (and exit 86), so a report fails the test even where the test
	# expected a failing exit status.  Harmless for plain builds.
	local san=$logdir/san/$name
	[[ $san = /* ]] || san=$PWD/$san # tests may change folders
	rm -rf "$san" && mkdir -p "$san"
	ASAN_OPTIONS="exitcode=86:log_path=$san/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$san/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
	LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
		"$@" >"$log" 2>&1 </dev/null
	rc=$?
	# (UBSan writes to stderr whatever log_path says: its reports land in
	# the test's log)
	if [ -n "$(ls -A "$san")" ] || grep -q 'runtime error: ' "$log"; then
		# (the summary is read before the log is appended to: grep refuses
		# a file that is also its output, and dropped the log's lines)
		local summary
		summary=$(grep -h -E 'ERROR: |SUMMARY: |runtime error' "$san"/* "$log" 2>/dev/null)
		{ echo "sanitizer reports (exit was $rc):"; cat "$san"/* 2>/dev/null
		  echo "sanitizer summary:"; printf '%s\n' "$summary"
		} >>"$log"
		rc=86
	fi
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
