"""`python -m sagan_torch.train` — SaGAN training on a CelebA-layout folder, one process or many:

    python3 -m sagan_torch.train --data /data/celeba --attr Smiling --out runs/smile
    torchrun --nproc_per_node 8 -m sagan_torch.train --data /data/celeba --attr Smiling --batch 2 --out runs/smile

The flags are `sagan train`'s (src/sagan/cli/train.ts; config.py lists them), loss weights (--cls,
--cls-fake, --rec, --idt, --idt-mask) and the average of G's weights (--g-ema) included; --batch is per
process (the step averages the gradients of all processes' batches: 8 × 2 = the paper's 16). Process 0
writes OUT/log.jsonl (one line per iteration, the engine's fields), OUT/config.json and
OUT/checkpoint.safetensors in the engine's format — `sagan edit --ckpt OUT/checkpoint.safetensors` uses
it as is. `--resume` continues the run in OUT (also one the engine wrote) with its own config; --steps,
--new-lr, --new-rec, --new-cls, --new-cls-fake, --new-idt-mask, --decay-from and --g-ema change it from here on, recorded
in config.json "changes" as the engine records them. Backend: NCCL on CUDA, gloo on CPU."""
import json
import os
import sys
import time

import torch

from . import checkpoint as ckpt
from .config import UsageError, new_config, parse, resumed_config
from .data import CelebAFolder, Stream
from .trainer import Trainer


# The files that make a folder a run (the engine's run-folder.ts RUN_FILES).
RUN_FILES = ["checkpoint.safetensors", "log.jsonl", "config.json"]


def cut_log(path, step):
    """Keeps the log's lines of iterations 1 … step, each once, as the engine's cutLog does on resume: a run
    killed after logging past its last checkpoint would otherwise log those iterations twice (a line cut
    short by the kill does not parse and is dropped)."""
    if not os.path.exists(path):
        return
    keep, seen = [], set()
    with open(path) as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            n = rec.get("step") if isinstance(rec, dict) else None
            if not isinstance(n, (int, float)) or n > step or n in seen:
                continue
            seen.add(n)
            keep.append(line.rstrip("\n") + "\n")
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.writelines(keep)
    os.replace(tmp, path)


def setup(argv, world):
    """→ (args, config, dataset, checkpoint path or None, notes to print): everything checked before anything is written."""
    a, given = parse(argv, __doc__.split("\n\n")[0])
    ck = os.path.join(a.out, "checkpoint.safetensors")
    if a.resume and a.force:
        raise UsageError("train: --resume continues the run in --out and --force replaces it; give one of them")
    held = [f for f in RUN_FILES if os.path.exists(os.path.join(a.out, f))]
    if held and not (a.resume or a.force):  # as the engine (run-folder.ts): never overwrite a run unasked
        raise UsageError(f"train: {a.out} already holds a run ({', '.join(held)}). Fix: --resume to continue it, --force to replace it, or another --out.")
    if not a.resume:
        config = new_config(a, given, world)
        ds = CelebAFolder(a.data, a.attr, a.size, "train")
        if ds.train_count is not None:  # split by count: recorded, as the engine does, so a resume splits the same way
            config = {**config, "trainCount": ds.train_count}
        return a, config, ds, None, []
    if not os.path.exists(ck):
        raise UsageError(f"train: --resume but {ck} does not exist. Fix: drop --resume, or point --out at the run to continue.")
    meta = ckpt.read(ck)["meta"]
    config = resumed_config(meta["config"], meta["step"], a, given, ck)
    ds = CelebAFolder(a.data, config["attribute"], config["model"]["size"], "train", config.get("trainCount"))
    notes = [f"train: reading the run's data (recorded as {config['data']}) from {a.data}"] if config["data"] != a.data else []
    was = config.get("processes", 1)
    if world != was:  # allowed (the stream position counts per-process batches), but the step's batch changes: said
        notes.append(f"train: {world} process(es) × batch {config['batchSize']} continue a run of {was} × {config['batchSize']}: "
                     f"each step now averages {world * config['batchSize']} images instead of {was * config['batchSize']}")
        config["processes"] = world
    return a, config, ds, ck, notes


def main(argv=None):
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    say = print if rank == 0 else (lambda *_a, **_k: None)
    try:
        a, config, ds, resume_from, notes = setup(sys.argv[1:] if argv is None else argv, world)
    except (UsageError, ValueError) as e:
        sys.exit(str(e))
    local = int(os.environ.get("LOCAL_RANK", 0))
    cuda = torch.cuda.is_available() if a.device == "auto" else a.device == "cuda"
    device = f"cuda:{local}" if cuda else "cpu"
    if cuda:
        torch.cuda.set_device(local)
    if world > 1:
        torch.distributed.init_process_group("nccl" if cuda else "gloo")
    try:
        t = Trainer(config, Stream(ds, config["batchSize"], config["seed"], rank, world), device, rank, world)
        if resume_from:
            t.resume(resume_from)
    except ValueError as e:
        sys.exit(str(e))
    ck = os.path.join(a.out, "checkpoint.safetensors")
    if resume_from:
        say(f"resumed from {ck} at iteration {t.step}")
        for n in notes:
            say(n)
        for ch in (c for c in config.get("changes", []) if c["step"] == t.step):
            say(f"train: {ch['field']} changed from {ch['from']} to {ch['to']} at iteration {ch['step']} (recorded in {a.out}/config.json)")
    if rank == 0:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "config.json"), "w") as f:
            f.write(ckpt.config_json(t.config, 2) + "\n")
        if not resume_from:
            if os.path.exists(ck):  # --force: the replaced run's checkpoint must not outlive it
                os.remove(ck)
            open(os.path.join(a.out, "log.jsonl"), "w").close()
        else:
            cut_log(os.path.join(a.out, "log.jsonl"), t.step)
    m, steps = config["model"], config["steps"]
    say(f"training SaGAN {m['size']}² w{m['width']} res{m['nRes']} on {a.data}/{config['attribute']} ({len(ds)} train images): "
        f"{world} process(es) × batch {config['batchSize']} on {device if world == 1 else ('cuda' if cuda else 'cpu')}, "
        f"iterations {t.step + 1}–{steps}", flush=True)
    cls = t.warmup()
    if cls is not None:
        say(f"critic warm-up: {config['dWarmup']} steps, last BCE {cls:.3f}", flush=True)
    t0, s0 = time.perf_counter(), t.step
    while t.step < steps:
        rec = t.iteration()
        rec["sec_per_iter"] = (time.perf_counter() - t0) / (t.step - s0)
        if rank == 0:
            with open(os.path.join(a.out, "log.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
            if t.step % config["checkpointEvery"] == 0 or t.step == steps:
                t.save(ck)
            if t.step % config["logEvery"] == 0 or t.step == steps:
                say(f"[{t.step}/{steps}] D {rec['d_loss']:.3f} GP {rec['gp']:.3f} G {rec['g_loss']:.3f} rec {rec['rec']:.3f}"
                    f" mask {rec['mask_mean']:.2f} ({rec['sec_per_iter']:.2f} s/it)", flush=True)
    if world > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    say(f"wrote {ck} and {os.path.join(a.out, 'log.jsonl')}")


if __name__ == "__main__":
    main()
