#!/usr/bin/env bash
# Replays the fuzz seed corpora and every saved crash input
# (tests/fuzz/corpus/<target>/) through the libFuzzer targets, built with
# clang and AddressSanitizer + UndefinedBehaviorSanitizer into
# $BUILD/fuzz (make fuzz-regress, mk/fuzz.mk): any crash, sanitizer report,
# leak or hang fails.  SKIPs when clang or its fuzzer runtime is missing
# (apt-get install clang libclang-rt-dev).
set -euo pipefail
cd "${RNNPIPE_TOP:-.}"
BUILD=${BUILD:-build}
command -v clang >/dev/null || { echo "SKIP: clang not installed (apt-get install clang libclang-rt-dev)"; exit 77; }
probe=$(mktemp -d /tmp/rnnpipe-fuzzprobe-XXXXXX)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err" ||
	{ echo "SKIP: clang cannot link libFuzzer ($(head -n 1 "$probe/err")); apt-get install libclang-rt-dev"; exit 77; }
# the fuzz targets' own sanitizer settings (mk/fuzz.mk), not run.sh's
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
make -s -j2 -f Makefile -f mk/fuzz.mk FUZZ_BUILD="$BUILD/fuzz" fuzz-regress
