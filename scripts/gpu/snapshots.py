"""@file Snapshots of training runs for eval curves (scripts/gpu/run.sh): a run rewrites
RUNS/<name>/checkpoint.safetensors every 100 iterations; whenever its step (the safetensors header's
__metadata__.step) is a multiple of EVERY, copy it to SNAP/<name>/step-<step>.safetensors. Polls until
END seconds after T0 (epoch seconds).
    python3 snapshots.py RUNS SNAP EVERY END T0
    python3 snapshots.py --step FILE        (prints a checkpoint's step)
    python3 snapshots.py --status RUNS      (each run's last logged step and seconds per iteration)"""
import json
import os
import shutil
import struct
import sys
import time


def step(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return int(json.loads(f.read(n))["__metadata__"]["step"])


def status(runs):
    out = []
    for name in sorted(os.listdir(runs)):
        try:
            with open(os.path.join(runs, name, "log.jsonl")) as f:
                last = json.loads(f.read().strip().split("\n")[-1])
            out.append(f"{name} {last['step']} ({last['sec_per_iter']:.3f} s/it)")
        except (OSError, ValueError, KeyError, IndexError):
            if os.path.isdir(os.path.join(runs, name)):
                out.append(f"{name} -")
    return "; ".join(out)


def main():
    if sys.argv[1] == "--step":
        print(step(sys.argv[2]))
        return
    if sys.argv[1] == "--status":
        print(status(sys.argv[2]))
        return
    runs, snap, every, end, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    while time.time() - t0 < end:
        for name in sorted(os.listdir(runs)):
            ck = os.path.join(runs, name, "checkpoint.safetensors")
            try:
                s = step(ck)
            except (OSError, ValueError, KeyError, struct.error):
                continue  # not written yet, or being replaced
            dst = os.path.join(snap, name, f"step-{s:05d}.safetensors")
            if s % every == 0 and not os.path.exists(dst):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(ck, dst + ".tmp")
                os.replace(dst + ".tmp", dst)
        time.sleep(0.25)


if __name__ == "__main__":
    main()
