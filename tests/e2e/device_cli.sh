#!/usr/bin/env bash
# --device on the command line of train and evaluate (classify and
# regress), on a machine without a CUDA device (or a build without CUDA):
# --device cuda exits 1 with a message that says why and what to use,
# before touching any output; --device auto prints one note and gives
# bit-identical results to --device cpu (model, checkpoint tensors, log,
# metrics, predictions).  With a device, it checks only that auto picks it
# (tests/unit/test_cuda_trainloop compares the GPU with the CPU).
set -euo pipefail
BIN=${BUILD:-build}/bin
tmp=$(mktemp -d /tmp/rnnpipe-e2e-device-XXXXXX)
fail() { echo "FAIL: $*"; exit 1; }

for s in train validation test; do
	n=48; [ $s = train ] && n=96
	"$BIN/synth-tok" --count $n --split $s --seed 9 --max-len 24 --vocab-size 2000 "$tmp/$s.tok"
done
"$BIN/pack-hdf5" --quiet --out "$tmp/ds.h5" --chunk-rows 32 "$tmp"/{train,validation,test}.tok
train() { # name device, options...
	local name=$1 dev=$2
	shift 2
	"$BIN/train" --data "$tmp/ds.h5" --embed 8 --hidden 8 --batch 16 --epochs 2 --lr 0.01 \
		--progress none --device "$dev" --model "$tmp/$name.h5" --log "$tmp/$name.jsonl" \
		--summary "$tmp/$name.json" --checkpoint "$tmp/$name.ckpt.h5" "$@"
}

train probe auto --epochs 1 --quiet
if grep -q '"device": "cuda"' "$tmp/probe.json"; then
	echo "a CUDA device is present: auto picked it ($(sed -n 's/.*"device_description": "\(.*\)".*/\1/p' "$tmp/probe.json"))"
	rm -rf "$tmp"
	exit 0
fi
grep -q '"device": "cpu"' "$tmp/probe.json" || fail "train.json: no device"

# --device cuda: exit 1, one clear message, nothing written
rc=0; train cuda cuda 2>"$tmp/cuda.err" || rc=$?
cat "$tmp/cuda.err"
[ $rc -eq 1 ] || fail "train --device cuda: exit $rc"
grep -qE '^train: error: --device cuda: (no usable CUDA device|this build has no CUDA support).*use --device cpu' \
	"$tmp/cuda.err" || fail "train --device cuda: unclear message"
[ "$(wc -l <"$tmp/cuda.err")" -eq 1 ] || fail "train --device cuda: more than one line"
for f in cuda.h5 cuda.jsonl cuda.json cuda.ckpt.h5; do
	[ ! -e "$tmp/$f" ] || fail "train --device cuda wrote $f"
done

# auto: one note, then exactly the CPU's results
train cpu cpu 2>"$tmp/cpu.err"
train auto auto 2>"$tmp/auto.err"
grep -qE '^train: note: no CUDA (device found|support built in); running on the CPU$' "$tmp/auto.err" ||
	fail "train --device auto: no fallback note"
grep -q "note: no CUDA" "$tmp/cpu.err" && fail "train --device cpu printed the fallback note"
h5diff "$tmp/cpu.h5" "$tmp/auto.h5" >/dev/null || fail "auto and cpu models differ"
# checkpoints: every tensor (attributes hold the log's timings)
for g in params adam_m adam_v; do
	h5diff "$tmp/cpu.ckpt.h5" "$tmp/auto.ckpt.h5" "/$g" "/$g" >/dev/null ||
		fail "auto and cpu checkpoints differ in $g"
done
cmp <(sed 's/"seconds".*//' "$tmp/cpu.jsonl") <(sed 's/"seconds".*//' "$tmp/auto.jsonl") ||
	fail "auto and cpu logs differ"
grep -q '"device": "cpu"' "$tmp/auto.json" || fail "auto's train.json: device not cpu"
grep -q '"device_description": "cpu, OpenBLAS' "$tmp/auto.json" || fail "auto's train.json: no device_description"

# evaluate: the same for the forward passes
evaluate() { # name device, options...
	local name=$1 dev=$2
	shift 2
	"$BIN/evaluate" --model "$tmp/cpu.h5" --data "$tmp/ds.h5" --device "$dev" --logits \
		--metrics "$tmp/ev-$name.json" --predictions "$tmp/ev-$name.tsv" "$@"
}
rc=0; evaluate cuda cuda 2>"$tmp/ev-cuda.err" || rc=$?
[ $rc -eq 1 ] && grep -q -- "--device cuda: " "$tmp/ev-cuda.err" || fail "evaluate --device cuda: exit $rc"
[ ! -e "$tmp/ev-cuda.json" ] || fail "evaluate --device cuda wrote metrics"
evaluate cpu cpu --quiet
evaluate auto auto 2>"$tmp/ev-auto.err"
grep -q "note: no CUDA" "$tmp/ev-auto.err" || fail "evaluate --device auto: no note"
cmp "$tmp/ev-cpu.tsv" "$tmp/ev-auto.tsv" || fail "auto and cpu predictions differ"
cmp <(grep -v '"model"' "$tmp/ev-cpu.json") <(grep -v '"model"' "$tmp/ev-auto.json") ||
	fail "auto and cpu metrics differ"

# --task regress
if [ -x "$BIN/ts-prepare" ]; then
	"$BIN/ts-prepare" --synthetic 300 --season 24 --window 16 --out "$tmp/ts.h5" --quiet
	treg() { # name device
		"$BIN/train" --task regress --data "$tmp/ts.h5" --hidden 8 --batch 32 --epochs 2 \
			--progress none --quiet --device "$2" --model "$tmp/r-$1.h5" \
			--log "$tmp/r-$1.jsonl" --summary "$tmp/r-$1.json" --no-checkpoint
	}
	rc=0; treg cuda cuda 2>"$tmp/r-cuda.err" || rc=$?
	[ $rc -eq 1 ] && grep -q -- "--device cuda: " "$tmp/r-cuda.err" || fail "regress --device cuda: exit $rc"
	treg cpu cpu
	treg auto auto
	h5diff "$tmp/r-cpu.h5" "$tmp/r-auto.h5" >/dev/null || fail "regress: auto and cpu models differ"
	for d in cpu auto; do
		"$BIN/evaluate" --task regress --model "$tmp/r-cpu.h5" --data "$tmp/ts.h5" --device $d \
			--metrics "$tmp/r-ev-$d.json" --quiet
	done
	cmp <(grep -v '"model"' "$tmp/r-ev-cpu.json") <(grep -v '"model"' "$tmp/r-ev-auto.json") ||
		fail "regress: auto and cpu metrics differ"
	rc=0
	"$BIN/evaluate" --task regress --model "$tmp/r-cpu.h5" --data "$tmp/ts.h5" --device cuda \
		--metrics "$tmp/r-ev-cuda.json" 2>/dev/null || rc=$?
	[ $rc -eq 1 ] || fail "evaluate --task regress --device cuda: exit $rc"
else
	echo "note: no ts-prepare; the regress part is left out"
fi

"$BIN/predict" --help | grep -q "CPU only" || fail "predict --help does not say it runs on the CPU"
rm -rf "$tmp"
echo ok
