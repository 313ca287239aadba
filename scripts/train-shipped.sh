#!/usr/bin/env bash
# @file Trains — or continues, exactly, across sittings — the shipped models with the issue-12 recipe
# (docs/training-recipes.md), then exports each generator to models/<name>.safetensors and scores it.
# Runs live in training/<name>/ (config.json, log.jsonl, checkpoint.safetensors: committed, so a later
# sitting on another machine resumes where this one stopped). Judges: runs/judge-<Attr>/ (trained once).
#   bash scripts/train-shipped.sh                      # all four, to STEPS (default 6000) each
#   STEPS=1000 bash scripts/train-shipped.sh Eyeglasses Smiling
#   EXPORT_ONLY=1 bash scripts/train-shipped.sh       # export + eval what the runs have now
# Each attribute: 32², width 16, 2 residual blocks, batch 8, critic warm-up 300, lr 1e-3 decaying to 0
# from 4000, --cls-fake 1 (the critic's class head also labels edits with their source attribute).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-6000}
CLI="node dist/node/cli.js"
node scripts/build.mjs > /dev/null
for A in ${*:-Eyeglasses Smiling Mouth_Slightly_Open No_Beard}; do
  n=$(echo "$A" | tr 'A-Z_' 'a-z-')
  run=training/$n
  if [ "${EXPORT_ONLY:-0}" != 1 ]; then
    if [ -f "$run/checkpoint.safetensors" ]; then
      $CLI train --out "$run" --resume --steps "$STEPS" --quiet
    else
      $CLI train --attr "$A" --size 32 --width 16 --res 2 --batch 8 --d-warmup 300 --lr 1e-3 --steps "$STEPS" \
        --decay-from 4000 --cls-fake 1 --ckpt-every 100 --sample-every 250 --quiet --out "$run"
    fi
  fi
  $CLI export --ckpt "$run/checkpoint.safetensors" --out "models/$n.safetensors"
  [ -f "runs/judge-$A/classifier.safetensors" ] || $CLI train-classifier --attr "$A" --size 32 --out "runs/judge-$A" --quiet
  $CLI eval --ckpt "models/$n.safetensors" --classifier "runs/judge-$A/classifier.safetensors" --count 200 --out "runs/eval-$n" --quiet
  node scripts/eval-curve.mjs "runs/eval-$n/eval.json"
done
