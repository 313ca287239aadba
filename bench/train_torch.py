"""@file The PyTorch side of `npm run bench`: ms per SaGAN iteration (n_critic D steps + 1 G step) of the
PyTorch twin (python/sagan_torch: same layers, losses and Adam as the engine) on one configuration, with
random batches made before the timed window (as the engine's bench pre-renders its faces).

    /usr/bin/python3 bench/train_torch.py SIZE WIDTH NRES BATCH ITERS [THREADS]

Prints one JSON line: {"ms": per-iteration median, "device": "cpu" | "cuda", "torch": version}.
CUDA when available (with a synchronize before each clock reading), else the CPU with THREADS threads."""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from sagan_torch.trainer import Trainer  # noqa: E402


def main():
    size, width, n_res, batch, iters = (int(v) for v in sys.argv[1:6])
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    torch.set_num_threads(threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    config = {
        "seed": 1, "model": {"size": size, "width": width, "nRes": n_res, "attention": True},
        "lrG": 2e-4, "lrD": 2e-4, "betas": [0.5, 0.999], "nCritic": 3, "decayFrom": float("inf"), "steps": 10**9,
    }
    t = Trainer(config, device=device)
    g = torch.Generator().manual_seed(1)
    # Data outside the timed window: n_critic batches per iteration, plus the warm-up iteration's.
    data = [[(torch.rand(batch, 3, size, size, generator=g).to(device) * 2 - 1,
              (torch.rand(batch, generator=g) < 0.5).float().to(device)) for _ in range(3)] for _ in range(iters + 1)]
    eps = [[torch.rand(batch, generator=g) for _ in range(3)] for _ in range(iters + 1)]
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times = []
    for i in range(iters + 1):
        sync()
        t0 = time.perf_counter()
        t.iteration(data[i], eps[i])
        sync()
        if i > 0:  # the first iteration warms allocators and caches
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms": statistics.median(times), "device": device, "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
