#!/usr/bin/env python3
"""Loads model.h5 into the equivalent PyTorch module with the snippet of
docs/model-file.md and compares its logits on the dataset's test split with
the logit columns of `evaluate --logits` (predictions.tsv), row by row.

usage: torch_model.py MODEL.h5 DATASET.h5 PREDICTIONS.tsv [MODEL DATASET PREDICTIONS]...
(one process for all: importing torch is the slow part).
Exit 0 when every logit of every model agrees within atol 1e-5 (both sides are float32;
the sums run in a different order), 1 otherwise."""
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ATOL = 1e-5


def build(f):
    a = f.attrs
    cell = a["cell"]
    E, H, L = int(a["embed"]), int(a["hidden"]), int(a["layers"])
    bi = bool(a["bidirectional"])
    V, K = int(a["vocab"]), int(a["outputs"])

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, E)
            rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
            self.rnn = rnn(E, H, num_layers=L, batch_first=True, bidirectional=bi)
            self.fc = nn.Linear(H * (2 if bi else 1), K)

    net = Net()
    # the snippet of docs/model-file.md, strict: every tensor, exact shapes
    state = {k: torch.from_numpy(f[k][()]) for k in f}
    net.load_state_dict(state, strict=True)
    return net.eval(), cell, bi, a["pool"]


def logits(net, cell, bi, pool, ids, lengths):
    x = net.embedding(torch.from_numpy(ids.astype(np.int64)))
    lens = torch.from_numpy(lengths.astype(np.int64))
    T = ids.shape[1]
    if pool == "last-padded":
        out, _ = net.rnn(x)  # over the padding too, as the notebook
        feat = out[:, -1]
    else:
        packed = pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        out, h = net.rnn(packed)
        if pool == "last":
            h = h[0] if cell == "lstm" else h
            feat = torch.cat([h[-2], h[-1]], dim=1) if bi else h[-1]
        else:
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
            mask = (torch.arange(T)[None, :] < lens[:, None])[:, :, None]
            if pool == "mean":
                feat = (out * mask).sum(1) / lens[:, None].to(out.dtype)
            elif pool == "max":
                feat = out.masked_fill(~mask, float("-inf")).max(1).values
            else:
                raise SystemExit(f"unknown pooling {pool}")
    return net.fc(feat)


def check(model_path, data_path, pred_path):
    with h5py.File(model_path, "r") as f:
        net, cell, bi, pool = build(f)
        labels = list(f.attrs["label_names"])
    with h5py.File(data_path, "r") as d:
        ids = d["test/ids"][()]
        lengths = d["test/lengths"][()]
        hashes = d["test/hashes"][()]
    rows = [l.rstrip("\n").split("\t") for l in open(pred_path, encoding="utf-8")]
    head, rows = rows[0], rows[1:]
    cols = [head.index(f"logit_{n}") for n in labels]
    ours = np.array([[float(r[c]) for c in cols] for r in rows], dtype=np.float64)
    got_hashes = [int(r[0], 16) for r in rows]
    if got_hashes != [int(h) for h in hashes]:
        print("FAIL: predictions.tsv rows are not the test split in file order")
        return 1
    with torch.no_grad():
        ref = logits(net, cell, bi, pool, ids, lengths).double().numpy()
    err = np.abs(ours - ref)
    i = np.unravel_index(np.argmax(err), err.shape)
    print(f"{cell} bidirectional={bi} pool={pool}: {len(rows)} rows, worst |diff| "
          f"{err[i]:.3g} at row {i[0]} class {i[1]} (ours {ours[i]:.9g}, torch {ref[i]:.9g})")
    if not np.all(err <= ATOL):
        print(f"FAIL: logits differ by more than {ATOL}")
        return 1
    return 0


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3:
        raise SystemExit(__doc__)
    fails = sum(check(*args[i:i + 3]) for i in range(0, len(args), 3))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
