"""@file What comes back from a lease (scripts/gpu/run.sh): at most 8 files, 16 MiB each, 64 MiB in all.
results.tar.xz holds the bench, logs, configs, every eval (json, md, grids) and the judges; the generators
(G only, 7.5 MB each at width 16) come two to a tar — for each attribute the best snapshots of its runs
by removal closeness + min(addition magnitude, 1) (the two issue-12 bars that pull against each other),
KEEP[attribute] of them.
    python3 pack.py WORK OUT 'deno run -A --no-lock .gpu/cli.js'"""
import glob
import json
import os
import subprocess
import sys
import tarfile

KEEP = {"Eyeglasses": 2, "Smiling": 2, "Mouth_Slightly_Open": 1, "No_Beard": 1}


def main():
    work, out, cli = sys.argv[1], sys.argv[2], sys.argv[3].split()
    scored = []
    for path in glob.glob(os.path.join(work, "eval", "*", "eval.json")):
        for m in json.load(open(path))["models"]:
            s = m["summary"]
            if not m.get("model", {}).get("attention", True) or s["remove"].get("closeness") is None:
                continue
            score = s["remove"]["closeness"] + min(s["add"]["magnitude"], 1)
            scored.append((score, m["attribute"], m["checkpoint"], m["step"]))
    scored.sort(reverse=True)
    picked, count = [], {}
    for score, attr, ck, step in scored:
        if count.get(attr, 0) < KEEP.get(attr, 1):
            count[attr] = count.get(attr, 0) + 1
            picked.append((attr, ck, step, score))
    os.makedirs(os.path.join(work, "G"), exist_ok=True)
    files = []
    with open(os.path.join(work, "picked.txt"), "w") as f:
        for attr, ck, step, score in picked:
            run = os.path.basename(os.path.dirname(ck))
            dst = os.path.join(work, "G", f"{run}-{step}.safetensors")
            r = subprocess.run(cli + ["export", "--ckpt", ck, "--out", dst], capture_output=True, text=True)
            ok = r.returncode == 0 and os.path.exists(dst)
            f.write(f"{attr} {run} step {step} score {score:.3f} {'exported' if ok else 'export failed: ' + r.stderr[-300:]}\n")
            if ok:
                files.append(dst)
    with tarfile.open(os.path.join(out, "results.tar.xz"), "w:xz") as t:
        for pattern in ["run.log", "adapter.txt", "nvidia-smi.txt", "bench.txt", "bench-direct.txt", "check.txt", "check/log.jsonl", "picked.txt",
                        "runs/*.txt", "runs/*/log.jsonl", "runs/*/config.json", "eval", "judge/*.txt", "judge/*/*"]:
            for p in sorted(glob.glob(os.path.join(work, pattern))):
                t.add(p, arcname=os.path.relpath(p, work))
    for i in range(0, len(files), 2):
        # Only letters, digits, '.', '_' and '-' come back from a lease: no '+' in the name.
        name = os.path.join(out, "G-" + "__".join(os.path.basename(p)[: -len(".safetensors")] for p in files[i:i + 2]) + ".tar")
        with tarfile.open(name, "w") as t:
            for p in files[i:i + 2]:
                t.add(p, arcname=os.path.basename(p))
    for p in sorted(os.listdir(out)):
        print(f"{os.path.getsize(os.path.join(out, p)):>10}  {p}")


if __name__ == "__main__":
    main()
