"""`python -m sagan_torch.train` — SaGAN training on a CelebA-layout folder, one process or many:

    python3 -m sagan_torch.train --data /data/celeba --attr Smiling --out runs/smile
    torchrun --nproc_per_node 8 -m sagan_torch.train --data /data/celeba --attr Smiling --batch 2 --out runs/smile

The flags are `sagan train`'s (src/sagan/cli/train.ts); --batch is per process (the step averages the
gradients of all processes' batches: 8 × 2 = the paper's 16). Process 0 writes OUT/log.jsonl (one line
per iteration, the engine's fields), OUT/config.json and OUT/checkpoint.safetensors in the engine's
format — `sagan edit --ckpt OUT/checkpoint.safetensors` uses it as is, and `--resume` continues from it
(also from a checkpoint the engine wrote). Backend: NCCL on CUDA, gloo on CPU."""
import argparse
import json
import math
import os
import sys
import time

import torch

from .data import CelebAFolder, Stream
from .losses import PAPER_WEIGHTS
from .trainer import Trainer


def parse(argv):
    p = argparse.ArgumentParser(prog="sagan_torch.train", description=__doc__.split("\n\n")[0])
    a = p.add_argument
    a("--data", required=True, help="a CelebA-layout folder (list_attr_celeba.txt + img_align_celeba/)")
    a("--attr", default="Eyeglasses", help="attribute to edit (any of the list's columns)")
    a("--size", type=int, default=128, help="image size (power of two >= 16)")
    a("--width", type=int, default=32, help="base width w of G and D")
    a("--res", type=int, default=4, help="residual blocks in AMN and SAN")
    a("--down", type=int, default=3, help="down-sampling stages of AMN and SAN (the paper's 3; as sagan train --down)")
    a("--amn-residual", action="store_true", help="the AMN predicts the change, tanh(atanh(0.99 x) + f) (as sagan train --amn-residual)")
    a("--batch", type=int, default=16, help="batch size per process")
    a("--steps", type=int, default=10000, help="iterations (each: n-critic D steps + 1 G step)")
    a("--n-critic", type=int, default=3, help="D steps per G step")
    a("--lr", type=float, default=2e-4, help="learning rate of G and D (Adam, betas 0.5, 0.999)")
    a("--d-warmup", type=int, default=0, help="critic warm-up: D steps on the attribute loss alone before iteration 1")
    a("--decay-from", type=int, default=-1, help="decay the learning rate linearly to 0 from this iteration (-1: never)")
    a("--seed", type=int, default=1, help="seed of weights, batch order and noise")
    a("--no-attention", action="store_true", help="ablation: G(x, c) = AMN(x, c), no spatial attention")
    a("--out", default="runs/train", help="output folder")
    a("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors (same model config)")
    a("--log-every", type=int, default=10, help="print a progress line every N iterations (log.jsonl gets every one)")
    a("--ckpt-every", type=int, default=500, help="write the checkpoint every N iterations")
    a("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    return p.parse_args(argv)


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    local = int(os.environ.get("LOCAL_RANK", 0))
    cuda = torch.cuda.is_available() if a.device == "auto" else a.device == "cuda"
    device = f"cuda:{local}" if cuda else "cpu"
    if cuda:
        torch.cuda.set_device(local)
    if world > 1:
        torch.distributed.init_process_group("nccl" if cuda else "gloo")
    config = {
        "attribute": a.attr, "data": a.data,
        "model": {"size": a.size, "width": a.width, "nRes": a.res, "attention": not a.no_attention,
                  **({"down": a.down} if a.down != 3 else {}), **({"residual": True} if a.amn_residual else {})},
        "batchSize": a.batch, "steps": a.steps, "nCritic": a.n_critic, "lrG": a.lr, "lrD": a.lr,
        "betas": [0.5, 0.999], "decayFrom": math.inf if a.decay_from < 0 else a.decay_from,
        "weights": PAPER_WEIGHTS, "seed": a.seed, "dWarmup": a.d_warmup,
        "logEvery": a.log_every, "sampleEvery": a.ckpt_every, "checkpointEvery": a.ckpt_every,
        "processes": world,
    }
    ds = CelebAFolder(a.data, a.attr, a.size, "train")
    t = Trainer(config, Stream(ds, a.batch, a.seed, rank, world), device, rank, world)
    ck = os.path.join(a.out, "checkpoint.safetensors")
    if a.resume:
        if not os.path.exists(ck):
            sys.exit(f"train: --resume but {ck} does not exist")
        t.resume(ck)
    say = print if rank == 0 else (lambda *_a, **_k: None)
    if rank == 0:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "config.json"), "w") as f:
            json.dump({**config, "decayFrom": None if math.isinf(config["decayFrom"]) else config["decayFrom"]}, f, indent=2)
        if not a.resume:
            open(os.path.join(a.out, "log.jsonl"), "w").close()
    say(f"training SaGAN {a.size}² w{a.width} res{a.res} on {a.data}/{a.attr} ({len(ds)} train images): {world} process(es) × batch {a.batch}"
        f" on {device if world == 1 else ('cuda' if cuda else 'cpu')}, iterations {t.step + 1}–{a.steps}", flush=True)
    cls = t.warmup()
    if cls is not None:
        say(f"critic warm-up: {a.d_warmup} steps, last BCE {cls:.3f}", flush=True)
    t0, s0 = time.perf_counter(), t.step
    while t.step < a.steps:
        rec = t.iteration()
        rec["sec_per_iter"] = (time.perf_counter() - t0) / (t.step - s0)
        if rank == 0:
            with open(os.path.join(a.out, "log.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
            if t.step % a.ckpt_every == 0 or t.step == a.steps:
                t.save(ck)
            if t.step % a.log_every == 0 or t.step == a.steps:
                say(f"[{t.step}/{a.steps}] D {rec['d_loss']:.3f} GP {rec['gp']:.3f} G {rec['g_loss']:.3f} rec {rec['rec']:.3f}"
                    f" mask {rec['mask_mean']:.2f} ({rec['sec_per_iter']:.2f} s/it)", flush=True)
    if world > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    say(f"wrote {ck} and {os.path.join(a.out, 'log.jsonl')}")


if __name__ == "__main__":
    main()
