/**
 * @file Writing evaluation results: JSON (non-finite numbers as null), a Markdown table (one row per
 * model and direction; "n/a" where a metric does not apply), and the worst/best grid
 * (input | edited | counterfactual x* (when known) | SaGAN mask | ground-truth region | amplified |Δ|).
 */
import { tensorGrid, type GridColumn, type Image8 } from '../../engine/index.ts';
import type { Summary } from './evaluate.ts';
import { diffMap } from './metrics.ts';

/** JSON with NaN / ±∞ written as null (JSON has no such numbers). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2) + '\n';
}

/** One table row: a model's label, the direction and its summary. */
export interface TableRow {
  model: string;
  direction: string;
  summary: Summary;
}

const COLUMNS: [string, (s: Summary) => number | null, number][] = [
  ['success', (s) => s.success, 3],
  ['judge on inputs', (s) => s.judgeOnInputs, 3],
  ['judge on truth x*', (s) => s.judgeOnTruth, 3],
  ['mask IoU', (s) => s.maskIoU, 3],
  ['mask soft IoU', (s) => s.maskSoftIoU, 3],
  ['mask mean', (s) => s.maskMean, 3],
  ['mask in region', (s) => s.maskInRegion, 3],
  ['region under-masked', (s) => s.maskShort, 3],
  ['AMN copy error in region', (s) => s.amnCopy, 3],
  ['closeness', (s) => s.closeness, 3],
  ['closeness > 0.5', (s) => s.closenessAbove, 3],
  ['PSNR vs truth', (s) => s.truthPsnr, 2],
  ['magnitude (median)', (s) => s.magnitude, 3],
  ['localisation', (s) => s.localisation, 3],
  ['MAE outside', (s) => s.outsideMae, 4],
  ['PSNR outside', (s) => s.outsidePsnr, 2],
  ['MAE inside', (s) => s.insideMae, 4],
  ['PSNR inside', (s) => s.insidePsnr, 2],
  ['MAE image', (s) => s.allMae, 4],
  ['identity L1', (s) => s.identityL1, 4],
  ['back L1', (s) => s.backL1, 4],
];

function cell(v: number | null, digits: number): string {
  if (v === null || Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return v.toFixed(digits);
}

/** The Markdown table of all rows. */
export function markdownTable(rows: readonly TableRow[]): string {
  const head = ['model', 'direction', 'n', ...COLUMNS.map(([h]) => h)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(`| ${[r.model, r.direction, String(r.summary.n), ...COLUMNS.map(([, f, d]) => cell(f(r.summary), d))].join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/** |Δ| is shown ×DIFF_GAIN (so a 0.1 change in a [−1, 1] image is mid-grey). */
export const DIFF_GAIN = 4;

/** The grid of chosen images: input | edited | truth x* (when known) | mask | region (when known) | |Δ|·DIFF_GAIN. */
export function resultGrid(d: { n: number; input: Float32Array; edited: Float32Array; mask: Float32Array; region: Float32Array | null; truth?: Float32Array | null }, size: number): Image8 {
  const rgb = [d.n, 3, size, size], grey = [d.n, 1, size, size];
  const cols: GridColumn[] = [
    { data: d.input, shape: rgb },
    { data: d.edited, shape: rgb },
  ];
  if (d.truth) cols.push({ data: d.truth, shape: rgb });
  cols.push({ data: d.mask, shape: grey, range: [0, 1] });
  if (d.region) cols.push({ data: d.region, shape: grey, range: [0, 1] });
  cols.push({ data: diffMap(d.input, d.edited, d.n, 3, size * size), shape: grey, range: [0, 1 / DIFF_GAIN] });
  return tensorGrid(cols);
}
