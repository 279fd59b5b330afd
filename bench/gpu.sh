#!/usr/bin/env bash
# bench/gpu.sh - everything the GPU session runs for the CUDA backend, in one
# call of about four minutes on one H200 when all works:
#   1. tests/unit/test_cuda_kernels   every kernel and recurrence variant vs CPU
#   2. tests/unit/test_cuda_train     the model: gradients, 10 steps, guard...
#   2b. tests/unit/test_cuda_trainloop train/evaluate with --device cuda vs cpu
#   3. cuda_sandbox cells             check, then us per step fwd/bwd, B 32, 256
#   4. cuda_sandbox train             ms per training step, B 32 and 256
#   5. bench/gpu_torch.py bench       the same with PyTorch + cuDNN
#   6. bench/gpu_torch.py summary     ratios (ours / torch)
#   7. bench/gpu-pipeline.sh          make all's stages on the shared dumps
#                                     with --device cuda: time per stage
#   8. compute-sanitizer              racecheck, synccheck (the persistent
#                                     kernels' barriers and shared memory) and
#                                     memcheck of a toy training step, when the
#                                     budget has time left and the tool is there
# Needs the bundle made HERE by bench/gpu-prepare.sh (.device/, carried).
# Device tool call: command "bash bench/gpu.sh", carry [".device"],
# timeout_s 540.
# Time: the whole script keeps within BUDGET_S (480 s): each stage's limit is
# cut to what is left, a stage that no longer fits is skipped (and says so),
# so the summary and the logs always come back inside the call's timeout.
# A stage that times out (a hung kernel) names the variant it was running
# (its last "-- " line); that variant (a cluster one: all of them) is left
# out of every later stage, and when it is the default (smem) the stages
# that cannot avoid it (trainloop, the pipeline) are skipped.
# Output: the device tool brings back at most 8 files from $OUT, so $OUT
# holds two: summary.txt and logs.tar.gz (every log, the JSON lines, the
# summary and pipeline/), repacked after each stage so a killed call still
# returns what had finished.  Unpack with: tar -xzf logs.tar.gz -C DIR.
# Variables: CUDA_TEST_VARIANTS (e.g. "ref,global,smem" to leave a variant
# out from the start), SKIP_TESTS=1, SKIP_BENCH=1, SKIP_PIPELINE=1,
# SKIP_SANITIZER=1, BUDGET_S, DEVICE_DIR (default .device); for
# tests/e2e/gpu_script.sh: STAGE_LIMIT_S (caps every stage's limit),
# MIN_STAGE_S (a stage needs this many seconds, default 10).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
BUDGET_S=${BUDGET_S:-480}
DEVICE_DIR=${DEVICE_DIR:-.device}
W=$(mktemp -d /tmp/gpu-work-XXXXXX)
mkdir -p "$OUT"
T0=$SECONDS
log() { echo "[gpu.sh +$((SECONDS - T0))s] $*"; }
left() { echo $((T0 + BUDGET_S - SECONDS)); }
pack() {
	tar -C "$W" -czf "$OUT/logs.tar.gz.part" . 2>/dev/null &&
		mv -f "$OUT/logs.tar.gz.part" "$OUT/logs.tar.gz"
}

if [ ! -f "$DEVICE_DIR/env.sh" ]; then
	echo "no $DEVICE_DIR/ bundle: run bench/gpu-prepare.sh on the build machine and carry .device"
	exit 1
fi
. "$DEVICE_DIR/env.sh"
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
dropped=

# in_list NAME LIST: whether NAME is an element of the comma-separated LIST
in_list() { [[ ,$2, == *,$1,* ]]; }
# keep LIST: the elements of LIST still in CUDA_TEST_VARIANTS
keep() {
	local v out=
	for v in ${1//,/ }; do in_list "$v" "$CUDA_TEST_VARIANTS" && out=$out${out:+,}$v; done
	echo "$out"
}
# After a time-out: the variant of the log's last "-- " line (the tests
# print "-- VARIANT ...", the sandbox "-- CELL VARIANT: ..."), left out from
# now on.
drop_hung() { # LOG
	local line v
	line=$(grep '^-- ' "$1" | tail -1)
	for v in $(echo "$line" | awk '{ sub(":", "", $3); print $2, $3 }'); do
		case $v in
		ref | global | smem | cluster | cluster[248]) ;;
		*) continue ;;
		esac
		in_list "$v" "$CUDA_TEST_VARIANTS" || continue
		# the cluster variants share one kernel ("cluster" picks cs=2 for
		# the LSTM at H 128): one that hangs takes all of them out
		local pat=$v
		[[ $v == cluster* ]] && pat='cluster[248]*'
		CUDA_TEST_VARIANTS=$(echo "${CUDA_TEST_VARIANTS//,/ }" | tr ' ' '\n' |
			grep -vx "$pat" | paste -sd, -)
		dropped=$dropped${dropped:+,}$v
		log "variant $v hung ('$line'): left out from now on (variants: $CUDA_TEST_VARIANTS)"
		return
	done
	log "time-out, and no variant named in the last '-- ' line of $1"
}

# run NAME LIMIT CMD...: stdout+stderr to $W/NAME.log, bounded by LIMIT s
# and by the budget; returns the command's status (124: timed out, 125:
# skipped for lack of time)
run() {
	local name=$1 limit=$2 rc
	shift 2
	local rest=$(($(left) - 15))
	[ "$rest" -lt "$limit" ] && limit=$rest
	[ -n "${STAGE_LIMIT_S:-}" ] && [ "$STAGE_LIMIT_S" -lt "$limit" ] && limit=$STAGE_LIMIT_S
	if [ "$limit" -lt "${MIN_STAGE_S:-10}" ]; then
		log "$name: SKIPPED, out of time (budget ${BUDGET_S}s)"
		echo "SKIPPED: out of time" >"$W/$name.log"
		return 125
	fi
	log "$name: $* (limit ${limit}s)"
	timeout -k 5 "$limit" "$@" >"$W/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		rc=124
		log "$name: TIMED OUT (a hung kernel?); last lines:"
		tail -3 "$W/$name.log" | cut -c1-200
		drop_hung "$W/$name.log"
	fi
	log "$name: exit $rc, $(grep -c '^FAIL' "$W/$name.log") FAIL lines"
	grep -m 25 '^FAIL' "$W/$name.log" | cut -c1-220
	grep -E '^\[  (PASSED|FAILED) |^SKIP' "$W/$name.log" | head -8
	pack
	return $rc
}

status=0
if [ "${SKIP_TESTS:-0}" != 1 ]; then
	run kernels 120 test_cuda_kernels || status=1
	run train 100 test_cuda_train || status=1
	if in_list smem "$CUDA_TEST_VARIANTS"; then
		run trainloop 60 test_cuda_trainloop || status=1
	else
		log "trainloop: SKIPPED (it runs the default variant smem, which hung)"
	fi
fi

if [ "${SKIP_BENCH:-0}" != 1 ]; then
	log "sandbox: cells B 32 and 256 (check against the CPU, then time), train B 32 and 256"
	run cells32 60 cuda_sandbox cells --batch 32 --reps 5 --threads 12 \
		--variants "$(keep ref,global,smem,cluster,cluster2,cluster4,cluster8)" ||
		status=1
	run cells256 50 cuda_sandbox cells --batch 256 --reps 3 --threads 12 \
		--variants "$(keep ref,global,smem,cluster)" || status=1
	for B in 32 256; do
		run train$B 30 cuda_sandbox train --batch $B --variants "$(keep ref,global,smem,cluster)" ||
			status=1
	done
	# the sandbox's JSON lines are its stdout, its progress lines stderr
	grep -h '^{' "$W"/cells32.log "$W"/cells256.log "$W"/train32.log "$W"/train256.log \
		>"$W/bench.jsonl" 2>/dev/null
	grep -h -E "us/step|FAILED" "$W"/cells32.log "$W"/cells256.log 2>/dev/null | grep -v '^{' |
		cut -c1-200
	grep -h "^train" "$W"/train32.log "$W"/train256.log 2>/dev/null | cut -c1-160
	export PYTHONUNBUFFERED=1
	run torch 90 python3 bench/gpu_torch.py bench || { status=1; tail -5 "$W/torch.log"; }
	grep '^{' "$W/torch.log" >"$W/torch.jsonl"
	log "summary"
	python3 bench/gpu_torch.py summary "$W/bench.jsonl" "$W/torch.jsonl" | tee "$W/summary.txt"
	cp "$W/summary.txt" "$OUT/summary.txt"
	pack
fi
if [ "${SKIP_PIPELINE:-0}" != 1 ]; then
	if ! in_list smem "$CUDA_TEST_VARIANTS"; then
		log "pipeline: SKIPPED (train runs the default variant smem, which hung)"
	elif [ -d "$DEVICE_DIR/data/dumps" ]; then
		log "pipeline on the shared dumps, --device cuda"
		run pipeline 180 env OUT="$W" PIPELINE_VARS="$DEVICE_DIR/data/pipeline.env" \
			bash bench/gpu-pipeline.sh "$DEVICE_DIR/data/dumps" \
			"$DEVICE_DIR/data/vocab.txt" || status=1
		tail -14 "$W/pipeline.log"
	else
		log "pipeline: skipped (no $DEVICE_DIR/data: gpu-prepare.sh found no shared dumps)"
	fi
fi
# The races the CPU emulator cannot see (its threads never interleave
# between barriers) and barrier misuse: compute-sanitizer on toy sizes,
# every variant of every cell; and memcheck over a toy training step (CUB,
# cuBLAS, the fused step).  Last, so it never costs the results above.
san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [ "${SKIP_SANITIZER:-0}" != 1 ] && [ -x "$san" ]; then
	toy=(--batch 5 --steps 7 --input 16 --hidden 32 --reps 1 --threads 4)
	for tool in racecheck synccheck; do
		run "san-$tool" 60 "$san" --tool $tool --error-exitcode 99 \
			cuda_sandbox cells "${toy[@]}" \
			--variants "$(keep global,smem,cluster,cluster2,cluster4,cluster8)" || status=1
		grep -h "ERROR SUMMARY\|RACECHECK SUMMARY" "$W/san-$tool.log"
	done
	run san-memcheck 60 "$san" --tool memcheck --error-exitcode 99 cuda_sandbox train \
		--batch 4 --steps 8 --embed 16 --hidden 32 --vocab 500 --iters 2 \
		--variants "$(keep ref,global,smem,cluster)" || status=1
	grep -h "ERROR SUMMARY" "$W/san-memcheck.log"
elif [ "${SKIP_SANITIZER:-0}" != 1 ]; then
	log "compute-sanitizer: not found, skipped"
fi
[ -n "$dropped" ] && log "variants that hung and were left out: $dropped"
log "done, status $status (logs: $OUT/logs.tar.gz)"
pack
rm -rf "$W"
exit $status
