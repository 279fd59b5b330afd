#!/usr/bin/env python3
"""bench/gpu_torch.py - the PyTorch + cuDNN side of bench/gpu.sh, and its summary.

  gpu_torch.py bench [--cells rnn,lstm,gru] [--batches 32,256] [--steps 256]
                     [--vocab 119547] [--embed 256] [--hidden 128] [--iters 10]
                     [--device cuda|cpu]
      One JSON object per line on stdout:
      - "torch-train": ms per training step of Embedding(V, E) -> nn.RNN /
        nn.LSTM / nn.GRU(E, H, batch_first) -> Linear(H, 2) on output[:, -1]
        (no packing: every sequence full length, as our side runs it), cross
        entropy, clip_grad_norm_(1.0), dense Adam, loss.item() every step (our
        API syncs once per step too); batches copied from pinned host memory.
      - "torch-layer": microseconds per time step of the recurrent layer
        alone on a (B, T, E) input: forward, and backward (forward+backward
        minus forward), CUDA events, median of 5.
      FP32 throughout: TF32 is switched off for matmuls and cuDNN, since our
      kernels compute in plain FP32.  --device cpu is a dry run of the same
      code on PyTorch's CPU kernels (wall-clock timers, no pinned memory),
      so the script is known to work before a GPU session spends time on it
      (tests/e2e/gpu_torch_cpu.sh); its numbers are not a benchmark.
  gpu_torch.py summary OURS.jsonl TORCH.jsonl
      The comparison tables: our recurrence per variant against the cuDNN
      layer, our training step against PyTorch's, as ratios (ours / torch:
      below 1 means we are faster).
Needs PyTorch (with CUDA unless --device cpu) for "bench"; "summary" needs
only the standard library.
"""
import argparse
import json
import math
import sys
import time


def bench(a):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    dev = torch.device(a.device)
    gpu = dev.type == "cuda"
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(0) if gpu else 'CPU (dry run)'}", file=sys.stderr)
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
    T, E, H, V = a.steps, a.embed, a.hidden, a.vocab

    class Model(nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.embedding = nn.Embedding(V, E)
            self.rnn = cls[cell](E, H, batch_first=True)
            self.fc = nn.Linear(H, 2)

        def forward(self, x):
            out, _ = self.rnn(self.embedding(x))
            return self.fc(out[:, -1])

    for cell in a.cells.split(","):
        for B in [int(b) for b in a.batches.split(",")]:
            torch.manual_seed(0)
            # the layer alone
            layer = cls[cell](E, H, batch_first=True).to(dev)
            inp = torch.randn(B, T, E, device=dev, requires_grad=True)
            gout = torch.randn(B, T, H, device=dev)
            clock = Clock(torch, gpu)
            fw, fb = [], []
            for i in range(8):
                clock.mark(0)
                out, _ = layer(inp)
                clock.mark(1)
                out.backward(gout)
                clock.mark(2)
                clock.sync()
                if i >= 3:
                    fw.append(clock.ms(0, 1))
                    fb.append(clock.ms(0, 2))
            fw.sort()
            fb.sort()
            f_ms, fb_ms = fw[len(fw) // 2], fb[len(fb) // 2]
            print(json.dumps({"mode": "torch-layer", "cell": cell, "B": B, "T": T, "I": E,
                              "H": H, "fwd_us_per_step": 1e3 * f_ms / T,
                              "bwd_us_per_step": 1e3 * (fb_ms - f_ms) / T}), flush=True)
            del layer, inp, gout, out
            # the training step
            model = Model(cell).to(dev)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            pin = (lambda t: t.pin_memory()) if gpu else (lambda t: t)
            batches = [(pin(draw_ids(V, B, T, a.zipf)), pin(torch.randint(0, 2, (B,))))
                       for _ in range(4)]
            loss_v = 0.0
            for s in range(3 + a.iters):
                if s == 3:
                    clock.sync()
                    t0 = time.perf_counter()
                xb, yb = batches[s % 4]
                x = xb.to(dev, non_blocking=True)
                y = yb.to(dev, non_blocking=True)
                opt.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                loss_v = loss.item()
            ms = 1e3 * (time.perf_counter() - t0) / a.iters
            print(json.dumps({"mode": "torch-train", "cell": cell, "B": B, "T": T, "V": V,
                              "zipf": a.zipf, "E": E, "H": H, "ms_per_step": ms,
                              "loss": loss_v}), flush=True)
            print(f"torch {cell} B{B}: {ms:.3f} ms/step, layer fwd {1e3 * f_ms / T:.2f} "
                  f"bwd {1e3 * (fb_ms - f_ms) / T:.2f} us/step", file=sys.stderr)
            del model, opt
            if gpu:
                torch.cuda.empty_cache()


class Clock:
    """Marks in time and the milliseconds between two: CUDA events on the
    GPU (the device's time, whatever the host does), perf_counter after a
    synchronisation on the CPU."""

    def __init__(self, torch, gpu):
        self.torch, self.gpu = torch, gpu
        self.ev = [torch.cuda.Event(enable_timing=True) for _ in range(3)] if gpu else [0.0] * 3

    def mark(self, i):
        if self.gpu:
            self.ev[i].record()
        else:
            self.ev[i] = time.perf_counter()

    def sync(self):
        if self.gpu:
            self.torch.cuda.synchronize()

    def ms(self, i, j):
        if self.gpu:
            return self.ev[i].elapsed_time(self.ev[j])
        return 1e3 * (self.ev[j] - self.ev[i])


def load(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    except OSError as e:
        print(f"summary: cannot read '{path}': {e}", file=sys.stderr)
    return rows


def ratio(a, b):
    return f"{a / b:6.2f}" if a and b else "     -"


def draw_ids(V, B, T, s):
    """(B, T) int64 ids drawn as cuda_sandbox --zipf draws them (rng_zipf in
    common/rng.c: the continuous power law x^-s on [1, V] inverted and
    floored, minus one), or uniform when s is 0."""
    import torch  # as in bench(): the summary needs no torch
    if s <= 0:
        return torch.randint(0, V, (B, T))
    u = torch.rand(B * T, dtype=torch.float64)
    x = (torch.exp(u * math.log(V)) if s == 1.0
         else (((V ** (1.0 - s)) - 1.0) * u + 1.0) ** (1.0 / (1.0 - s)))
    return (x.long().clamp(1, V) - 1).view(B, T)


def summary(a):
    ours, torch = load(a.ours), load(a.torch)
    layer = {(r["cell"], r["B"]): r for r in torch if r["mode"] == "torch-layer"}
    ttrain = {(r["cell"], r["B"]): r for r in torch if r["mode"] == "torch-train"}
    print("recurrence, us per time step (whole cell call; ratio = ours / cuDNN layer)")
    print(f"{'cell':5} {'B':>4} {'variant':9} {'fwd':>8} {'bwd':>8} {'fwd x':>6} {'bwd x':>6}  plan")
    for r in ours:
        if r["mode"] != "cells":
            continue
        if not r.get("ok", True):
            print(f"{r['cell']:5} {'':>4} {r['variant']:9} FAILED its check against the CPU")
            continue
        t = layer.get((r["cell"], r.get("B")), {})
        print(f"{r['cell']:5} {r.get('B', ''):>4} {r['variant']:9} {r['fwd_us_per_step']:8.2f} "
              f"{r['bwd_us_per_step']:8.2f} {ratio(r['fwd_us_per_step'], t.get('fwd_us_per_step'))} "
              f"{ratio(r['bwd_us_per_step'], t.get('bwd_us_per_step'))}  {r.get('plan_fwd', '')}")
    for (c, B), t in sorted(layer.items()):
        print(f"{c:5} {B:>4} {'cudnn':9} {t['fwd_us_per_step']:8.2f} {t['bwd_us_per_step']:8.2f}")
    print()
    print("training step, ms (ratio = ours / PyTorch+cuDNN; busy = our device time per "
          "step, gap = our device's idle time between steps, us)")
    print(f"{'cell':5} {'B':>4} {'variant':9} {'ours':>8} {'torch':>8} {'x':>6} {'busy':>8} "
          f"{'gap':>7}")
    for r in ours:
        if r["mode"] != "train":
            continue
        t = ttrain.get((r["cell"], r["B"]), {})
        print(f"{r['cell']:5} {r['B']:>4} {r['variant']:9} {r['ms_per_step']:8.3f} "
              f"{t.get('ms_per_step', 0):8.3f} {ratio(r['ms_per_step'], t.get('ms_per_step'))} "
              f"{r.get('busy_ms_per_step') or float('nan'):8.3f} "
              f"{r.get('idle_us_per_gap') or float('nan'):7.1f}"
              + ("  NaN-guard steps!" if r.get("guarded_steps") else ""))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--cells", default="rnn,lstm,gru")
    b.add_argument("--batches", default="32,256")
    b.add_argument("--steps", type=int, default=256)
    b.add_argument("--vocab", type=int, default=119547)
    b.add_argument("--embed", type=int, default=256)
    b.add_argument("--hidden", type=int, default=128)
    b.add_argument("--iters", type=int, default=10)
    b.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                   help="cpu: a dry run of the script, not a benchmark")
    b.add_argument("--zipf", type=float, default=0.95,
                   help="Zipf-like token ids with exponent S, as cuda_sandbox --zipf; 0 = uniform")
    s = sub.add_parser("summary")
    s.add_argument("ours")
    s.add_argument("torch")
    a = p.parse_args()
    bench(a) if a.mode == "bench" else summary(a)


if __name__ == "__main__":
    main()
