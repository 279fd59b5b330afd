#!/usr/bin/env bash
# The time-series dataset read with no project code: Debian's python3-h5py
# (/usr/bin/python3) rebuilds every window from series/values, checks the
# normalisation is the train part's alone and that no train target reaches
# the validation part, then scores forecasts made by numpy with ts-metrics
# (timeseries_h5py.py).  Synthetic series always; the airline CSV too when
# ../shared is present.
set -euo pipefail
BIN=${BUILD:-build}/bin
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found (Debian's python3 with python3-h5py)"; exit 77; }
"$PY" -c 'import h5py, numpy' 2>/dev/null ||
	{ echo "SKIP: h5py or numpy not importable by $PY (apt-get install python3-h5py)"; exit 77; }
tmp=$(mktemp -d /tmp/rnnpipe-e2e-tsh5-XXXXXX)
here=$(dirname "$0")
"$BIN/ts-prepare" --quiet --synthetic 700 --window 20 --horizon 3 --season 50 \
	--train 0.6 --validation 0.2 --out "$tmp/syn.h5"
"$PY" "$here/timeseries_h5py.py" "$BIN" "$tmp/syn.h5" "$tmp" ""
csv=${SHARED:-../shared}/data/timeseries/airline-passengers.csv
if [ -f "$csv" ]; then
	"$BIN/ts-prepare" --quiet --csv "$csv" --window 12 --season 12 --out "$tmp/air.h5"
	"$PY" "$here/timeseries_h5py.py" "$BIN" "$tmp/air.h5" "$tmp" "$csv"
else
	echo "note: $csv absent, CSV check not run"
fi
# mean NaN or std infinite (edited with h5py, resealed as a faulty writer
# would leave it): refused as inconsistent, where evaluate printed a note
# and exited 0 with nonsense forecasts
for a in 'mean:float("nan")' 'std:float("inf")'; do
	cp "$tmp/syn.h5" "$tmp/bad.h5"
	"$PY" "$here/h5_reseal_edit.py" "$tmp/bad.h5" "f.attrs[\"${a%%:*}\"] = ${a#*:}"
	rc=0
	"$BIN/ts-metrics" --dataset "$tmp/bad.h5" --baselines 2>"$tmp/err" || rc=$?
	[ $rc -eq 1 ] && grep -q "inconsistent attributes" "$tmp/err" ||
		{ cat "$tmp/err"; echo "FAIL: ${a%%:*} edited: exit $rc"; exit 1; }
done
echo "a non-finite mean or std is refused"
rm -rf "$tmp"
