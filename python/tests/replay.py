"""Test helper: resumes a checkpoint in the PyTorch trainer (one process) and runs the next iteration on
the batches and ε the engine used for it (from a safetensors file: x0, c0, eps0, x1, …); prints the
iteration's losses as JSON on the last line."""
import json
import sys

from sagan_torch.checkpoint import read
from sagan_torch.safetensors_io import load_file
from sagan_torch.trainer import Trainer

ckpt_path, feed_path = sys.argv[1], sys.argv[2]
config = read(ckpt_path)["meta"]["config"]
t = Trainer(config)
t.resume(ckpt_path)
feed, _ = load_file(feed_path)
n = config["nCritic"]
rec = t.iteration([(feed[f"x{i}"], feed[f"c{i}"]) for i in range(n)], [feed[f"eps{i}"] for i in range(n)])
print(json.dumps(rec))
