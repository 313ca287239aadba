#!/usr/bin/env bash
# The issue-6 comparison: SaGAN vs the no-attention ablation (G = AMN(x, c)), same budget, for
# Eyeglasses and Smiling, on synthetic 32² faces (the npm-start configuration), judged by classifiers
# trained on the same face set. Writes runs/ablation/{cls-*,<attr>-{sagan,noatt},eval}.
# Usage: bash scripts/ablation.sh [steps]   (default 300, as npm start; on 2 CPU cores ~8 min per judge classifier, ~4 min per SaGAN or ablation run)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-300}
O=runs/ablation
CLI="node dist/node/cli.js"
node scripts/build.mjs >/dev/null
mkdir -p $O
common="--size 32 --width 8 --res 1 --batch 8 --steps $STEPS --lr 1e-3 --d-warmup 300 --sample-every 100 --ckpt-every $STEPS --quiet"
for A in Eyeglasses Smiling; do
  [ -f $O/cls-$A/classifier.safetensors ] || $CLI train-classifier --attr $A --size 32 --out $O/cls-$A --quiet
done
for A in Eyeglasses Smiling; do
  [ -f $O/$A-sagan/checkpoint.safetensors ] || $CLI train --attr $A $common --out $O/$A-sagan
  [ -f $O/$A-noatt/checkpoint.safetensors ] || $CLI train --attr $A $common --no-attention --out $O/$A-noatt
done
ck=$O/Eyeglasses-sagan/checkpoint.safetensors,$O/Eyeglasses-noatt/checkpoint.safetensors,$O/Smiling-sagan/checkpoint.safetensors,$O/Smiling-noatt/checkpoint.safetensors
$CLI eval --ckpt $ck --classifier $O/cls-Eyeglasses/classifier.safetensors,$O/cls-Smiling/classifier.safetensors --count 200 --out $O/eval --quiet
