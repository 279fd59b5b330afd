"""torch_rnn.py - PyTorch (CPU) throughput of the reference notebook's model,
the side that rnnpipe's CPU training is compared against: Embedding(V, 256)
-> nn.RNN / nn.LSTM / nn.GRU(256, 128, batch_first=True) -> Linear(128, 2)
on output[:, -1], batch 32, T = 256, Adam lr 1e-3, cross-entropy.
Batches are real token ids (a --print-ids file from build/bin/tokenize,
padded with --pad-id to T) or, without --ids, uniform random ids.
Prints one JSON line: sequences per second of each timed repeat and their
median, of the fastest step, and per second of process CPU time (all
threads; on a busy machine the last two move least) (--max-seconds cuts the timing short on a busy machine: fewer or
shorter windows, reported as steps_timed).  Peak memory is measured from outside (bench/run uses time -v).
Run with Debian's /usr/bin/python3 (python3-torch).  Not part of the tests.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn


class Notebook(nn.Module):
    def __init__(self, cell, vocab, embed, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](
            embed, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.fc(out[:, -1])


def load_ids(path, T, pad, limit):
    rows = []
    with open(path) as f:
        for line in f:
            ids = json.loads(line)["ids"][:T]
            rows.append(ids + [pad] * (T - len(ids)))
            if len(rows) >= limit:
                break
    if not rows:
        raise SystemExit(f"torch_rnn: no ids in '{path}'")
    return torch.tensor(rows, dtype=torch.long)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn")
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10, help="timed batches per repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=0,
                   help="stop timing after this long (a window ends early; 0 = no limit)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--vocab-size", type=int, default=119547)
    p.add_argument("--embed", type=int, default=256)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--ids", help="JSONL of {\"ids\": [...]} (tokenize --print-ids)")
    p.add_argument("--pad-id", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--flush-denormal", action="store_true",
                   help="torch.set_flush_denormal(True), as rnnpipe's engine does "
                        "(PyTorch's default keeps subnormals, which Intel cores are slow on)")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    if a.flush_denormal:
        torch.set_flush_denormal(True)
    torch.manual_seed(a.seed)
    B, T = a.batch, a.max_len
    need = B * (a.warmup + a.steps * a.repeats)
    if a.ids:
        data = load_ids(a.ids, T, a.pad_id, need)
        if int(data.max()) >= a.vocab_size:
            raise SystemExit("torch_rnn: an id is outside --vocab-size")
        source = f"ids from {a.ids} ({data.shape[0]} reviews, cycled)"
    else:
        data = torch.randint(0, a.vocab_size, (need, T))
        source = "uniform random ids"
    labels = torch.randint(0, 2, (data.shape[0],))

    model = Notebook(a.cell, a.vocab_size, a.embed, a.hidden, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    k = 0

    def batch():
        nonlocal k
        idx = torch.arange(k, k + B) % data.shape[0]
        k += B
        return data[idx], labels[idx]

    def step():
        x, y = batch()
        if a.mode == "train":
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return float(loss)
        with torch.no_grad():
            return float(loss_fn(model(x), y))

    model.train(a.mode == "train")
    for _ in range(a.warmup):
        step()
    rates, done, steps_s, loss = [], [], [], 0.0
    start = time.perf_counter()
    cpu0 = time.process_time()
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        n = 0
        while n < a.steps:
            s0 = time.perf_counter()
            loss = step()
            steps_s.append(time.perf_counter() - s0)
            n += 1
            if a.max_seconds and time.perf_counter() - start > a.max_seconds:
                break
        rates.append(n * B / (time.perf_counter() - t0))
        done.append(n)
        if a.max_seconds and time.perf_counter() - start > a.max_seconds:
            break
    cpu = time.process_time() - cpu0
    json.dump({
        "tool": "pytorch", "version": torch.__version__, "cell": a.cell, "mode": a.mode,
        "threads": torch.get_num_threads(), "batch": B, "max_len": T,
        "vocab_size": a.vocab_size, "embed": a.embed, "hidden": a.hidden,
        "parameters": sum(q.numel() for q in model.parameters()),
        "steps": a.steps, "repeats": a.repeats, "warmup": a.warmup, "batches": source,
        "steps_timed": done, "budget_hit": sum(done) < a.steps * a.repeats,
        "seq_per_s": rates, "median_seq_per_s": statistics.median(rates),
        "seq_per_s_best": B / min(steps_s), "seq_per_cpu_s": sum(done) * B / cpu,
        "last_loss": loss,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
