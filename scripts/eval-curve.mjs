#!/usr/bin/env node
/**
 * @file Curves over iterations from `sagan eval` output: reads eval.json files (each may hold several
 * checkpoints, e.g. the snapshots of one run) and prints one Markdown row per checkpoint — the issue-12
 * bars side by side: removal closeness (mean, share > 0.5), addition magnitude (median) and localisation,
 * mask IoU (hard and soft), judge success each way and its ceiling (the judge on the renderer's true
 * counterfactuals x*, what an exact edit would score; n/a in eval.json written before it), mean |Δ|
 * outside the region. With --svg, also draws them: one panel per bar (removal closeness, addition
 * magnitude, mask IoU, judge removal), one line per run (a run = the folder its checkpoints sit in, or
 * the name given as label=path), the bar dashed.
 * Usage: node scripts/eval-curve.mjs [--svg out.svg] [label=]runs/eval-a/eval.json [more.json …]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

const f = (v, d = 3) => (v === null || v === undefined ? 'n/a' : Number(v).toFixed(d));
const args = process.argv.slice(2);
const svgAt = args.indexOf('--svg');
const svgPath = svgAt >= 0 ? args.splice(svgAt, 2)[1] : null;
const rows = [];
/** run label → [{ step, remove, add, iou, judgeRemove }] */
const series = new Map();
for (const arg of args) {
  const eq = arg.indexOf('=');
  const [label, path] = eq > 0 && !arg.slice(0, eq).includes('/') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [null, arg];
  const { models } = JSON.parse(readFileSync(path, 'utf8'));
  for (const m of models) {
    const { add, remove, all } = m.summary;
    rows.push([
      m.checkpoint.replace(/^.*runs\//, ''), m.step,
      f(remove.closeness), f(remove.closenessAbove, 2), f(add.closeness),
      f(add.magnitude), f(add.localisation), f(remove.magnitude),
      f(all.maskIoU), f(all.maskSoftIoU), f(all.maskInRegion), f(all.maskShort, 2), f(all.amnCopy), f(add.success, 2), f(remove.success, 2), f(add.judgeOnTruth, 2), f(remove.judgeOnTruth, 2), f(all.outsideMae, 4),
    ]);
    const run = label ?? basename(dirname(m.checkpoint));
    if (!series.has(run)) series.set(run, []);
    series.get(run).push({ step: m.step, remove: remove.closeness, add: add.magnitude, iou: all.maskIoU, judgeRemove: remove.success });
  }
}
const head = ['checkpoint', 'step', 'remove closeness', '> 0.5', 'add closeness', 'add magnitude (median)', 'add localisation',
  'remove magnitude', 'mask IoU', 'soft IoU', 'mask in R', 'R under-masked', 'AMN copy \\|err\\| in R', 'judge add', 'judge remove', 'judge add on x*', 'judge remove on x*', '\\|Δ\\| outside'];
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

if (svgPath) {
  const panels = [
    { key: 'remove', title: 'removal closeness (mean; bar ≥ 0.5)', lo: -1, hi: 1, bar: 0.5 },
    { key: 'add', title: 'addition magnitude (median; bar ≥ 0.5)', lo: 0, hi: 1.5, bar: 0.5 },
    { key: 'iou', title: 'mask IoU (bar ≥ 0.5)', lo: 0, hi: 1, bar: 0.5 },
    { key: 'judgeRemove', title: 'hardened judge, removal (bar ≥ 0.9)', lo: 0, hi: 1, bar: 0.9 },
  ];
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
  const W = 360, H = 220, pad = { l: 44, r: 12, t: 26, b: 30 };
  const maxStep = Math.max(...[...series.values()].flat().map((p) => p.step));
  const xs = (s) => pad.l + (s / maxStep) * (W - pad.l - pad.r);
  const out = [];
  panels.forEach((p, k) => {
    const ox = (k % 2) * W, oy = Math.floor(k / 2) * H;
    const ys = (v) => pad.t + (1 - (Math.min(Math.max(v, p.lo), p.hi) - p.lo) / (p.hi - p.lo)) * (H - pad.t - pad.b);
    out.push(`<g transform="translate(${ox},${oy})">`);
    out.push(`<text x="${pad.l}" y="16" font-size="13" font-weight="bold">${p.title}</text>`);
    out.push(`<rect x="${pad.l}" y="${pad.t}" width="${W - pad.l - pad.r}" height="${H - pad.t - pad.b}" fill="none" stroke="#999"/>`);
    for (const v of [p.lo, (p.lo + p.hi) / 2, p.hi]) out.push(`<text x="${pad.l - 4}" y="${ys(v) + 4}" font-size="10" text-anchor="end">${v}</text>`);
    for (const s of [0, maxStep / 2, maxStep]) out.push(`<text x="${xs(s)}" y="${H - pad.b + 13}" font-size="10" text-anchor="middle">${Math.round(s)}</text>`);
    out.push(`<text x="${(W + pad.l) / 2}" y="${H - 4}" font-size="10" text-anchor="middle">iterations</text>`);
    out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${ys(p.bar)}" y2="${ys(p.bar)}" stroke="#444" stroke-dasharray="4 3"/>`);
    [...series.entries()].forEach(([run, pts], i) => {
      const q = pts.filter((pt) => pt[p.key] !== null && pt[p.key] !== undefined).sort((a, b) => a.step - b.step);
      if (!q.length) return;
      out.push(`<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="2" points="${q.map((pt) => `${xs(pt.step).toFixed(1)},${ys(pt[p.key]).toFixed(1)}`).join(' ')}"/>`);
      for (const pt of q) out.push(`<circle cx="${xs(pt.step).toFixed(1)}" cy="${ys(pt[p.key]).toFixed(1)}" r="2.5" fill="${colors[i % colors.length]}"/>`);
    });
    out.push('</g>');
  });
  const legend = [...series.keys()].map((run, i) => `<g transform="translate(${12 + (i % 4) * 175},${2 * H + 14 + Math.floor(i / 4) * 14})"><rect width="14" height="4" y="-4" fill="${colors[i % colors.length]}"/><text x="20" y="0" font-size="11">${run}</text></g>`);
  const rowsOfLegend = Math.ceil(series.size / 4);
  writeFileSync(svgPath, `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${2 * H + 12 + 14 * rowsOfLegend}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>${out.join('')}${legend.join('')}</svg>\n`);
  console.error(`wrote ${svgPath} (values outside a panel's range are drawn at its edge)`);
}
