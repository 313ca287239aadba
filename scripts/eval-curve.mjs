#!/usr/bin/env node
/**
 * @file Curves over iterations from `sagan eval` output: reads eval.json files (each may hold several
 * checkpoints, e.g. the ckpt_<step>.safetensors copies of one run) and prints one Markdown row per
 * checkpoint — the issue-12 bars side by side: removal closeness (mean, share > 0.5), addition magnitude
 * (median) and localisation, mask IoU (hard and soft), judge success each way, mean |Δ| outside the region.
 * Usage: node scripts/eval-curve.mjs runs/eval-a/eval.json [more.json …]
 */
import { readFileSync } from 'node:fs';

const f = (v, d = 3) => (v === null || v === undefined ? 'n/a' : Number(v).toFixed(d));
const rows = [];
for (const path of process.argv.slice(2)) {
  const { models } = JSON.parse(readFileSync(path, 'utf8'));
  for (const m of models) {
    const { add, remove, all } = m.summary;
    rows.push([
      m.checkpoint.replace(/^.*runs\//, ''), m.step,
      f(remove.closeness), f(remove.closenessAbove, 2), f(add.closeness),
      f(add.magnitude), f(add.localisation), f(remove.magnitude),
      f(all.maskIoU), f(all.maskSoftIoU), f(add.success, 2), f(remove.success, 2), f(all.outsideMae, 4),
    ]);
  }
}
const head = ['checkpoint', 'step', 'remove closeness', '> 0.5', 'add closeness', 'add magnitude (median)', 'add localisation',
  'remove magnitude', 'mask IoU', 'soft IoU', 'judge add', 'judge remove', '|Δ| outside'];
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
