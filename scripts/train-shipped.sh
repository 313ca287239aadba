#!/usr/bin/env bash
# @file Trains — or continues, exactly, across sittings — the CPU runs of the shipped models' recipe
# (docs/training-recipes.md), exports each generator as a candidate and scores it beside the shipped one.
# Runs live in training/<name>/ (config.json, log.jsonl, checkpoint.safetensors: committed, so a later
# sitting on another machine resumes where this one stopped). Judges: training/judges/<Attr>/ (committed;
# trained again into runs/judge-<Attr>/ if missing). Candidates go to runs/candidates/<name>-<step>.safetensors;
# promoting one is a deliberate `cp` to models/<name>.safetensors plus a models/README.md entry — this
# script never overwrites a shipped model.
#   bash scripts/train-shipped.sh                      # all four, to STEPS (default 6000) each
#   STEPS=1000 bash scripts/train-shipped.sh Eyeglasses Smiling
#   EXPORT_ONLY=1 bash scripts/train-shipped.sh       # export + score what the runs have now
# Each attribute: 32², width 16, 2 residual blocks, batch 8, lr 1e-3 decaying to 0 from 4000, --cls-fake 1
# (the critic's class head also labels edits with their source attribute), --idt-mask 0, --down 1 and an
# average of G's weights (--g-ema 0.998; eval/export use it); Smiling also --amn-residual; a 3,000-step
# critic warm-up for Smiling and Mouth_Slightly_Open, 300 for the others. The shipped runs are continued
# (training/eyeglasses-ema-s3-cls1.5 — branched from eyeglasses-ema-s3 at 1,700 with --new-cls 1.5 —,
# smiling-ema, mouth-slightly-open-down1, no-beard-down1); a missing one starts fresh with --g-ema from
# iteration 1 (and λ_cls 1: the Eyeglasses branch's --new-cls 1.5 is a deliberate resume of the run). docs/training-recipes.md says why each flag.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-6000}
CLI="node dist/node/cli.js"
node scripts/build.mjs > /dev/null
mkdir -p runs/candidates
for A in ${*:-Eyeglasses Smiling Mouth_Slightly_Open No_Beard}; do
  n=$(echo "$A" | tr 'A-Z_' 'a-z-')
  case $A in
    Eyeglasses) run=training/eyeglasses-ema-s3-cls1.5 gen="--d-warmup 300 --seed 3" ;;
    Smiling) run=training/smiling-ema gen="--amn-residual --d-warmup 3000 --seed 2" ;;
    Mouth_Slightly_Open) run=training/mouth-slightly-open-down1 gen="--d-warmup 3000 --seed 3" ;;
    *) run=training/$n-down1 gen="--d-warmup 300 --seed 3" ;;
  esac
  if [ "${EXPORT_ONLY:-0}" != 1 ]; then
    if [ -f "$run/checkpoint.safetensors" ]; then
      $CLI train --out "$run" --resume --steps "$STEPS" --quiet
    else
      # shellcheck disable=SC2086
      $CLI train --attr "$A" --size 32 --width 16 --res 2 --batch 8 --lr 1e-3 --steps "$STEPS" --decay-from 4000 \
        --cls-fake 1 --idt-mask 0 --down 1 --g-ema 0.998 $gen --ckpt-every 100 --sample-every 250 --quiet --out "$run"
    fi
  fi
  step=$(node -e 'const b=require("fs").readFileSync(process.argv[1]);const n=Number(b.readBigUInt64LE(0));console.log(JSON.parse(b.subarray(8,8+n)).__metadata__.step)' "$run/checkpoint.safetensors")
  cand=runs/candidates/$n-$step.safetensors
  $CLI export --ckpt "$run/checkpoint.safetensors" --out "$cand"
  judge=training/judges/$A/classifier.safetensors
  if [ ! -f "$judge" ]; then
    judge=runs/judge-$A/classifier.safetensors
    [ -f "$judge" ] || $CLI train-classifier --attr "$A" --size 32 --out "runs/judge-$A" --quiet
  fi
  models=$cand
  [ -f "models/$n.safetensors" ] && models="models/$n.safetensors,$cand"
  $CLI eval --ckpt "$models" --classifier "$judge" --count 200 --out "runs/eval-$n" --quiet
  node scripts/eval-curve.mjs "runs/eval-$n/eval.json"
done
