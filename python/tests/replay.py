"""Test helper: resumes a checkpoint in the PyTorch trainer (one process) and runs the next iterations on
the batches and ε the engine used for them (a safetensors file: x0, c0, eps0, x1, …; n_critic of each
per iteration); prints the iterations' log records as a JSON list on the last line, and with a third
argument writes the checkpoint after each iteration N into that folder as step_N.safetensors (their
G.* and Gema.* are compared with the engine's).

    replay.py CKPT FEED [OUT_DIR]"""
import json
import os
import sys

from sagan_torch.checkpoint import read
from sagan_torch.safetensors_io import load_file
from sagan_torch.trainer import Trainer

ckpt_path, feed_path = sys.argv[1], sys.argv[2]
config = read(ckpt_path)["meta"]["config"]
t = Trainer(config)
t.resume(ckpt_path)
feed, _ = load_file(feed_path)
n, k = config["nCritic"], sum(1 for name in feed if name.startswith("x"))
if k % n:
    sys.exit(f"{feed_path}: {k} batches are not whole iterations of n_critic {n}")
recs = []
for it in range(k // n):
    idx = range(it * n, (it + 1) * n)
    recs.append(t.iteration([(feed[f"x{i}"], feed[f"c{i}"]) for i in idx], [feed[f"eps{i}"] for i in idx]))
    if len(sys.argv) > 3:
        t.save(os.path.join(sys.argv[3], f"step_{t.step}.safetensors"))
print(json.dumps(recs))
