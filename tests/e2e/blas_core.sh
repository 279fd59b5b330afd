#!/usr/bin/env bash
# OpenBLAS's kernels on a CPU it does not know (common/blascore.h): train,
# evaluate and predict run themselves again with OPENBLAS_CORETYPE when
# OpenBLAS fell back to the kernels of a core without AVX2 on a CPU that
# has AVX2 and FMA (SkylakeX with AVX-512, else Haswell), once, printing
# nothing more; an OPENBLAS_CORETYPE of the user's stays.  OpenBLAS says
# which kernels it loads at OPENBLAS_VERBOSE=2 ("Core: NAME").
set -euo pipefail
BIN=${BUILD:-build}/bin
fail() { echo "FAIL: $*"; exit 1; }

# the "Core:" lines of a run, one per load of OpenBLAS
cores() { env -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 "$@" 2>&1 >/dev/null | sed -n 's/^Core: //p'; }

first=$(cores "$BIN/predict" --help | head -1)
[ -n "$first" ] || { echo "SKIP: OpenBLAS does not say which kernels it loads"; exit 0; }
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { for f; do [[ " $flags " == *" $f "* ]] || return 1; done; }
old="Katmai Coppermine Northwood Prescott Banias Atom Core2 Penryn Dunnington Nehalem"
old+=" Sandybridge Athlon Opteron Opteron(SSE3) Barcelona Nano Bobcat Bulldozer Piledriver"
old+=" Steamroller unknown"
want=$first
if has avx2 fma && [[ " ${old,,} " == *" ${first,,} "* ]]; then
	want=Haswell
	has avx512f avx512cd avx512bw avx512dq avx512vl && want=SkylakeX
	echo "OpenBLAS loads its $first kernels on this CPU: the programs ask for $want"
else
	echo "OpenBLAS loads its $first kernels on this CPU: its choice stands"
fi
for p in train evaluate predict; do
	got=$(cores "$BIN/$p" --help | tr '\n' ' ')
	expect="$first "
	[ "$want" = "$first" ] || expect="$first $want "
	[ "$got" = "$expect" ] || fail "$p --help: OpenBLAS loaded '$got', expected '$expect'"
	n=$("$BIN/$p" --help | grep -c '^usage:')
	[ "$n" = 1 ] || fail "$p --help: printed its usage $n times"
done
# the user's choice stays
got=$(OPENBLAS_CORETYPE=$first OPENBLAS_VERBOSE=2 "$BIN/train" --help 2>&1 >/dev/null |
	sed -n 's/^Core: //p' | tr '\n' ' ')
[ "$got" = "$first " ] || fail "OPENBLAS_CORETYPE=$first: OpenBLAS loaded '$got'"
echo "ok"
