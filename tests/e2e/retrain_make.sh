#!/usr/bin/env bash
# e2e/retrain_make.sh - make retrain under make's own options, on the demo
# dump in a temporary tree (one epoch):
#  - make -j2 retrain: the script's makes get make's job slots (no
#    "jobserver unavailable" warning);
#  - make -q retrain: 0 when the night would find nothing new, 1 when a
#    parameter changed or a model made by hand is not recorded yet;
#  - make -n retrain: what the night would re-run;
#  - make -t retrain: refused; none of the three writes a file.
set -eu
. "$(dirname "$0")/pipeline-lib.bash"
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/setup installs it)"; exit 77; }
pipeline_tree retrain-make 1
export ART REPORTS RUNS=$T/runs

# a stand-in make that records what the script's makes were given
printf '#!/bin/sh\nprintf "%%s\\n" "$MAKEFLAGS" >> "%s"\nexec make "$@"\n' "$T/makeflags" > "$T/spy-make"
chmod +x "$T/spy-make"
mk -j2 retrain MAKE="$T/spy-make" > "$T/log1" 2>&1 || { cat "$T/log1"; echo "FAIL: make -j2 retrain"; exit 1; }
grep 'jobserver' "$T/log1" && { echo "FAIL: make -j2 retrain: the script's makes had no job slots"; exit 1; }
grep -q 'summary: run .* promoted' "$T/log1" || { tail "$T/log1"; echo "FAIL: make -j2 retrain did not promote"; exit 1; }
grep -q -- '-j2 --jobserver-auth=' "$T/makeflags" || { cat "$T/makeflags"; echo "FAIL: no jobserver in MAKEFLAGS"; exit 1; }
echo "ok: make -j2 retrain: the script's makes share make's job slots"

files() { find "$ART" "$RUNS" "$REPORTS" -printf '%p %s %T@\n' | sort; }
before=$(files)
mk -q retrain > "$T/q0" 2>&1 || { cat "$T/q0"; echo "FAIL: make -q retrain with nothing new: exit $?"; exit 1; }
set +e
mk -q retrain EPOCHS=2 > "$T/q1" 2>&1; rc=$?
set -e
[ $rc -eq 1 ] || { cat "$T/q1"; echo "FAIL: make -q retrain EPOCHS=2: exit $rc, want 1"; exit 1; }
got=$(mk -n retrain EPOCHS=2 2>&1) || { echo "$got"; echo "FAIL: make -n retrain"; exit 1; }
[[ $got == *"retrain: dry run (make -n)"* && $got == *"'STAGE' 'train -> "* && $got != *"retrain: summary"* \
   && $got != *"'STAGE' 'tokenize "* ]] || { echo "$got"; echo "FAIL: make -n retrain EPOCHS=2"; exit 1; }
set +e
mk -t retrain > "$T/t" 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'retrain: make -t would mark' "$T/t" || { cat "$T/t"; echo "FAIL: make -t retrain: exit $rc"; exit 1; }
[ "$(files)" = "$before" ] || { diff <(echo "$before") <(files); echo "FAIL: make -q / -n / -t retrain wrote files"; exit 1; }
echo "ok: make -q, -n and -t retrain answer without writing"

# a model made by hand since the last run: the night would record it
mk all EPOCHS=2 > "$T/all" 2>&1 || { cat "$T/all"; echo "FAIL: make all by hand"; exit 1; }
set +e
mk -q retrain EPOCHS=2 > "$T/q2" 2>&1; rc=$?
set -e
[ $rc -eq 1 ] || { cat "$T/q2"; echo "FAIL: make -q retrain with a model not recorded: exit $rc, want 1"; exit 1; }
echo "ok: make -q retrain sees a model made by hand"
rm -rf "$T"
