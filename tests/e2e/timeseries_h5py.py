"""Checks a time-series dataset.h5 with h5py and numpy only (no project code),
then scores numpy-made forecasts with ts-metrics and checks its numbers.

usage: timeseries_h5py.py BIN DATASET TMPDIR CSV
  CSV: the source file when the dataset came from one ('' for synthetic).
Exits non-zero with a message on the first mismatch.
"""
import csv
import json
import subprocess
import sys

import h5py
import numpy as np

BIN, PATH, TMP, CSV = sys.argv[1:5]


def check(cond, what):
    if not cond:
        sys.exit("FAIL: %s: %s" % (PATH, what))


f = h5py.File(PATH, "r")
a = f.attrs
check(a["format"] == "rnnpipe-timeseries" and a["format_version"] == 1, "format")
check(a["task"] == "regress", "task")
W, K = int(a["window"]), int(a["horizon"])
mean, std = float(a["mean"]), float(a["std"])
b = [int(x) for x in a["split_bounds"]]
values = f["series/values"][:]
n = len(values)
check(values.dtype == np.float64 and b[0] == 0 and b[3] == n and a["series_length"] == n,
      "series and bounds")

# the normalisation is the train part's, and only the train part's
check(abs(mean - values[: b[1]].mean()) <= 1e-9 * max(1, abs(mean)), "mean is not the train part's")
check(abs(std - values[: b[1]].std()) <= 1e-9 * std, "std is not the train part's (ddof 0)")

for s, name in enumerate(["train", "validation", "test"]):
    g = f[name]
    idx = g["index"][:]
    x, y, ln = g["inputs"][:], g["targets"][:], g["lengths"][:]
    N = len(idx)
    check(x.shape == (N, W, 1) and x.dtype == np.float32, name + " inputs shape")
    check(y.shape == (N, K) and y.dtype == np.float32, name + " targets shape")
    check((ln == W).all() and g.attrs["count"] == N == a["n_" + name], name + " lengths/count")
    # every example of the part, in order: targets inside [b[s], b[s+1])
    first = max(b[s], W)
    check((idx == np.arange(first, b[s + 1] - K + 1)).all(), name + " index")
    check(idx.min() >= b[s] and (idx + K - 1).max() < b[s + 1], name + " targets leave the part")
    # windows rebuilt from the raw series
    win = np.stack([values[i - W:i] for i in idx])
    tgt = np.stack([values[i:i + K] for i in idx])
    check(np.allclose(x[:, :, 0], ((win - mean) / std).astype(np.float32), rtol=0, atol=1e-6),
          name + " inputs differ from the series")
    check(np.allclose(y, ((tgt - mean) / std).astype(np.float32), rtol=0, atol=1e-6),
          name + " targets differ from the series")
    if name == "train":
        check((idx + K - 1 < b[1]).all(), "a train target at or after the first validation value")
        check((idx - W >= 0).all(), "a window before the series")

if CSV:
    with open(CSV, newline="") as fh:
        rows = list(csv.reader(fh))
    check(rows[0][1] == a["column"] and rows[0][0] == a["time_column"], "column names")
    check(np.array_equal(values, np.array([float(r[1]) for r in rows[1:]])), "values differ from the CSV")
    times = [t.decode() if isinstance(t, bytes) else t for t in f["series/time"][:]]
    check(times == [r[0] for r in rows[1:]], "time labels differ from the CSV")

# ---- scored by ts-metrics ----
test = f["test"]
idx, y, x = test["index"][:], test["targets"][:], test["inputs"][:, :, 0]
truth = np.stack([values[i:i + K] for i in idx])
naive = np.repeat(values[idx - 1][:, None], K, axis=1)
naive_rmse = np.sqrt(((naive - truth) ** 2).mean())
naive_mae = np.abs(naive - truth).mean()


def score(pred, units):
    p = TMP + "/pred.txt"
    np.savetxt(p, pred, fmt="%.17g")
    out = TMP + "/metrics.json"
    subprocess.run([BIN + "/ts-metrics", "--quiet", "--dataset", PATH, "--predictions", p,
                    "--units", units, "--out", out], check=True)
    with open(out) as fh:
        return json.load(fh)


# 1. the normalised targets: the error is float32 rounding only
m = score(y.astype(np.float64), "normalised")
check(m["rmse"] < 1e-5 * std, "rmse of the targets themselves: %g" % m["rmse"])
check(abs(m["naive_rmse"] - naive_rmse) <= 1e-9 * naive_rmse, "naive_rmse %g vs numpy %g" % (m["naive_rmse"], naive_rmse))
check(abs(m["naive_mae"] - naive_mae) <= 1e-9 * naive_mae, "naive_mae")
check(m["n"] == len(idx) and m["horizon"] == K, "n, horizon")

# 2. the naive forecast made by numpy from the inputs: same errors as the baseline
m = score(np.repeat(x[:, -1:], K, axis=1).astype(np.float64), "normalised")
check(abs(m["rmse"] - naive_rmse) <= 1e-5 * naive_rmse, "naive via inputs: %g vs %g" % (m["rmse"], naive_rmse))

# 3. original units: the mean of the train part everywhere
m = score(np.full(truth.shape, mean), "original")
want = np.sqrt(((truth - mean) ** 2).mean())
check(abs(m["rmse"] - want) <= 1e-9 * want, "constant forecast rmse")
check(abs(m["mae"] - np.abs(truth - mean).mean()) <= 1e-9 * want, "constant forecast mae")
nz = truth != 0
check(abs(m["mape"] - 100 * np.abs((truth[nz] - mean) / truth[nz]).mean()) <= 1e-9 * m["mape"], "mape")

# 4. seasonal naive, when the file has a season
if "season" in a:
    S = int(a["season"])
    seas = np.stack([[values[i + h - S * (h // S + 1)] for h in range(K)] for i in idx])
    want = np.sqrt(((seas - truth) ** 2).mean())
    check(abs(m["seasonal_rmse"] - want) <= 1e-9 * want, "seasonal_rmse")
print("%s: ok (n %d, W %d, K %d, naive rmse %.6g)" % (PATH, n, W, K, naive_rmse))
