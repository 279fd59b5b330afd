#!/usr/bin/env bash
# tests/e2e/cuda_emu.sh - the CUDA persistent recurrence kernels, run on the
# CPU by the emulator kernels/dev/cell_emu.cc (one host thread per CUDA
# thread) and compared with the CPU cells.  Needs no GPU and no nvcc: a C++20
# compiler and the library built by make.  SKIP without g++.
set -euo pipefail
cd "${RNNPIPE_TOP:-$(dirname "$0")/../..}"
BUILD=${BUILD:-build}
CXX=${CXX:-g++}
if ! command -v "$CXX" >/dev/null; then
	echo "SKIP: no C++ compiler ($CXX) for the kernel emulator"
	exit 77
fi
lib=$BUILD/lib/librnnpipe.a
[ -f "$lib" ] || { echo "missing $lib: run make BUILD=$BUILD first" >&2; exit 1; }
out=$BUILD/dev/cell_emu
mkdir -p "$(dirname "$out")"
# a library built with SANITIZE=... needs the same runtimes at link time
syms=$(nm "$lib" 2>/dev/null || true)
san=()
[[ $syms == *__asan_init* ]] && san+=(-fsanitize=address)
[[ $syms == *__ubsan_handle* ]] && san+=(-fsanitize=undefined)
"$CXX" -std=c++20 -O1 -pthread -Wall -Wno-unknown-pragmas -Icommon -Ikernels "${san[@]}" \
	kernels/dev/cell_emu.cc "$lib" $(pkg-config --libs $(cat mk/pkgs)) -lm -o "$out"
"$out"
