#!/usr/bin/env bash
# e2e/retrain.sh - the cron path on the demo dump, in a temporary tree:
#  0. relative paths given to scripts/retrain, run from another folder,
#     are taken from that folder;
#  1. make retrain trains, keeps runs/<time>/, promotes runs/current;
#  2. again with nothing new: "nothing new", exit 0, no new run, also when
#     it starts in the same second as the current run; a model made by hand
#     (make all) since the last run is recorded; a failed report fails the
#     night and says so in its log, and so does SIGTERM (the log keeps the
#     stopped stage's last lines);
#  3. a new dump lands and two retrains start together: one runs, the other
#     exits 3 saying another run holds the lock; nothing is left corrupt;
#  4. a pipeline killed (SIGKILL to the whole process group) at seeded random
#     points and re-run until it completes gives the same artifacts as an
#     uninterrupted run (training resumes from its checkpoint).
set -eu
. "$(dirname "$0")/pipeline-lib.bash"
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/setup installs it)"; exit 77; }
pipeline_tree retrain 3

# make runs the pipeline in the repository; keep every output in $T
export ART REPORTS RUNS=$T/runs

# --help shows the whole header, exit statuses included
scripts/retrain --help > "$T/help" || { echo "FAIL: retrain --help"; exit 1; }
grep -q '3 when locked' "$T/help" || { cat "$T/help"; echo "FAIL: retrain --help cut short"; exit 1; }
grep -q '^set ' "$T/help" && { cat "$T/help"; echo "FAIL: retrain --help shows code"; exit 1; }

# settings of the promotion that cannot work are refused (exit 2) before
# anything runs, not after a night of training (a metric misspelt) or read
# as something else (a tolerance of "1%" was 1: anything promoted)
for bad in PROMOTE_METRIC=val_f1 PROMOTE_TOLERANCE=1% PROMOTE_TOLERANCE=0,01 PROMOTE_TOLERANCE=-1; do
	set +e
	MAKE=false scripts/retrain "$bad" > "$T/bad" 2>&1; rc=$?
	set -e
	[ $rc -eq 2 ] && grep -q "${bad%%=*} '" "$T/bad" \
		|| { cat "$T/bad"; echo "FAIL: retrain $bad: exit $rc, want 2 and a message"; exit 1; }
done
[ -e "$RUNS" ] && { ls -la "$RUNS"; echo "FAIL: a refused setting made a run folder"; exit 1; }

# relative paths are the caller's (its current folder), not the
# repository's, whether given as arguments or in the environment: a
# stand-in make records what it was given; the run then fails (no model)
mkdir -p "$T/caller"
build=$BUILD; [[ $build = /* ]] || build=$TOP/$build
printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s"\n' "$T/make-args" > "$T/args-make"
chmod +x "$T/args-make"
set +e
(cd "$T/caller" && env -u ART -u REPORTS RUNS=runs MAKE="$T/args-make" "$TOP/scripts/retrain" \
	DATA=dumps VOCAB=v/vocab.txt ART=art REPORTS=rep BUILD="$build" EPOCHS=1) \
	> "$T/log0" 2>&1
set -e
for want in "DATA=$T/caller/dumps" "VOCAB=$T/caller/v/vocab.txt" "ART=$T/caller/art" \
	    "REPORTS=$T/caller/rep" "BUILD=$build" EPOCHS=1; do
	grep -qxF -- "$want" "$T/make-args" || { cat "$T/log0" "$T/make-args"; echo "FAIL: make was not given $want"; exit 1; }
done
[ -e "$T/caller/art/.retrain.lock" ] && ls "$T/caller/runs"/2*/log.txt >/dev/null \
	|| { cat "$T/log0"; ls -R "$T/caller"; echo "FAIL: ART or RUNS not in the caller's folder"; exit 1; }
rm -rf "$T/caller"

# 1. first run: trains and promotes
mk retrain > "$T/log1" 2>&1 || { cat "$T/log1"; echo "FAIL: first retrain"; exit 1; }
grep -q 'retrain: summary: run .* promoted' "$T/log1" || { tail "$T/log1"; echo "FAIL: not promoted"; exit 1; }
[ -L "$RUNS/current" ] && [ -f "$RUNS/current/model.h5" ] && [ -f "$RUNS/current/report.html" ] \
	|| { ls -la "$RUNS" "$RUNS"/*; echo "FAIL: run folder incomplete"; exit 1; }
[ "$(wc -l < "$ART/history.jsonl")" -eq 1 ] || { echo "FAIL: history"; exit 1; }
if grep -q $'\033' "$T/log1"; then echo "FAIL: control characters in the cron log"; exit 1; fi
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ' "$T/log1" || { echo "FAIL: no timestamps"; exit 1; }

# 2. nothing new
mk retrain > "$T/log2" 2>&1 || { cat "$T/log2"; echo "FAIL: second retrain"; exit 1; }
grep -q 'summary: nothing new' "$T/log2" || { tail "$T/log2"; echo "FAIL: expected nothing new"; exit 1; }
[ "$(ls -d "$RUNS"/2* | wc -l)" -eq 1 ] || { echo "FAIL: a run folder for nothing"; exit 1; }

# 2a. a run that starts in the second the current one started (retrain
# --wait queued behind it; date stands still here) has a folder of its own:
# it shared the current run's, and its "nothing new" removed it
cur=$(readlink "$RUNS/current")
mkdir -p "$T/bin"
printf '#!/bin/sh\nexec %s -d "%s" "$@"\n' "$(command -v date)" \
	"$(sed -E 's/^(....)(..)(..)T(..)(..)(..)Z$/\1-\2-\3 \4:\5:\6 UTC/' <<< "$cur")" > "$T/bin/date"
chmod +x "$T/bin/date"
PATH=$T/bin:$PATH mk retrain > "$T/log2a" 2>&1 || { cat "$T/log2a"; echo "FAIL: retrain in the current run's second"; exit 1; }
grep -q 'summary: nothing new' "$T/log2a" || { tail "$T/log2a"; echo "FAIL: expected nothing new"; exit 1; }
[ "$(readlink "$RUNS/current")" = "$cur" ] && [ -f "$RUNS/current/model.h5" ] \
	|| { ls -la "$RUNS" "$RUNS"/*; echo "FAIL: the current run's folder was removed"; exit 1; }

# 2b. the log's timestamps are those of the lines, not of the end of the run
# (a stand-in make that prints, waits, prints; then nothing new)
printf '#!/bin/sh\necho first line\nsleep 2\necho second line\n' > "$T/fake-make"
chmod +x "$T/fake-make"
MAKE=$T/fake-make scripts/retrain > "$T/log2b" 2>&1 || { cat "$T/log2b"; echo "FAIL: retrain with a stand-in make"; exit 1; }
t1=$(grep 'first line' "$T/log2b" | cut -d' ' -f1)
t2=$(grep 'second line' "$T/log2b" | cut -d' ' -f1)
[ -n "$t1" ] && [ "$t1" != "$t2" ] || { cat "$T/log2b"; echo "FAIL: lines 2 s apart stamped $t1 and $t2"; exit 1; }

# 2c. the script's settings given as arguments, as a cron line does, apply to
# the script too (lock, run folders, promotion), not only to the inner make
env -u ART -u REPORTS -u RUNS scripts/retrain "${knobs[@]}" ART="$ART" REPORTS="$REPORTS" \
	RUNS="$RUNS" PROMOTE_METRIC=best_val_loss EPOCHS=2 > "$T/log2c" 2>&1 \
	|| { cat "$T/log2c"; echo "FAIL: retrain with settings as arguments"; exit 1; }
grep -q 'summary: run .*(best_val_loss ' "$T/log2c" || { tail "$T/log2c"; echo "FAIL: PROMOTE_METRIC as an argument ignored"; exit 1; }
jq -e 'has("best_val_loss") and .dumps == 1' <(tail -n 1 "$ART/history.jsonl") >/dev/null \
	|| { tail -n 1 "$ART/history.jsonl"; echo "FAIL: history line of 2c"; exit 1; }
[ "$(ls -d "$RUNS"/2* | wc -l)" -eq 2 ] || { ls "$RUNS"; echo "FAIL: 2c's run folder not in RUNS"; exit 1; }

# 2d. a model made by hand (make all) since the last run is the night's
# news, though the night's make has nothing left to do: recorded, not
# "nothing new"
mk all EPOCHS=1 > "$T/log2d-all" 2>&1 || { cat "$T/log2d-all"; echo "FAIL: make all by hand"; exit 1; }
mk retrain EPOCHS=1 > "$T/log2d" 2>&1 || { cat "$T/log2d"; echo "FAIL: retrain after make all"; exit 1; }
grep -q 'summary: run .*promoted' "$T/log2d" || { tail "$T/log2d"; echo "FAIL: the model made by hand was not recorded"; exit 1; }
[ "$(wc -l < "$ART/history.jsonl")" -eq 3 ] || { cat "$ART/history.jsonl"; echo "FAIL: history after 2d"; exit 1; }
cmp "$ART/model.h5" "$RUNS/$(jq -r .run <(tail -n 1 "$ART/history.jsonl"))/model.h5" \
	|| { echo "FAIL: 2d's run folder does not hold the model"; exit 1; }

# 2e. a report that fails fails the night (exit 1) and says so in the
# night's log, with the report's own message (a stand-in make fails it)
printf '#!/bin/sh\nfor a; do [ "$a" = report ] && { echo "report: stand-in failure" >&2; exit 1; }; done\nexec make "$@"\n' \
	> "$T/fail-report-make"
chmod +x "$T/fail-report-make"
set +e
MAKE=$T/fail-report-make scripts/retrain "${knobs[@]}" EPOCHS=2 > "$T/log2e" 2>&1; rc=$?
set -e
[ $rc -eq 1 ] || { cat "$T/log2e"; echo "FAIL: a failed report: exit $rc, want 1"; exit 1; }
grep -q 'stand-in failure' "$T/log2e" && grep -q 'summary: run .*; report FAILED (log: ' "$T/log2e" \
	|| { cat "$T/log2e"; echo "FAIL: a failed report not in the night's log"; exit 1; }
[ "$(wc -l < "$ART/history.jsonl")" -eq 4 ] || { cat "$ART/history.jsonl"; echo "FAIL: history after 2e"; exit 1; }
# the run's own log.txt ends with the summary too (kept, it says how the
# night ended)
log2e=$(sed -n 's/^.*report FAILED (log: \(.*\))$/\1/p' "$T/log2e")
tail -n 1 "$log2e" | grep -q 'retrain: summary: run .*; report FAILED (log: ' \
	|| { cat "$log2e"; echo "FAIL: the run's log.txt does not end with its summary"; exit 1; }

# 2f. a run stopped by SIGTERM (shutdown, timeout(1): the whole process
# group) ends the night's log with its summary and dies by the signal; the
# log keeps what the stopping stage wrote last (a stand-in for train: its
# stop line comes a while after the signal), stamped, and nothing else
cat > "$T/slow-make" <<'SH'
#!/bin/sh
trap 'sleep 0.5; echo "train: stopped by SIGTERM in epoch 1; rerun with --resume to continue" >&2; exit 75' TERM
echo working
while :; do sleep 0.1; done
SH
chmod +x "$T/slow-make"
MAKE=$T/slow-make setsid scripts/retrain "${knobs[@]}" > "$T/log2f" 2>&1 & p=$!
for _ in $(seq 200); do grep -q working "$T/log2f" && break; sleep 0.05; done
kill -TERM -- -$p
set +e; wait $p; rc=$?; set -e
[ $rc -eq 143 ] || { cat "$T/log2f"; echo "FAIL: retrain stopped by SIGTERM: exit $rc, want 143"; exit 1; }
tail -n 1 "$T/log2f" | grep -q 'retrain: summary: run .* stopped by SIGTERM (log: .*); current model kept' \
	|| { cat "$T/log2f"; echo "FAIL: no summary line after SIGTERM"; exit 1; }
log2f=$(sed -n 's/^.*stopped by SIGTERM (log: \(.*\)); current model kept$/\1/p' "$T/log2f")
for f in "$T/log2f" "$log2f"; do
	grep -q '^[0-9T:-]*Z train: stopped by SIGTERM in epoch 1; rerun with --resume' "$f" \
		|| { cat "$f"; echo "FAIL: $f lost the stopping stage's last line"; exit 1; }
	grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ' "$f" \
		&& { echo "FAIL: lines without a timestamp in $f"; exit 1; }
done
# the stopped run's folder is kept, its log.txt ending with the summary
tail -n 1 "$log2f" | grep -q 'retrain: summary: run .* stopped by SIGTERM' \
	|| { cat "$log2f"; echo "FAIL: the stopped run's log.txt does not end with its summary"; exit 1; }

# 3. a new dump and two overlapping retrains
cp data/demo/reviews-2026-11.csv "$T/data/"
mk retrain > "$T/log3a" 2>&1 & a=$!
for _ in $(seq 600); do  # wait until the first one holds the lock (it says so)
	grep -q 'retrain: run ' "$T/log3a" 2>/dev/null && break
	sleep 0.05
done
set +e
mk retrain > "$T/log3b" 2>&1; rb=$?
wait $a; ra=$?
set -e
[ $ra -eq 0 ] || { cat "$T/log3a"; echo "FAIL: first of two retrains exited $ra"; exit 1; }
[ $rb -eq 2 ] || [ $rb -eq 3 ] || { cat "$T/log3b"; echo "FAIL: second retrain exited $rb"; exit 1; }
grep -q 'another retrain is running' "$T/log3b" || { cat "$T/log3b"; echo "FAIL: no lock message"; exit 1; }
[ "$(wc -l < "$ART/history.jsonl")" -eq 5 ] || { cat "$ART/history.jsonl"; echo "FAIL: history after new dump"; exit 1; }
jq -e '.dumps == 2' <(tail -n 1 "$ART/history.jsonl") >/dev/null || { echo "FAIL: new dump not picked up"; exit 1; }

# 4. kill at random points, re-run, compare with an uninterrupted run
# both runs use the same folder name (model files record their inputs' paths)
killed=$T/run4
ref=$T/ref
ART=$killed mk metrics > "$T/log4ref" 2>&1 || { cat "$T/log4ref"; echo "FAIL: reference run"; exit 1; }
mv "$killed" "$ref"
RANDOM=7
kills=0
for attempt in $(seq 30); do
	# the first two kills come early (tokenize, pack), then anywhere
	delay=$(awk -v r=$RANDOM -v a=$attempt \
		'BEGIN { printf "%.2f", a <= 2 ? 0.3 * a : 0.1 + (r % 150) / 100 }')
	ART=$killed setsid make --no-print-directory "${knobs[@]}" ART="$killed" REPORTS="$REPORTS" \
		metrics > "$T/log4" 2>&1 & p=$!
	( sleep "$delay"; kill -9 -- -$p 2>/dev/null ) & k=$!
	# (the killer may have ended already: its kill is allowed to fail)
	if wait $p; then kill $k 2>/dev/null || true; wait $k 2>/dev/null || true; break; fi
	wait $k 2>/dev/null || true
	kills=$((kills + 1))
done
ART=$killed mk metrics > "$T/log4b" 2>&1 || { cat "$T/log4b"; echo "FAIL: final re-run"; exit 1; }
echo "killed $kills times before a run completed"
[ $kills -ge 2 ] || { echo "FAIL: the pipeline was killed fewer than 2 times (delays too long?)"; exit 1; }
ls "$killed"/*.tmp.* "$killed"/*/*.tmp.* 2>/dev/null && { echo "FAIL: temporary files left"; exit 1; }
for f in vocab.txt merged.tok split/train.tok split/validation.tok split/test.tok \
	 dataset.h5 model.h5 metrics.json predictions.tsv; do
	cmp "$ref/$f" "$killed/$f" || { echo "FAIL: $f differs after kills"; exit 1; }
done
rm -rf "$T"
echo "retrain: ok"
