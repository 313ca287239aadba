"""`python -m sagan_torch.forward --ckpt C --input IN.safetensors --out OUT.safetensors`: the generator of
checkpoint C (the engine's or this trainer's) applied to IN's `x` [n, 3, S, S] in [−1, 1] with target
values `target` [n]; writes `edited` and `mask` (all ones without attention) — the floats `sagan edit`
turns into PNGs, for comparing the two engines."""
import argparse

import torch

from . import checkpoint as ckpt
from .model import build
from .safetensors_io import load_file, save_file


def main(argv=None):
    p = argparse.ArgumentParser(prog="sagan_torch.forward")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    ck = ckpt.read(a.ckpt)
    G, _ = build(ck["meta"]["config"]["model"])
    # As the engine's edit: a run that keeps an average of G's weights (--g-ema) edits with it.
    which = "Gema" if ck["parts"]["Gema"] else "G"
    ckpt.load_weights(G, ck["parts"][which], f"{a.ckpt}: {which}")
    inp, _ = load_file(a.input)
    with torch.no_grad():
        edited, mask = G.eval()(inp["x"], inp["target"])
    save_file(a.out, {"edited": edited, "mask": mask if mask is not None else torch.ones_like(edited[:, :1])})


if __name__ == "__main__":
    main()
