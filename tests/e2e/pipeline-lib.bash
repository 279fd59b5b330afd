# tests/e2e/pipeline-lib.bash - the setup shared by the e2e tests that run
# make as the pipeline on the demo dump in a temporary tree (make_pipeline.sh,
# make_rebuild.sh, retrain.sh).  Not a test itself: the runner only runs tests/e2e/*.sh.
# Sourced, it goes to the repository (make runs there) and sets TOP and
# BUILD; pipeline_tree makes the tree, mk runs make.

TOP=${RNNPIPE_TOP:-$(pwd)}
cd "$TOP"
BUILD=${BUILD:-build}

# pipeline_tree NAME EPOCHS: sets T, a new /tmp/rnnpipe-NAME-XXXXXX whose
# data/ holds the first demo dump (a test copies in the next one when it
# wants a new dump); knobs, the make variables of every run (BUILD, DATA,
# EPOCHS, THREADS=1); ART=$T/art and REPORTS=$T/rep.
pipeline_tree() {
	T=$(mktemp -d "/tmp/rnnpipe-$1-XXXXXX")
	mkdir -p "$T/data"
	cp data/demo/reviews-2026-10.jsonl "$T/data/"
	knobs=(BUILD="$BUILD" DATA="$T/data" EPOCHS="$2" THREADS=1)
	ART=$T/art
	REPORTS=$T/rep
}

# mk ARGS...: make in the repository with the knobs, every artifact under
# $ART and every report under $REPORTS (ART=DIR mk ...: elsewhere, once).
mk() { make --no-print-directory "${knobs[@]}" ART="$ART" REPORTS="$REPORTS" "$@"; }

# stages: the stages a make's output says it ran, sorted, each followed by a
# space ("evaluate report train ")
stages() { grep -o 'STAGE   [a-z0-9-]*' | awk '{print $2}' | sort -u | tr '\n' ' '; }
# expect LABEL STAGES ARGS...: mk ARGS must run exactly STAGES
expect() {
	local label=$1 want=$2; shift 2
	local got
	got=$(mk "$@" 2>&1 | stages)
	if [ "$got" != "$want" ]; then
		echo "FAIL: $label: re-ran '$got', expected '$want'"; exit 1
	fi
	echo "ok: $label: $want"
}
