/**
 * @file `sagan eval`: scores one or more generator checkpoints on a held-out split with judge classifiers
 * (matched to checkpoints by attribute) and writes to --out: eval.json (summaries per model and direction,
 * plus every image's scores), eval.md (the table) and grid_<attr>[ _noattn].png (the worst and best
 * cases). Held-out data: synthetic faces right after the run's training set (offset = its data-count),
 * or the test split of its CelebA-layout folder.
 */
import { init, encodePng } from '../../engine/index.ts';
import { writeFile, mkdir } from '../data/fs.ts';
import { generatorFromCheckpoint } from '../edit.ts';
import { readCheckpoint } from '../checkpoint.ts';
import { SYNTHETIC_SET, type TrainConfig } from '../config.ts';
import { loadClassifier, type AttributeClassifier, type ClassifierMeta } from '../eval/classifier.ts';
import { syntheticSet, celebaSet, type EvalSet } from '../eval/data.ts';
import { evaluateEdits, worstAndBest, gridData, type RankBy } from '../eval/evaluate.ts';
import { markdownTable, resultGrid, toJson, DIFF_GAIN, type TableRow } from '../eval/report.ts';
import { parseArgs, UsageError, type Flags } from './args.ts';
import { readInput } from './classifier.ts';
import { ProgressBar } from './progress.ts';

export const EVAL_FLAGS = {
  ckpt: { type: 'string', default: '', help: "generator checkpoint(s) written by 'sagan train', comma-separated" },
  classifier: { type: 'string', default: '', help: "judge classifier(s) written by 'sagan train-classifier', comma-separated; matched by attribute" },
  count: { type: 'int', default: 200, min: 2, help: 'held-out images (synthetic: the faces after the training set; CelebA: the first of the test split)' },
  data: { type: 'string', default: '', help: "'synthetic' or a CelebA-layout folder (default: the checkpoint's training data)" },
  'data-seed': { type: 'int', default: -1, min: -1, help: `synthetic: face-set seed (-1: the checkpoint's, else ${SYNTHETIC_SET.seed} as train's default)` },
  'data-count': { type: 'int', default: -1, min: -1, help: `synthetic: the run's training faces = the held-out offset (-1: the checkpoint's, else ${SYNTHETIC_SET.count} as train's default)` },
  'train-count': { type: 'int', default: 200000, min: 1, help: 'CelebA folder: images in the train split (the rest is test), as train' },
  batch: { type: 'int', default: 16, min: 1, help: 'images per GPU batch' },
  rank: { type: 'string', default: 'auto', choices: ['auto', 'closeness', 'outside', 'margin'], help: "grid order: closeness to the counterfactual, change outside the region, or the judge's margin (auto: closeness on synthetic faces, else margin)" },
  'grid-rows': { type: 'int', default: 4, min: 1, help: 'worst and best cases shown in each grid (each)' },
  out: { type: 'string', default: 'runs/eval', help: 'output folder' },
  quiet: { type: 'boolean', default: false, help: 'no progress bar' },
} satisfies Flags;

const list = (s: string) => s.split(',').map((p) => p.trim()).filter(Boolean);

/** The held-out set for a checkpoint's run, and (synthetic) the index of its first face. */
async function heldOutSet(a: ReturnType<typeof parseArgs<typeof EVAL_FLAGS>>, config: TrainConfig, attribute: string, size: number): Promise<{ set: EvalSet; offset: number | null; dataSeed: number | null }> {
  const data = a.data || config.data;
  if (data !== 'synthetic') return { set: await celebaSet(data, attribute, size, 'test', a.count, a['train-count']), offset: null, dataSeed: null };
  // `sagan train` writes the face-set seed and count into the config when it records them; else its defaults.
  const dataSeed = a['data-seed'] >= 0 ? a['data-seed'] : config.dataSeed ?? SYNTHETIC_SET.seed;
  const offset = a['data-count'] >= 0 ? a['data-count'] : config.dataCount ?? SYNTHETIC_SET.count;
  return { set: syntheticSet({ attribute, size, dataSeed, offset, count: a.count }), offset, dataSeed };
}

export async function evalCommand(argv: string[]): Promise<void> {
  const a = parseArgs('eval', argv, EVAL_FLAGS);
  const ckpts = list(a.ckpt), judges = list(a.classifier);
  if (!ckpts.length) throw new UsageError("eval: --ckpt is required (checkpoint.safetensors written by 'sagan train'; several: comma-separated)");
  if (!judges.length) throw new UsageError("eval: --classifier is required (classifier.safetensors written by 'sagan train-classifier')");
  if (a.count < 2 || a.batch < 1) throw new UsageError('eval: --count must be ≥ 2 and --batch ≥ 1');
  const ckptBytes = await Promise.all(ckpts.map((p) => readInput('eval', 'checkpoint', p)));
  const judgeBytes = await Promise.all(judges.map((p) => readInput('eval', 'classifier', p)));
  await init();
  const byAttr = new Map<string, { C: AttributeClassifier; meta: ClassifierMeta; path: string }>();
  judgeBytes.forEach((bytes, i) => {
    const { C, meta } = loadClassifier(bytes, judges[i]);
    byAttr.set(meta.attribute, { C, meta, path: judges[i] });
  });
  await mkdir(a.out);
  const rows: TableRow[] = [], models: unknown[] = [], grids = new Set<string>();
  for (const [i, path] of ckpts.entries()) {
    const { config, step } = readCheckpoint(ckptBytes[i], path).meta;
    const { G, model, attribute } = generatorFromCheckpoint(ckptBytes[i], path);
    const judge = byAttr.get(attribute);
    if (!judge) throw new UsageError(`eval: ${path} edits ${attribute} but no --classifier judges it (have: ${[...byAttr.keys()].join(', ')})`);
    const { set, offset, dataSeed } = await heldOutSet(a, config, attribute, model.size);
    const judgeCount = judge.meta.data === 'synthetic' ? Number(judge.meta.extra?.dataCount) : NaN;
    if (offset !== null && judgeCount > offset && judge.meta.extra?.dataSeed === dataSeed) {
      console.error(`eval: warning: the classifier ${judge.path} was trained on synthetic faces 0…${judgeCount - 1}, which include the held-out faces from ${offset}. Fix: train it with --data-count ${offset} (or another --data-seed).`);
    }
    if (!judge.meta.hardTest || !Number(judge.meta.extra?.hardNegatives)) {
      console.error(`eval: note: the classifier ${judge.path} was trained without hard negatives: a colour cue in the region can fool it. Fix: retrain it with 'sagan train-classifier' (hard negatives are on by default).`);
    }
    const label = `${attribute}${model.attention ? '' : ' (no attention)'}`;
    console.error(`eval ${label} from ${path} on ${set.describe}`);
    const bar = a.quiet ? null : new ProgressBar('eval');
    const t0 = performance.now();
    const res = await evaluateEdits(G, judge.C, set, a.batch, (done, total) => bar?.update(done, total, done / ((performance.now() - t0) / 1000)));
    for (const dir of ['add', 'remove', 'all'] as const) rows.push({ model: label, direction: dir, summary: res[dir] });

    const rank: RankBy = a.rank === 'auto' ? (res.records.some((r) => r.closeness !== null) ? 'closeness' : 'margin') : (a.rank as RankBy);
    const { worst, best } = worstAndBest(res.records, rank, a['grid-rows']);
    let grid: string | null = null;
    if (worst.length) {
      let name = `grid_${attribute}${model.attention ? '' : '_noattn'}`;
      for (let k = 2; grids.has(name); k++) name = `grid_${attribute}${model.attention ? '' : '_noattn'}_${k}`;
      grids.add(name);
      grid = `${a.out}/${name}.png`;
      await writeFile(grid, encodePng(resultGrid(await gridData(G, set, [...worst, ...best]), model.size)));
    }
    models.push({
      label, checkpoint: path, attribute, model, step,
      data: set.describe, classifier: { path: judge.path, test: judge.meta.test, hardTest: judge.meta.hardTest ?? null, hardNegatives: judge.meta.extra?.hardNegatives ?? 0 },
      summary: { add: res.add, remove: res.remove, all: res.all },
      grid: grid && { path: grid, rankedBy: rank, worst: worst.map((r) => r.name), best: best.map((r) => r.name) },
      images: res.records,
    });
    G.dispose();
  }
  for (const j of byAttr.values()) j.C.dispose();
  const note = `Edits flip each held-out image's label (add: label 0 → 1; remove: 1 → 0). ` +
    `Scores against the truth (synthetic faces: the renderer's counterfactual x*, the same face with the attribute flipped, and the region R where x and x* differ): ` +
    `closeness = 1 − Σ_R (G − x*)² / Σ_R (x − x*)² (1 exact, 0 no edit, < 0 worse than none; the sharp test for removal, whose answer is unique — for addition the style is a guess, so it is reported, never a bar) and the share above 0.5; ` +
    `PSNR vs truth: G against x* inside R; magnitude = Σ_R (G − x)² / Σ_R (x* − x)² (median; ≈ 1 for a real edit in any style); localisation = Σ_R (G − x)² / Σ (G − x)². ` +
    `success: share the judge classifier assigns the target (a judge can be fooled by a shortcut: read it beside the truth scores); ` +
    `judge on inputs: its accuracy on the unedited images; judge on truth x*: the share of the true counterfactuals it assigns the target — what an exact edit would score, the judge's own ceiling. Mask IoU: SaGAN's mask ≥ 0.5 vs the ground-truth region; soft IoU Σ min / Σ max of mask and region; mask in region: its mean over the region's changing pixels; region under-masked: the share of them where the mask is below what any AMN output (tanh, in (−1, 1)) would need to reach x* — a soft mask caps the edit; n/a without attention or regions. AMN copy error in region: mean |AMN(x, c) − x| over the region for the face's own label c — what the AMN cannot copy, an open mask repaints. ` +
    `MAE: mean |Δ|, the absolute change of [−1, 1] pixels between input and edit, PSNR of the mean MSE (peak-to-peak 2). identity L1 = ‖G(x, c_g) − x‖₁, back L1 = ‖G(G(x, t), c_g) − x‖₁ (per-pixel means). ` +
    `Grids: worst rows then best rows; columns input | edited | x* (synthetic) | mask | region | |Δ|×${DIFF_GAIN}.`;
  const judgeLines = [...byAttr.values()].map((j) => {
    const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${(100 * v).toFixed(1)} %`);
    return `- ${j.meta.attribute} judge (${j.path}): test accuracy ${pct(j.meta.test?.accuracy)}, with the region corrupted ${pct(j.meta.hardTest?.accuracy ?? undefined)}; trained with ${Number(j.meta.extra?.hardNegatives ?? 0) * 100} % hard negatives`;
  }).join('\n');
  const table = markdownTable(rows);
  await writeFile(`${a.out}/eval.json`, toJson({ note, models }));
  await writeFile(`${a.out}/eval.md`, `# SaGAN evaluation\n\n${table}\n${note}\n\nJudges:\n${judgeLines}\n`);
  console.log(table);
  console.log(`wrote ${a.out}/eval.json, ${a.out}/eval.md${grids.size ? ` and ${[...grids].map((g) => `${a.out}/${g}.png`).join(', ')}` : ''}`);
}
