#!/usr/bin/env bash
# tests/e2e/cuda_host_emu.sh - the whole CUDA backend on the CPU: every
# kernels/*.cu (rewritten by kernels/dev/emu/cu2cc.py: launches become
# emu_kernel(...) calls) compiled by g++ against the emulator's shim headers
# (kernels/dev/emu/include: CUDA runtime, cuBLAS via OpenBLAS, CUB, clusters)
# and runtime (kernels/dev/emu/emu_runtime.cc), linked with the project's
# library objects and the three GPU tests test_cuda_kernels,
# test_cuda_train and test_cuda_trainloop, which then run as on a GPU and
# must pass; then the GPU session's sandbox (bench/cuda_sandbox.c) at toy
# sizes, with bench/gpu_torch.py's CPU dry run and summary beside it when
# a python3 with torch is found (TORCH_PYTHON, python3, /usr/bin/python3), the train and evaluate programs with --device cuda on a tiny
# dataset against --device cpu, and bench/gpu-pipeline.sh (make all's
# stages) with the emulated device on the demo dump against the CPU.
# EMU_TESTS="test_..." runs only those tests.
# Builds into $BUILD/emu/ after `make BUILD=...` (reuses its C
# objects; a sanitizer build's objects bring their runtimes, the emulator's
# own C++ is not instrumented).  Needs no GPU and no nvcc.  SKIP without g++.
# docs/cuda.md, "Testing without a GPU: the emulator", says what it proves.
set -euo pipefail
cd "${RNNPIPE_TOP:-$(dirname "$0")/../..}"
BUILD=${BUILD:-build}
CXX=${CXX:-g++}
PY=${PYTHON:-python3}
if ! command -v "$CXX" >/dev/null; then
	echo "SKIP: no C++ compiler ($CXX) for the CUDA host emulator"
	exit 77
fi
if [ "$(uname -m)" != x86_64 ]; then
	echo "SKIP: the CUDA host emulator's fibers are written for x86-64, this is $(uname -m)"
	exit 77
fi
if ! command -v "$PY" >/dev/null; then
	echo "SKIP: no python3 to rewrite the CUDA launches for the emulator"
	exit 77
fi
stamp=$BUILD/flags.stamp
[ -f "$stamp" ] || { echo "missing $stamp: run make BUILD=$BUILD first" >&2; exit 1; }
# the C compiler and flags of this build: the first field of the stamp
read -r -a cflags <<<"$(cut -d'|' -f1 "$stamp")"
cc=${cflags[0]}
cflags=("${cflags[@]:1}" -DRNNPIPE_CUDA=1)
san=()
for f in "${cflags[@]}"; do [[ $f == -fsanitize=* ]] && san+=("$f"); done
pkgs=$(cat mk/pkgs)
read -r -a pkg_cflags <<<"$(pkg-config --cflags $pkgs)"
read -r -a pkg_libs <<<"$(pkg-config --libs $pkgs)"

# EMU_DEVICE_MATH=1: the GPU's arithmetic as far as it can differ from the
# CPU's within what CUDA documents (the kernels contracted to FMAs as nvcc
# does, tanhf/expf/exp/log off by their documented worst ulps, cuBLAS's
# sums in another order, blocks in another order): a build of its own
dm=${EMU_DEVICE_MATH:-0}
out=$BUILD/emu
[ "$dm" = 1 ] && out=$BUILD/emu-devmath
emu=kernels/dev/emu
mkdir -p "$out/src/kernels" "$out/obj"
# newer(target, deps...): the target is missing or older than a dependency
stale() {
	local t=$1 d
	shift
	[ -e "$t" ] || return 0
	for d in "$@"; do [ "$d" -nt "$t" ] && return 0; done
	return 1
}

# 1. the CUDA sources, launches rewritten (the sources stay untouched)
for f in kernels/*.cu kernels/*.cuh; do
	dst=$out/src/$f
	if stale "$dst" "$f" "$emu/cu2cc.py"; then "$PY" "$emu/cu2cc.py" "$f" "$dst"; fi
done

# 2. compile: the .cu files and the runtime as C++, the C sources that
# depend on RNNPIPE_CUDA and the tests as C, two at a time
cxxflags=(-std=c++17 -O2 -g -ffp-contract=off -pthread -Wall -Wextra -Wno-unused-parameter
	  -Wno-unknown-pragmas -Wno-maybe-uninitialized -I"$emu/include" -I"$out/src/kernels" -Icommon -Ikernels -Itests
	  "${pkg_cflags[@]}" -DRNNPIPE_CUDA=1 -include cuda_runtime.h)
rt_defs=()
if [ "$dm" = 1 ]; then
	rt_defs=(-DEMU_DEVICE_MATH=1)
	cxxflags=("${cxxflags[@]/-ffp-contract=off/-ffp-contract=fast}" -DEMU_DEVICE_MATH=1)
fi
# misaligned accesses (a float4 load off 16 bytes faults on the GPU, not
# on x86) stop the run
cxxflags+=(-fsanitize=alignment -fno-sanitize-recover=alignment)
# fmaf (the kernels' dot products) as an instruction, not a libm call
grep -qw fma /proc/cpuinfo 2>/dev/null && cxxflags+=(-mfma)
hdrs=("$emu"/include/*.h "$emu"/include/cub/*.cuh "$emu"/include/cub/device/*.cuh
      "$out"/src/kernels/*.cuh kernels/*.h common/*.h)
# a changed flag rebuilds everything
echo "$CXX ${cxxflags[*]} | $cc ${cflags[*]}" | cmp -s - "$out/flags" ||
	echo "$CXX ${cxxflags[*]} | $cc ${cflags[*]}" >"$out/flags"
hdrs+=("$out/flags")
jobs=()
compile() { # obj, command...
	local o=$1
	shift
	"$@" -c -o "$o" &
	jobs+=($!)
	if [ ${#jobs[@]} -ge 2 ]; then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
}
objs=()
for f in "$out"/src/kernels/*.cu; do
	o=$out/obj/$(basename "$f" .cu).o
	objs+=("$o")
	stale "$o" "$f" "${hdrs[@]}" && compile "$o" "$CXX" "${cxxflags[@]}" -x c++ "$f"
done
o=$out/obj/emu_runtime.o
objs+=("$o")
stale "$o" "$emu/emu_runtime.cc" "${hdrs[@]}" &&
	compile "$o" "$CXX" -std=c++17 -O2 -g -Wall -Wextra -I"$emu/include" \
		$(pkg-config --cflags openblas) "${rt_defs[@]}" "$emu/emu_runtime.cc"
o=$out/obj/devmodel.o
objs+=("$o")
stale "$o" common/devmodel.c "${hdrs[@]}" "$stamp" && compile "$o" "$cc" "${cflags[@]}" common/devmodel.c
tests=(${EMU_TESTS:-test_cuda_kernels test_cuda_train test_cuda_trainloop})
for t in "${tests[@]}"; do
	o=$out/obj/$t.o
	stale "$o" "tests/unit/$t.c" tests/*.h "${hdrs[@]}" "$stamp" &&
		compile "$o" "$cc" "${cflags[@]}" "tests/unit/$t.c"
done
o=$out/obj/cuda_sandbox.o
stale "$o" bench/cuda_sandbox.c tests/*.h "${hdrs[@]}" "$stamp" &&
	compile "$o" "$cc" "${cflags[@]}" bench/cuda_sandbox.c
stages=(train evaluate)
for t in "${stages[@]}"; do
	o=$out/obj/$t.o
	stale "$o" "stages/$t.c" "${hdrs[@]}" "$stamp" && compile "$o" "$cc" "${cflags[@]}" "stages/$t.c"
done
for j in "${jobs[@]}"; do wait "$j"; done

# 3. the project's other library objects, as make built them (none of them
# depends on RNNPIPE_CUDA), without the no-CUDA stand-in
for f in common/*.c kernels/*.c; do
	case $f in common/devmodel.c | kernels/rnn_cuda_absent.c) continue ;; esac
	o=$BUILD/obj/${f%.c}.o
	[ -f "$o" ] || { echo "missing $o: run make BUILD=$BUILD first" >&2; exit 1; }
	objs+=("$o")
done
for t in "${tests[@]}" cuda_sandbox "${stages[@]}"; do
	if stale "$out/$t" "$out/obj/$t.o" "${objs[@]}"; then
		"$CXX" -pthread "${san[@]}" -fsanitize=alignment -o "$out/$t" "$out/obj/$t.o" "${objs[@]}" \
			"${pkg_libs[@]}" -lcsv -lcmocka -lm
	fi
done

# 4. run them as on a GPU; one BLAS thread (OpenBLAS's idle threads spin,
# and this test shares the machine)
export OPENBLAS_NUM_THREADS=1
fail=0
for t in "${tests[@]}"; do
	echo "== $t (emulated)"
	start=$SECONDS
	if "$out/$t"; then
		echo "== $t: passed in $((SECONDS - start)) s"
	else
		echo "== $t: FAILED (exit $?) after $((SECONDS - start)) s"
		fail=1
	fi
done
# 5. the GPU session's kernel sandbox (bench/gpu.sh), at toy sizes: its
# checks against the CPU, timers and training-step path
if [ -z "${EMU_TESTS:-}" ]; then
	echo "== cuda_sandbox cells + train (emulated, toy sizes)"
	if "$out/cuda_sandbox" cells --batch 5 --steps 6 --input 16 --hidden 128 --reps 1 \
		--threads 1 >"$out/sandbox.jsonl" 2>"$out/sandbox.log" &&
		"$out/cuda_sandbox" train --batch 4 --steps 8 --embed 16 --hidden 32 --vocab 500 \
			--iters 2 --variants ref,global,smem,cluster >>"$out/sandbox.jsonl" \
			2>>"$out/sandbox.log"; then
		echo "== cuda_sandbox: passed ($(grep -c '^{' "$out/sandbox.jsonl") results)"
		# bench/gpu.sh's PyTorch side as a CPU dry run, and its summary
		# of both: the tables carry a ratio for every variant
		tpy=
		for p in ${TORCH_PYTHON:-} python3 /usr/bin/python3; do
			if command -v "$p" >/dev/null && "$p" -c 'import torch' 2>/dev/null; then tpy=$p; break; fi
		done
		if [ -z "$tpy" ]; then
			echo "== gpu_torch.py: not run (no python3 with torch here)"
		elif "$tpy" bench/gpu_torch.py bench --device cpu --cells rnn,lstm,gru --batches 4,5 \
			--steps 8 --vocab 500 --embed 16 --hidden 32 --iters 1 >"$out/torch.jsonl" \
			2>"$out/torch.log" &&
			"$PY" bench/gpu_torch.py summary "$out/sandbox.jsonl" "$out/torch.jsonl" \
			>"$out/summary.txt" &&
			[ "$(grep -cE '^(rnn|lstm|gru) +5 +[a-z0-9]+ +[0-9.]+ +[0-9.]+ +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2}' \
				"$out/summary.txt")" -ge 12 ] &&
			[ "$(grep -cE '^(rnn|lstm|gru) +4 +[a-z0-9]+ +[0-9.]+ +[0-9.]+ +[0-9]+\.[0-9]{2} ' \
				"$out/summary.txt")" -ge 12 ]; then
			echo "== gpu_torch.py --device cpu + summary: passed"
		else
			echo "== gpu_torch.py --device cpu + summary: FAILED (files in $out)"
			tail -n 20 "$out/torch.log" "$out/summary.txt" 2>/dev/null
			fail=1
		fi
	else
		echo "== cuda_sandbox: FAILED (log $out/sandbox.log)"
		tail -n 20 "$out/sandbox.log"
		fail=1
	fi
fi
# 6. the stage programs with --device cuda (what bench/gpu-pipeline.sh runs
# on the GPU), on a tiny synthetic dataset: train and evaluate on the
# emulated device must succeed, say so, and agree with the CPU
if [ -z "${EMU_TESTS:-}" ]; then
	echo "== train + evaluate --device cuda (emulated)"
	tmp=$(mktemp -d /tmp/rnnpipe-emu-XXXXXX)
	ok=1
	for s in train validation test; do
		n=32; [ $s = train ] && n=64
		"$BUILD/bin/synth-tok" --count $n --split $s --seed 5 --max-len 16 --vocab-size 2000 \
			"$tmp/$s.tok"
	done
	"$BUILD/bin/pack-hdf5" --quiet --out "$tmp/ds.h5" "$tmp"/{train,validation,test}.tok
	for dev in cpu cuda; do
		bin=$BUILD/bin
		[ $dev = cuda ] && bin=$out
		"$bin/train" --data "$tmp/ds.h5" --cell gru --embed 8 --hidden 16 --batch 16 --epochs 2 \
			--lr 0.01 --progress none --quiet --device $dev --model "$tmp/$dev.h5" \
			--log "$tmp/$dev.jsonl" --summary "$tmp/$dev.json" || ok=0
		"$bin/evaluate" --model "$tmp/$dev.h5" --data "$tmp/ds.h5" --device $dev --quiet \
			--metrics "$tmp/ev-$dev.json" --predictions "$tmp/ev-$dev.tsv" || ok=0
	done
	grep -q '"device": "cuda"' "$tmp/cuda.json" 2>/dev/null || ok=0
	# train.json's device timing: 2 epochs x 4 batches timed, a gap
	# between consecutive steps only; none on the CPU
	"$PY" -c 'import json, sys
g = json.load(open(sys.argv[1])).get("device_timing") or {}
c = json.load(open(sys.argv[2]))
sys.exit(not (g.get("steps") == 8 and g.get("gaps") == 6 and g.get("busy_s", 0) > 0
              and "device_timing" not in c))' "$tmp/cuda.json" "$tmp/cpu.json" || ok=0
	# two epochs of a tiny model: the CPU's probabilities (printed to 4
	# digits: within one unit of the last) and classes
	paste "$tmp/ev-cpu.tsv" "$tmp/ev-cuda.tsv" | awk -F'\t' '
		NR == 1 { n = NF / 2; next }
		{ rows++; for (i = 1; i <= n; i++) { a = $i; b = $(i + n)
			if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) { d = a - b; if (d < 0) d = -d; if (d > 1.5e-4) bad++ }
			else if (a != b) bad++ } }
		END { exit !(rows > 0 && !bad) }' || ok=0
	if [ $ok = 1 ]; then
		echo "== train + evaluate --device cuda: passed (the CPU's predictions)"
	else
		echo "== train + evaluate --device cuda: FAILED (files in $tmp)"
		fail=1
	fi
	[ $ok = 1 ] && rm -rf "$tmp"
fi
# 7. bench/gpu-pipeline.sh, the GPU session's "make all on the GPU", with
# the emulated train and evaluate on the demo dump: make all's settings
# (from make print-pipeline-vars) but 2 epochs, against the same script
# with DEVICE=cpu: every stage runs, the device's busy/idle line is
# printed, the metrics are the CPU's and the epoch losses agree to 1e-4
if [ -z "${EMU_TESTS:-}" ]; then
	echo "== bench/gpu-pipeline.sh --device cuda (emulated, demo dump, 2 epochs)"
	tmp=$(mktemp -d /tmp/rnnpipe-emu-XXXXXX)
	ok=1
	mkdir -p "$tmp/bin" "$tmp/dumps"
	cp "$BUILD"/bin/* "$tmp/bin/"
	cp "$out/train" "$out/evaluate" "$tmp/bin/"
	cp data/demo/reviews-* "$tmp/dumps/"
	"$BUILD/bin/learn-vocab" --size 2000 --output "$tmp/vocab.txt" "$tmp"/dumps/* 2>/dev/null || ok=0
	for dev in cpu cuda; do
		make -s --no-print-directory print-pipeline-vars DEVICE=$dev | grep "^[A-Z_]*='" |
			sed "s/--epochs [0-9]*/--epochs 2/" >"$tmp/$dev.env"
		bin=$BUILD/bin
		[ $dev = cuda ] && bin=$tmp/bin
		OUT=$tmp/out-$dev ART=$tmp/art-$dev PIPELINE_VARS=$tmp/$dev.env RNNPIPE_BIN=$bin \
			bash bench/gpu-pipeline.sh "$tmp/dumps" "$tmp/vocab.txt" >"$tmp/$dev.log" 2>&1 || ok=0
	done
	grep -q -- "--device cuda" "$tmp/cuda.env" || ok=0
	grep -q "^train on the device: [0-9]* steps" "$tmp/cuda.log" || ok=0
	cmp -s <(grep -o '"accuracy": *[0-9.]*\|"macro_f1": *[0-9.]*' "$tmp/art-cpu/metrics.json") \
		<(grep -o '"accuracy": *[0-9.]*\|"macro_f1": *[0-9.]*' "$tmp/art-cuda/metrics.json") || ok=0
	"$PY" -c 'import json, sys
a, b = ([json.loads(l)["loss"] for l in open(f)] for f in sys.argv[1:])
sys.exit(not (len(a) == len(b) == 2 and all(abs(x - y) <= 1e-4 * abs(y) for x, y in zip(a, b))))' \
		"$tmp/art-cuda/train-log.jsonl" "$tmp/art-cpu/train-log.jsonl" || ok=0
	if [ $ok = 1 ]; then
		echo "== gpu-pipeline: passed ($(grep '^train on the device' "$tmp/cuda.log"))"
		rm -rf "$tmp"
	else
		echo "== gpu-pipeline: FAILED (files in $tmp)"
		tail -n 12 "$tmp/cuda.log"
		fail=1
	fi
fi
exit $fail
