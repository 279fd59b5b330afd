#!/usr/bin/env bash
# e2e/make_rebuild.sh - what a rebuilt program means for the pipeline, on the
# demo dump in a temporary tree with a copy of the build folder:
#  - programs relinked into the same code (make clean; make, a CUDA object
#    compiled again) re-run nothing, and before any make runs the pipeline
#    make -q all exits 0 and make -n all lists nothing, writing nothing;
#  - a program whose code changed (train.o compiled at -O1) makes make -q
#    exit 1, make -n list its stage, and make re-run that stage and what
#    follows, nothing before it;
#  - two makes at once on one BUILD and ART both write the code sum and
#    the stamp.
set -eu
. "$(dirname "$0")/pipeline-lib.bash"
pipeline_tree rebuild 1

expect "first run" "evaluate filter-relabel learn-vocab pack-hdf5 report split tokenize train " all
B=$T/build
cp -a "$BUILD" "$B"
expect "another build folder, same programs" "" all BUILD="$B"

# make -q and make -n in BUILD: nothing to do (exit 0, no stage, no stamp
# or code sum remade), and nothing written under ART or BUILD/code
nothing_to_do() { # label
	local got
	mk -q all BUILD="$B" || { echo "FAIL: $1: make -q all exits $?, want 0"; exit 1; }
	got=$(mk -n all BUILD="$B" 2>&1)
	if grep -E 'STAGE|stamps/|/code/|strip |/bin/' <<<"$got"; then
		echo "FAIL: $1: make -n all would run the lines above"; exit 1
	fi
	echo "ok: $1: make -q all exits 0, make -n all lists nothing"
}
dates() { find "$ART" "$B/code" -type f -printf '%p %T@\n' | sort; }

# make clean; make: the programs (and their code sums) come back with the
# same code, a CUDA object compiled again included (its symbol table holds
# nvcc's temporary file name, with its PID); here the copy's programs and
# library are deleted and relinked from its objects
rm -rf "$B/bin" "$B/lib" "$B/code"
cuda_obj=$B/obj/kernels/pool_cuda.o
[ -f "$cuda_obj" ] && rm "$cuda_obj" && echo "recompiling $(basename "$cuda_obj") with nvcc"
mk build BUILD="$B" > "$T/build.log" 2>&1 || { cat "$T/build.log"; echo "FAIL: make build"; exit 1; }
before=$(dates)
nothing_to_do "programs rebuilt into the same code"
[ "$(dates)" = "$before" ] || { diff <(echo "$before") <(dates); echo "FAIL: make -q / -n wrote files"; exit 1; }
expect "programs rebuilt into the same code" "" all BUILD="$B"
nothing_to_do "after that make"

# the same through make all alone (it builds the programs first, then reads
# the Makefile again), with -j2
rm -rf "$B/bin" "$B/lib" "$B/code"
expect "make -j2 all relinking every program" "" -j2 all BUILD="$B"
nothing_to_do "after make -j2 all"

# train's code changes (its object compiled at -O1; make sees only a newer
# object): make -q says stale, make -n lists train's stage, make re-runs
# train and what follows
mk --eval 'train-o1: ; $(CC) $(ALL_CFLAGS) -O1 -c stages/train.c -o $(BUILD)/obj/stages/train.o' \
	train-o1 BUILD="$B" > "$T/o1.log" 2>&1 || { cat "$T/o1.log"; echo "FAIL: compiling train.o at -O1"; exit 1; }
if mk -q all BUILD="$B"; then echo "FAIL: make -q all exits 0 with train's code changed"; exit 1; fi
got=$(mk -n all BUILD="$B" 2>&1)
[[ $got == *"'STAGE' 'train -> "* && $got != *"'STAGE' 'tokenize "* && $got != *"'STAGE' 'pack-hdf5 "* ]] \
	|| { echo "$got"; echo "FAIL: make -n all with train's code changed"; exit 1; }
echo "ok: make -q and make -n see train's changed code"
expect "train's code changed" "evaluate report train " all BUILD="$B"
nothing_to_do "after train's stage re-ran"

# two makes at once on one BUILD and ART (a retrain and a make by hand) each
# write train's code sum and stamp; a strip that waits for the other make's
# makes them overlap for sure (the first goes on once both stripped, the
# second 1 s later)
mkdir -p "$T/slowbin"
cat > "$T/slowbin/strip" <<EOF
#!/bin/sh
$(command -v strip) "\$@" || exit
if mkdir "$T/strip-first" 2>/dev/null; then
	for i in \$(seq 300); do [ -e "$T/strip-second" ] && exit 0; sleep 0.1; done
else
	touch "$T/strip-second"; sleep 1
fi
EOF
chmod +x "$T/slowbin/strip"
cp "$B/code/train.mk" "$T/train.mk"
rm "$B/code/train.mk"
PATH=$T/slowbin:$PATH mk "$T/art2/stamps/train.sum" ART="$T/art2" BUILD="$B" > "$T/stamp1" 2>&1 & s1=$!
PATH=$T/slowbin:$PATH mk "$T/art2/stamps/train.sum" ART="$T/art2" BUILD="$B" > "$T/stamp2" 2>&1 || \
	{ cat "$T/stamp2"; echo "FAIL: the second of two makes writing a stamp"; exit 1; }
wait $s1 || { cat "$T/stamp1"; echo "FAIL: the first of two makes writing a stamp"; exit 1; }
[ -e "$T/strip-second" ] || { echo "FAIL: the two makes did not strip side by side"; exit 1; }
cmp "$T/train.mk" "$B/code/train.mk" || { echo "FAIL: code sum differs"; exit 1; }
cmp "$ART/stamps/train.sum" "$T/art2/stamps/train.sum" || { echo "FAIL: stamp differs"; exit 1; }
[ "$(ls "$T/art2/stamps")" = train.sum ] || { ls "$T/art2/stamps"; echo "FAIL: files left in stamps/"; exit 1; }
[ "$(ls "$B/code" | grep -vc '\.mk$')" = 0 ] || { ls "$B/code"; echo "FAIL: files left in code/"; exit 1; }
echo "ok: two makes on one BUILD and ART write the code sum and the stamp side by side"
rm -rf "$T"
