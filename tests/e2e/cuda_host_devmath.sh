#!/usr/bin/env bash
# tests/e2e/cuda_host_devmath.sh - the three GPU tests on the host emulator
# (tests/e2e/cuda_host_emu.sh) with EMU_DEVICE_MATH=1: the arithmetic moved
# as far from the CPU's as a GPU may move it (FMA contraction as nvcc does
# by default, tanhf/expf/exp/log off by the CUDA Math API's worst ulps,
# cuBLAS's sums and the blocks' atomics in other orders).  Every tolerance
# of docs/cuda.md must still hold: a tolerance that holds only for the
# CPU's own rounding would fail here, not on the first GPU run.  A
# sanitizer build SKIPs (this is about numbers; the plain build runs it).
set -euo pipefail
cd "${RNNPIPE_TOP:-$(dirname "$0")/../..}"
BUILD=${BUILD:-build}
stamp=$BUILD/flags.stamp
[ -f "$stamp" ] || { echo "missing $stamp: run make BUILD=$BUILD first" >&2; exit 1; }
if grep -q -- "-fsanitize=" "$stamp"; then
	echo "SKIP: a sanitizer build; the device-math run is about numbers and runs in the plain build"
	exit 77
fi
rc=0
EMU_DEVICE_MATH=1 EMU_TESTS="test_cuda_kernels test_cuda_train test_cuda_trainloop" \
	bash tests/e2e/cuda_host_emu.sh || rc=$?
[ $rc = 77 ] && exit 77
# the perturbations are compiled in: the nudged tanhf, the contraction
obj=$BUILD/emu-devmath/obj
nm "$obj/gru_cuda.o" | grep -q ' U nextafterf$' ||
	{ echo "FAIL: the device-math tanhf/expf are not in gru_cuda.o"; exit 1; }
grep -q -- "-ffp-contract=fast" "$BUILD/emu-devmath/flags" ||
	{ echo "FAIL: the device-math build does not contract to FMAs"; exit 1; }
exit $rc
