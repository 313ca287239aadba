"""Test helper: the first K batches of the PyTorch loader's training stream (one process) → safetensors."""
import sys

from sagan_torch.data import CelebAFolder, Stream
from sagan_torch.safetensors_io import save_file

root, attr, size, batch, seed, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
s = Stream(CelebAFolder(root, attr, size), batch, seed)
t = {}
for j in range(k):
    t[f"x{j}"], t[f"c{j}"] = s.draw(0, j)
save_file(out, t)
