"""h5py_dataset.py DATASET.h5 SPLIT_DIR - reads dataset.h5 the way a Python
user would, with h5py and numpy only (no project code), and checks it
against the token files it was packed from (parsed here independently of
common/tokfile.c).  When torch is importable, also trains an nn.RNN for a
few steps straight from the file.  Exit 0 = pass; prints what it checked."""
import json
import struct
import sys

import h5py
import numpy as np


def read_tok(path):
    """Token-record file (common/tokfile.h): header, JSON meta, records."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"RNNTOK\0\0", path
    _version, meta_len, count = struct.unpack_from("<IIQ", data, 8)
    meta = json.loads(data[24:24 + meta_len])
    pos, recs = 24 + meta_len, {}
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, pos)
        body = pos + 4
        h, label, _split, _z, _lraw, _src, _line, n_full, n_ids, _tl, _pad = \
            struct.unpack_from("<QiBBHIIIIII", data, body)
        ids = np.frombuffer(data, dtype="<u4", count=n_ids, offset=body + 40)
        recs[h] = (label, n_full, ids)
        pos = body + n
    assert data[pos:pos + 8] == b"RNTEND\0\0"[:0] + b"RNNTEND\0", "trailer"
    return meta, recs


def main():
    path, split_dir = sys.argv[1], sys.argv[2]
    f = h5py.File(path, "r")
    a = f.attrs
    assert a["format"] == "rnnpipe-dataset", a["format"]
    assert int(a["format_version"]) == 1
    T, pad, cls, sep = (int(a[k]) for k in ("max_len", "pad_id", "cls_id", "sep_id"))
    labels = list(a["label_names"])
    assert labels == ["negative", "positive"], labels
    assert isinstance(a["vocab_hash"], str) and len(a["vocab_hash"]) == 16
    print("attributes:", {k: (a[k].tolist() if hasattr(a[k], "tolist") else a[k])
                          for k in sorted(a)})
    for split in a["splits"]:
        g = f[split]
        n = int(a["n_" + split])
        ids, lengths, lab, hashes, n_full = (g[k] for k in
                                              ("ids", "lengths", "labels", "hashes", "n_full"))
        assert ids.shape == (n, T) and lengths.shape == (n,) and hashes.shape == (n,)
        assert ids.chunks is not None and ids.compression == "gzip" and ids.shuffle
        meta, recs = read_tok(f"{split_dir}/{split}.tok")
        assert meta["vocab_hash"] == a["vocab_hash"] and len(recs) == n
        X, L, Y, H, NF = ids[:], lengths[:], lab[:], hashes[:], n_full[:]
        assert X.dtype.kind in "iu" and Y.dtype.kind == "i"
        for i in range(n):
            label, nf, want = recs[int(H[i])]
            k = int(L[i])
            assert k == len(want) and Y[i] == label and NF[i] == nf, (split, i)
            assert np.array_equal(X[i, :k], want), (split, i)
            assert X[i, 0] == cls and X[i, k - 1] == sep and (X[i, k:] == pad).all()
        counts = np.bincount(Y, minlength=len(labels))
        assert counts.tolist() == g.attrs["label_counts"].tolist()
        print(f"{split}: {n} rows match the token file; label counts {counts.tolist()};"
              f" sample row 0: length {L[0]}, ids {X[0, :8].tolist()}...")
    try:
        import torch
    except ImportError:
        print("torch is not importable: checked the layout and the rows with numpy only")
        return
    train_rnn(f, torch)


def train_rnn(f, torch):
    """A PyTorch user's first steps: a Dataset over the h5py datasets."""
    import torch.nn as nn

    class H5Reviews(torch.utils.data.Dataset):
        def __init__(self, group):
            self.g = group

        def __len__(self):
            return self.g["labels"].shape[0]

        def __getitem__(self, i):
            return (torch.from_numpy(self.g["ids"][i].astype(np.int64)),
                    int(self.g["lengths"][i]), int(self.g["labels"][i]))

    torch.manual_seed(0)
    V, n_cls = int(f.attrs["vocab_size"]), len(f.attrs["label_names"])
    emb, rnn, fc = nn.Embedding(V, 16, padding_idx=int(f.attrs["pad_id"])), \
        nn.RNN(16, 32, batch_first=True), nn.Linear(32, n_cls)
    params = list(emb.parameters()) + list(rnn.parameters()) + list(fc.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    loader = torch.utils.data.DataLoader(H5Reviews(f["train"]), batch_size=16, shuffle=True)
    losses = []
    for step, (x, lengths, y) in enumerate(loader):
        out, _ = rnn(emb(x))
        last = out[torch.arange(x.shape[0]), lengths - 1]  # state at the last real token
        loss = nn.functional.cross_entropy(fc(last), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step == 2:
            break
    assert all(np.isfinite(losses)), losses
    print("torch: 3 training steps of nn.RNN from the file, losses", losses)


if __name__ == "__main__":
    main()
