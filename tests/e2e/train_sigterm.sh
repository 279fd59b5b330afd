#!/usr/bin/env bash
# train stopped by a signal inside an epoch (docs/training.md, "Stopping"):
# SIGTERM, SIGINT and SIGHUP sent while a progress line says the run is in
# a given epoch.  Each stop must exit 75 with the one line "train: stopped
# by SIGx in epoch E after batch K/N; checkpoint '...' written; rerun with
# --resume to continue", write no model.h5 and leave no temporary file;
# the run resumed from each stop (twice in a row; the second time the
# signal is repeated every 5 ms until train has exited, so some come while
# it writes the checkpoint) ends with a model.h5 byte for byte the
# uninterrupted run's.  The same for --task regress (HUP, then TERM once).
# Prints where each signal landed.
set -euo pipefail
BIN=${BUILD:-build}/bin
TOP=${RNNPIPE_TOP:-$PWD}
DEMO=$TOP/data/demo/reviews-2026-10.jsonl
[ -f "$DEMO" ] || { echo "SKIP: $DEMO not found"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-sigterm-XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
A=$tmp/artifacts
fail() { echo "FAIL: $*"; exit 1; }
mid=0 # signals that landed inside an epoch

"$BIN/learn-vocab" --quiet --size 1500 --output "$A/vocab.txt" "$DEMO"
"$BIN/tokenize" --quiet --vocab "$A/vocab.txt" --max-len 64 --output "$A/tok.tok" "$DEMO"
"$BIN/filter-relabel" --quiet --output "$A/merged.tok" "$A/tok.tok"
"$BIN/split" --quiet --train "$A/train.tok" --validation "$A/validation.tok" \
	--test "$A/test.tok" "$A/merged.tok"
"$BIN/pack-hdf5" --quiet --out "$A/dataset.h5" --chunk-rows 32 "$A"/{train,validation,test}.tok

# stop_at NAME SIG EPOCH MODEL CMD...: runs the train command CMD (with
# --progress lines; not --quiet, which hides them), sends SIG (SIG2: then
# again every 5 ms until the process is gone) once a progress line of
# epoch EPOCH (an extended regex) shows up, and checks the exit status, the stop line, that
# MODEL was not written and that no temporary file is left.
stop_at() {
	local name=$1 sig=$2 epoch=$3 model=$4 err=$tmp/$1.err twice=0 rc=0 line
	shift 4
	[ "${sig%2}" != "$sig" ] && twice=1 && sig=${sig%2}
	(exec "$@" --progress lines --progress-interval 0.1 2>"$err") &
	local pid=$!
	for _ in $(seq 1 1500); do
		grep -qE "epoch $epoch/[0-9]+ batch [0-9]" "$err" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.02
	done
	kill -"$sig" $pid 2>/dev/null || true
	# SIG2: more of the same signal every 5 ms until it exits, so that some
	# land while the checkpoint is being written
	local more=0
	if [ $twice = 1 ]; then
		# (bash reaps the exited job, so kill then fails; bounded anyway)
		while [ $more -lt 2000 ] && kill -"$sig" $pid 2>/dev/null; do
			more=$((more + 1))
			sleep 0.005
		done
	fi
	wait $pid || rc=$?
	[ $rc -eq 75 ] || { tail -n 5 "$err"; fail "$name: SIG$sig: exit $rc, want 75"; }
	line=$(grep "stopped by" "$err") || fail "$name: no stop line"
	[ "$(grep -c "stopped by" "$err")" -eq 1 ] || fail "$name: more than one stop line"
	[[ $line =~ ^train:\ stopped\ by\ SIG$sig\ (in\ epoch\ [0-9]+\ after\ batch\ [0-9]+/[0-9]+|after\ epoch\ [0-9]+)\;\ checkpoint\ \'[^\']+\'\ written\;\ rerun\ with\ --resume\ to\ continue$ ]] ||
		fail "$name: stop line: $line"
	[[ $line == *"in epoch"* ]] && mid=$((mid + 1))
	[ ! -e "$model" ] || fail "$name: a stopped run wrote $model"
	[ -z "$(find "$tmp" -name '*.tmp.*')" ] || fail "$name: temporary file left: $(find "$tmp" -name '*.tmp.*')"
	echo "$name: SIG$sig$([ $twice = 1 ] && echo " and $more more until it exited"): $line"
}

# resumes NAME SIG1 SIG2 LOGS CMD...: runs the train command CMD through
# uninterrupted, then again, stopped by SIG1 in epoch 1 and by SIG2 in
# epoch 2 or later (stop_at, checks NAME-1 and NAME-2; a first signal
# that came late stopped the run in a later epoch, which its resumed run
# starts in) and resumed to the end; the
# resumed model must be byte for byte the uninterrupted one's, and with
# LOGS=logs the training logs must match too but for the seconds.
resumes() {
	local name=$1 sig1=$2 sig2=$3 logs=$4 full=$tmp/$1-full k=$tmp/$1
	shift 4
	"$@" --quiet --model "$full.h5" --log "$full.log" --summary "$full.json" \
		--checkpoint "$full.ckpt.h5"
	local resume=(--model "$k.h5" --log "$k.log" --summary "$k.json" --checkpoint "$k.ckpt.h5"
		--resume)
	stop_at "$name-1" "$sig1" 1 "$k.h5" "$@" "${resume[@]}"
	stop_at "$name-2" "$sig2" '([2-9]|[1-9][0-9])' "$k.h5" "$@" "${resume[@]}"
	"$@" "${resume[@]}" --quiet
	cmp "$full.h5" "$k.h5" || fail "$name: the resumed model differs from the uninterrupted one"
	if [ "$logs" = logs ]; then
		cmp <(sed 's/"seconds".*//' "$full.log") <(sed 's/"seconds".*//' "$k.log") ||
			fail "$name: resumed log: other losses than the full run's"
	fi
	echo "$name: resumed model identical to the uninterrupted run's"
}

# -- classification: TERM, then INT repeated until it exits; logs compared.
# Hidden 256: epochs of almost a second.  At 128 an epoch took 0.1 s, the
# least --progress-interval, so epoch 1 could pass without a progress line
# and the run end before any signal (exit 0)
resumes classify TERM INT2 logs "$BIN/train" --data "$A/dataset.h5" --vocab "$A/vocab.txt" \
	--embed 64 --hidden 256 --batch 2 --lr 0.01 --pool mean --epochs 3 --patience 0

# -- time series (--task regress shares the loop): HUP, then TERM; epochs
# of about a second, so a signal lands inside one even on a busy machine
if [ -x "$BIN/ts-prepare" ]; then
	"$BIN/ts-prepare" --synthetic 12000 --season 48 --window 24 --out "$tmp/ts.h5" --quiet
	resumes regress HUP TERM nologs "$BIN/train" --task regress --data "$tmp/ts.h5" \
		--hidden 32 --lr 0.005 --batch 2 --epochs 3 --patience 0
else
	echo "note: no ts-prepare; --task regress not checked"
fi
echo "signals that landed inside an epoch: $mid"
[ $mid -ge 1 ] || fail "no signal landed inside an epoch (epochs too short here?)"
echo ok
