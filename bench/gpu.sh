#!/usr/bin/env bash
# bench/gpu.sh - everything the GPU session runs for the CUDA backend, in one
# call of about four minutes on one H200 when all works (the per-stage limits
# add up to 12: a hang eats into the 9-minute call and the steps after it):
#   1. tests/unit/test_cuda_kernels   every kernel and recurrence variant vs CPU
#   2. tests/unit/test_cuda_train     the model: gradients, 10 steps, guard...
#   2b. tests/unit/test_cuda_trainloop train/evaluate with --device cuda vs cpu
#   3. cuda_sandbox cells             check, then us per step fwd/bwd, B 32, 256
#   4. cuda_sandbox train             ms per training step, B 32 and 256
#   5. bench/gpu_torch.py bench       the same with PyTorch + cuDNN
#   6. bench/gpu_torch.py summary     ratios (ours / torch)
#   7. bench/gpu-pipeline.sh          make all's stages on the shared dumps
#                                     with --device cuda: time per stage
# Needs the bundle made HERE by bench/gpu-prepare.sh (.device/, carried).
# Device tool call: command "bash bench/gpu.sh", carry [".device"],
# timeout_s 540.  Logs, JSON, the summary and pipeline/ land in $OUT.
# Variables: CUDA_TEST_VARIANTS (e.g. "ref,global,smem" to leave a variant
# out of the tests), SKIP_TESTS=1, SKIP_BENCH=1, SKIP_PIPELINE=1.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
T0=$SECONDS
log() { echo "[gpu.sh +$((SECONDS - T0))s] $*"; }

if [ ! -f .device/env.sh ]; then
	echo "no .device/ bundle: run bench/gpu-prepare.sh on the build machine and carry .device"
	exit 1
fi
. .device/env.sh
# the CUDA runtime and cuBLAS are the machine's own; when the loader does not
# find them, try the toolkit's folders and PyTorch's NVIDIA wheels
if ldd "$(command -v test_cuda_kernels)" | grep -q "not found"; then
	extra=$(python3 - <<'EOF' 2>/dev/null
import glob, os, site
dirs = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"]
for sp in site.getsitepackages():
    dirs += sorted(glob.glob(os.path.join(sp, "nvidia", "*", "lib")))
print(":".join(d for d in dirs if os.path.isdir(d)))
EOF
	)
	export LD_LIBRARY_PATH=$LD_LIBRARY_PATH${extra:+:$extra}
fi
ldd "$(command -v test_cuda_kernels)" | grep -E "cublas|cudart|not found" | sed 's/^/  /'
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.used --format=csv,noheader
export CUDA_TEST_VARIANTS=${CUDA_TEST_VARIANTS:-ref,global,smem,cluster,cluster2,cluster4,cluster8}

# run NAME LIMIT CMD...: stdout+stderr to $OUT/NAME.log, bounded by LIMIT s
run() {
	local name=$1 limit=$2
	shift 2
	log "$name: $* (limit ${limit}s)"
	timeout -k 5 "$limit" "$@" >"$OUT/$name.log" 2>&1
	local rc=$?
	[ $rc -eq 124 ] && log "$name: TIMED OUT (a hung kernel?)"
	log "$name: exit $rc, $(grep -c '^FAIL' "$OUT/$name.log") FAIL lines"
	grep -m 25 '^FAIL' "$OUT/$name.log" | cut -c1-220
	grep -E '^\[  (PASSED|FAILED) ' "$OUT/$name.log" | head -8
	return $rc
}

status=0
if [ "${SKIP_TESTS:-0}" != 1 ]; then
	run kernels 120 test_cuda_kernels || status=1
	run train 100 test_cuda_train || status=1
	run trainloop 60 test_cuda_trainloop || status=1
fi

if [ "${SKIP_BENCH:-0}" != 1 ]; then
	: >"$OUT/bench.jsonl"
	log "sandbox cells B 32 and 256 (check against the CPU, then time)"
	timeout -k 5 60 cuda_sandbox cells --batch 32 --reps 5 --threads 12 \
		>>"$OUT/bench.jsonl" 2>"$OUT/sandbox.log" || { status=1; log "sandbox cells B32: failed"; }
	timeout -k 5 50 cuda_sandbox cells --batch 256 --reps 3 --threads 12 \
		--variants ref,global,smem,cluster >>"$OUT/bench.jsonl" 2>>"$OUT/sandbox.log" ||
		{ status=1; log "sandbox cells B256: failed"; }
	grep -E "us/step|FAILED" "$OUT/sandbox.log" | cut -c1-200
	log "sandbox train"
	for B in 32 256; do
		timeout -k 5 30 cuda_sandbox train --batch $B --variants ref,global,smem,cluster \
			>>"$OUT/bench.jsonl" 2>>"$OUT/sandbox.log" || { status=1; log "sandbox train B$B: failed"; }
	done
	grep "^train" "$OUT/sandbox.log" | cut -c1-160
	log "pytorch + cuDNN"
	PYTHONUNBUFFERED=1 timeout -k 5 90 python3 bench/gpu_torch.py bench \
		>"$OUT/torch.jsonl" 2>"$OUT/torch.log" || { status=1; log "torch: failed"; tail -5 "$OUT/torch.log"; }
	log "summary"
	python3 bench/gpu_torch.py summary "$OUT/bench.jsonl" "$OUT/torch.jsonl" | tee "$OUT/summary.txt"
fi
if [ "${SKIP_PIPELINE:-0}" != 1 ]; then
	if [ -d .device/data/dumps ]; then
		log "pipeline on the shared dumps, --device cuda"
		timeout -k 5 180 bash bench/gpu-pipeline.sh >"$OUT/pipeline.log" 2>&1 || status=1
		tail -14 "$OUT/pipeline.log"
	else
		log "pipeline: skipped (no .device/data: gpu-prepare.sh found no shared dumps)"
	fi
fi
log "done, status $status"
exit $status
