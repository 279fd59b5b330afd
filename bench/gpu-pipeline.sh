#!/usr/bin/env bash
# bench/gpu-pipeline.sh - the pipeline of `make all` on the shared dumps, on
# the GPU machine, one stage after another with its wall time and peak RSS:
# tokenize (one file per dump), filter-relabel, split, pack-hdf5, train,
# evaluate, report, with the settings of `make all` (DEVICE=cuda).  That
# machine has no HDF5 headers, so make cannot run there; this script runs
# the bundled programs with make's command lines, and takes the settings
# from `make print-pipeline-vars` (mk/pipeline.mk), which gpu-prepare runs
# here into .device/data/pipeline.env.
#   bash bench/gpu-pipeline.sh [DATA_DIR VOCAB]   (default: .device/data/dumps,
#                                                  .device/data/vocab.txt)
# bench/gpu-prepare.sh bundles the programs and copies the dumps and the
# vocabulary into .device/data/ (git-ignored, carried; ../shared never
# travels).  Artifacts go to $ART (default /tmp/gpu-art: the model is too big
# to come back); the small ones (metrics, logs, stage times) are copied to
# $OUT/pipeline/.  Here, for comparison:
#   make -s print-pipeline-vars DEVICE=cpu | grep "^[A-Z_]*='" > /tmp/cpu.env
#   PIPELINE_VARS=/tmp/cpu.env RNNPIPE_BIN=build/bin bash bench/gpu-pipeline.sh DUMPS VOCAB
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
ART=${ART:-/tmp/gpu-art}
DATA=${1:-.device/data/dumps}
VOCAB=${2:-.device/data/vocab.txt}
VARS=${PIPELINE_VARS:-.device/data/pipeline.env}
[ -d "$DATA" ] && [ -f "$VOCAB" ] && [ -f "$VARS" ] || {
	echo "gpu-pipeline: no dumps in '$DATA', no '$VOCAB' or no '$VARS'" \
		"(bench/gpu-prepare.sh writes them)" >&2
	exit 1
}
# MAX_LEN TRUNC ON_ERROR LABELS FRACTIONS PACK_FLAGS TRAIN_FLAGS DEVICE THREADS
. "$VARS"
if [ -f .device/env.sh ] && [ -z "${RNNPIPE_BIN:-}" ]; then
	command -v train >/dev/null 2>&1 || . .device/env.sh
fi
BIN=${RNNPIPE_BIN:-}
p() { echo "${BIN:+$BIN/}$1"; }

rm -rf "$ART"
mkdir -p "$ART/tok" "$ART/split" "$ART/stats" "$OUT/pipeline"
times=$OUT/pipeline/stages.tsv
printf 'stage\twall_s\tpeak_rss_mib\texit\n' >"$times"
failed=

# stage NAME CMD...: runs it under /usr/bin/time when there is one
stage() {
	local name=$1 t0 rc rss=-
	shift
	[ -n "$failed" ] && { printf '%s\t-\t-\tskipped\n' "$name" >>"$times"; return; }
	t0=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$ART/.rss" "$@" >"$ART/.out" 2>"$ART/.err"
		rc=$?
		rss=$(awk 'END { printf "%.1f", $1 / 1024 }' "$ART/.rss" 2>/dev/null)
	else
		"$@" >"$ART/.out" 2>"$ART/.err"
		rc=$?
	fi
	local dt
	dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	printf '%s\t%s\t%s\t%d\n' "$name" "$dt" "$rss" "$rc" >>"$times"
	echo "gpu-pipeline: $name: ${dt} s, peak RSS ${rss} MiB, exit $rc"
	if [ $rc -ne 0 ]; then
		failed=$name
		tail -15 "$ART/.err" | cut -c1-240
	fi
	cat "$ART/.err" >>"$OUT/pipeline/stderr.log"
}

dumps=()
for f in "$DATA"/*.jsonl "$DATA"/*.jsonl.gz "$DATA"/*.csv "$DATA"/*.csv.gz; do
	[ -f "$f" ] && dumps+=("$f")
done
mapfile -t dumps < <(printf '%s\n' "${dumps[@]}" | sort)
toks=()
for d in "${dumps[@]}"; do
	n=$(basename "$d")
	n=${n%.gz}
	n=${n%.*}
	toks+=("$ART/tok/$n.tok")
	stage "tokenize $n" "$(p tokenize)" --vocab "$VOCAB" --max-len "$MAX_LEN" --truncation "$TRUNC" \
		--on-error "$ON_ERROR" --stats "$ART/stats/tokenize-$n.json" --output "$ART/tok/$n.tok" --quiet "$d"
done
stage filter-relabel "$(p filter-relabel)" --labels "$LABELS" --on-error "$ON_ERROR" \
	--stats "$ART/stats/filter-relabel.json" --output "$ART/merged.tok" --quiet "${toks[@]}"
stage split "$(p split)" --fractions "$FRACTIONS" --train "$ART/split/train.tok" \
	--validation "$ART/split/validation.tok" --test "$ART/split/test.tok" \
	--stats "$ART/stats/split.json" --quiet "$ART/merged.tok"
splits=("$ART/split/train.tok" "$ART/split/validation.tok" "$ART/split/test.tok")
# shellcheck disable=SC2086 # PACK_FLAGS and TRAIN_FLAGS are lists of options, as in make
stage pack-hdf5 "$(p pack-hdf5)" --out "$ART/dataset.h5" $PACK_FLAGS --quiet "${splits[@]}"
stage train "$(p train)" --data "$ART/dataset.h5" --vocab "$VOCAB" --model "$ART/model.h5" \
	--log "$ART/train-log.jsonl" --summary "$ART/train.json" --checkpoint "$ART/checkpoint.h5" \
	--resume $TRAIN_FLAGS
stage evaluate "$(p evaluate)" --model "$ART/model.h5" --data "$ART/dataset.h5" \
	--metrics "$ART/metrics.json" --predictions "$ART/predictions.tsv" --device "$DEVICE" \
	--threads "$THREADS" --quiet
tokstats=()
for t in "$ART"/stats/tokenize-*.json; do tokstats+=(--tok-stats "$t"); done
stage report "$(p report)" --train-log "$ART/train-log.jsonl" --train-json "$ART/train.json" \
	--metrics "$ART/metrics.json" --predictions "$ART/predictions.tsv" \
	--history "$ART/history.jsonl" --split-dir "$ART/split" "${tokstats[@]}" \
	--filter-stats "$ART/stats/filter-relabel.json" --split-stats "$ART/stats/split.json" \
	--html "$ART/report.html" --md "$ART/report.md" --quiet

for f in metrics.json train.json train-log.jsonl report.md stats/filter-relabel.json stats/split.json; do
	[ -f "$ART/$f" ] && cp "$ART/$f" "$OUT/pipeline/"
done
column -t -s $'\t' "$times" 2>/dev/null || cat "$times"
# the GPU's busy and idle time over the train steps (train.json)
[ -f "$ART/train.json" ] && python3 -c 'import json, sys
t = json.load(open(sys.argv[1])).get("device_timing")
if t: print("train on the device: %d steps, busy %.2f s, idle between steps %.3f s (%.2f %%), longest gap %.2f ms"
            % (t["steps"], t["busy_s"], t["idle_s"], 100 * (t["idle_fraction"] or 0), 1e3 * t["max_idle_s"]))' "$ART/train.json"
[ -f "$ART/metrics.json" ] && grep -o '"accuracy": *[0-9.]*\|"macro_f1": *[0-9.]*' "$ART/metrics.json" | head -2
[ -z "$failed" ] || { echo "gpu-pipeline: stopped at $failed"; exit 1; }
