/**
 * @file `sagan train`: trains SaGAN on synthetic faces or a CelebA-layout folder, writing to --out:
 * config.json, log.jsonl (one line per iteration), samples/step_NNNNNN.png grids and checkpoint.safetensors
 * (atomically, every --ckpt-every iterations). `--resume` continues a run exactly where it stopped.
 * Everything is checked before anything is written: the flags (ranges in the flag table), the data,
 * the run folder (a folder holding a run needs --resume or --force), and on resume the checkpoint and
 * the flags against the run's config.
 */
import { init } from '../../engine/index.ts';
import { readFile, writeFile, writeFileAtomic, exists } from '../data/fs.ts';
import type { Batch, BatchSource } from '../batches.ts';
import { Trainer, type LogRecord } from '../trainer.ts';
import { DEFAULT_TRAIN, SYNTHETIC_SET, RANGES, bounds, configJson, type TrainConfig } from '../config.ts';
import { readCheckpoint } from '../checkpoint.ts';
import { checkModelConfig, PAPER_DOWN } from '../model.ts';
import { trainingData } from '../training-data.ts';
import { SAGAN_ATTRIBUTES } from '../data/attrs.ts';
import { parseArgs, UsageError, type Flags, type Parsed } from './args.ts';
import { resumedConfig, augmentPolicy, WEIGHT_CHANGES } from './resume.ts';
import { AUGMENTS } from '../augment.ts';
import { prepareRunFolder, checkRunFolder, appendLine } from './run-folder.ts';
import { ProgressBar } from './progress.ts';

const D = DEFAULT_TRAIN;
const powerOfTwo = (v: number) => (Number.isInteger(Math.log2(v)) ? null : 'must be a power of two');

/** The flags: defaults from DEFAULT_TRAIN / SYNTHETIC_SET, ranges from RANGES (config.ts). */
export const TRAIN_FLAGS = {
  data: { type: 'string', default: D.data, help: "'synthetic' (faces rendered on the fly) or a CelebA-layout folder (list_attr_celeba.txt + img_align_celeba/)" },
  attr: { type: 'string', default: D.attribute, help: `attribute to edit (synthetic: ${SAGAN_ATTRIBUTES.join(', ')}; CelebA: any of its 40)` },
  size: { type: 'int', default: D.model.size, ...bounds(RANGES.size), check: powerOfTwo, help: 'image size (power of two ≥ 16)' },
  width: { type: 'int', default: D.model.width, ...bounds(RANGES.width), help: 'base width w of G and D' },
  res: { type: 'int', default: D.model.nRes, ...bounds(RANGES.nRes), help: 'residual blocks in AMN and SAN' },
  down: { type: 'int', default: PAPER_DOWN, ...bounds(RANGES.down), help: "not in the paper (3): down-sampling stages of AMN and SAN. At 32² the paper's 3 leave a 4×4 bottleneck that blurs what the AMN copies — the eyes under a pair of glasses a removal must restore; 1 or 2 keep them (bottleneck 16² or 8²)" },
  'amn-residual': { type: 'boolean', default: false, help: "not in the paper: the AMN predicts the change, tanh(atanh(0.99·x) + f(x, c)), not the whole image — the paper's AMN rebuilds every pixel from instance-normalised features and at 32² misses by ~0.15–0.2 inside the region even when asked to keep it (sagan eval: AMN copy error), which an open mask paints over the face a removal should restore" },
  'amn-cond': { type: 'boolean', default: false, help: "not in the paper: c also shifts the AMN's instance norms, IN(h) + c·δ per channel — the paper's c enters as a constant input plane whose contribution the first norm subtracts everywhere but the zero-padded border (at 32² more faithful additions, the same removals; docs/training-recipes.md)" },
  'amn-zero-init': { type: 'boolean', default: false, help: "not in the paper (needs --amn-residual): the AMN's last conv starts at zero, so the edit grows from nothing — from the default init the 64² AMN painted blobs over hair and background that its mask closed over; with it, none, and the mask sat on the mouth" },
  batch: { type: 'int', default: D.batchSize, ...bounds(RANGES.batchSize), help: 'batch size' },
  steps: { type: 'int', default: D.steps, ...bounds(RANGES.steps), help: 'iterations (each: n-critic D steps + 1 G step); with --resume: a new total' },
  'n-critic': { type: 'int', default: D.nCritic, ...bounds(RANGES.nCritic), help: 'D steps per G step' },
  lr: { type: 'number', default: D.lrG, ...bounds(RANGES.lr), help: 'learning rate of G and D (Adam, betas 0.5, 0.999)' },
  'new-lr': { type: 'number', default: 0, min: 0, max: 1, help: 'with --resume: change the learning rate from here on (recorded in config.json; 0: keep)' },
  'd-warmup': { type: 'int', default: D.dWarmup, ...bounds(RANGES.dWarmup), help: "critic warm-up: D steps on the attribute loss alone before iteration 1 (0: none, as the paper; short runs need ~300)" },
  cls: { type: 'number', default: D.weights.cls, min: 0, help: `weight λ_cls of the attribute terms, the critic's BCE(cls(x), c) and the generator's BCE(cls(G(x,t)), t) (the paper's ${D.weights.cls})` },
  'cls-fake': { type: 'number', default: 0, min: 0, help: "not in the paper (0): weight of a critic class-head loss that labels edits with their source attribute, BCE(cls(G(x,t)), c) — so the head cannot keep a cheap cue (e.g. the lenses' tint) that the generator learns to paint instead of the attribute" },
  rec: { type: 'number', default: D.weights.rec, min: 0, help: `weight of the dual reconstruction ‖G(G(x,t), c) − x‖₁ (the paper's ${D.weights.rec}); lower it to weaken the cycle's pull to hide the source attribute's style in the edit, which keeps removals from erasing it` },
  'new-rec': { type: 'number', default: -1, min: -1, help: "with --resume: change the dual reconstruction's weight from here on (recorded in config.json; -1: keep) — e.g. to weaken, late in a run, the cycle's pull to keep a trace of a removed attribute" },
  'new-cls': { type: 'number', default: -1, min: -1, help: "with --resume: change --cls from here on (recorded in config.json; -1: keep)" },
  'new-cls-fake': { type: 'number', default: -1, min: -1, help: "with --resume: change --cls-fake from here on (recorded in config.json; -1: keep) — e.g. to let a generator whose mask closed against a class head that labels every edit with its source win that head again" },
  'new-idt-mask': { type: 'number', default: -1, min: -1, max: 1, help: "with --resume: change --idt-mask from here on (recorded in config.json; -1: keep) — e.g. to hold a mask that spreads late in a run" },
  idt: { type: 'number', default: D.weights.idt, min: 0, help: `weight of the identity term ‖G(x, c) − x‖₁ (the paper's ${D.weights.idt})` },
  'idt-mask': { type: 'number', default: 1, min: 0, max: 1, help: `not in the paper (1): share of the identity term's gradient that reaches the attention mask. The mask never sees c, so the identity term can be lowered by closing the mask wherever the AMN does not copy x exactly — the thin, high-contrast pixels an edit must change — and a soft mask caps how far any edit goes (sagan eval: region under-masked); 0: the identity term trains only the AMN to copy` },
  augment: { type: 'string', default: 'none', help: `not in the paper (none): differentiable augmentation of every image the critic sees (DiffAugment), comma-separated: ${AUGMENTS.join(', ')}` },
  'decay-from': { type: 'int', default: -1, min: -1, help: 'decay the learning rate linearly to 0 (at --steps) from this iteration (-1: never); with --resume: a decay that starts at the run\'s iteration or later' },
  'g-ema': { type: 'number', default: 0, min: 0, max: RANGES.gEma.max, help: `not in the paper (0: none): keep an exponential moving average of G's weights with this β (e.g. 0.995: ~200 iterations), checkpointed beside G; samples, eval, edit and export use it. Single snapshots' edits swing from one 100 iterations to the next; the average edits better than any of them (docs/training-recipes.md). With --resume: the average starts from the current weights` },
  seed: { type: 'int', default: D.seed, ...bounds(RANGES.seed), help: 'seed of weights, batch order and noise' },
  'data-seed': { type: 'int', default: SYNTHETIC_SET.seed, ...bounds(RANGES.dataSeed), help: 'synthetic data: seed of the face set' },
  'data-count': { type: 'int', default: SYNTHETIC_SET.count, ...bounds(RANGES.dataCount), help: 'synthetic data: faces in the training set' },
  'train-count': { type: 'int', default: 0, min: 0, help: `CelebA folder: the first N images train, the rest are held out (0: ${'list_eval_partition.txt'} if present, else the first 200,000)` },
  'no-attention': { type: 'boolean', default: false, help: 'ablation: G(x, c) = AMN(x, c), no spatial attention' },
  out: { type: 'string', default: 'runs/train', help: 'output folder' },
  resume: { type: 'boolean', default: false, help: "continue OUT's run from its checkpoint (its settings; --steps/--new-lr/--new-rec/--new-cls/--new-cls-fake/--new-idt-mask/--decay-from/--g-ema change them)" },
  force: { type: 'boolean', default: false, help: 'start a new run in OUT even though it holds one (deletes its checkpoint, log and samples)' },
  'log-every': { type: 'int', default: D.logEvery, ...bounds(RANGES.logEvery), help: 'read losses back and log every N iterations' },
  'sample-every': { type: 'int', default: D.sampleEvery, ...bounds(RANGES.sampleEvery), help: 'write a sample grid every N iterations' },
  'ckpt-every': { type: 'int', default: D.checkpointEvery, ...bounds(RANGES.checkpointEvery), help: 'write the checkpoint every N iterations' },
  quiet: { type: 'boolean', default: false, help: 'no progress bar' },
} satisfies Flags;

export type TrainArgs = Parsed<typeof TRAIN_FLAGS>;

export interface TrainSetup {
  config: TrainConfig;
  data: BatchSource;
  heldOut: Batch;
  out: string;
}

/** A new run's config from the flags. */
export function configFromFlags(a: TrainArgs): TrainConfig {
  const augment = augmentPolicy(a.augment);
  return {
    ...DEFAULT_TRAIN,
    attribute: a.attr, data: a.data,
    ...(a.data === 'synthetic' ? { dataSeed: a['data-seed'], dataCount: a['data-count'] } : {}),
    ...(a.data !== 'synthetic' && a['train-count'] > 0 ? { trainCount: a['train-count'] } : {}),
    model: { size: a.size, width: a.width, nRes: a.res, attention: !a['no-attention'], ...(a.down !== PAPER_DOWN ? { down: a.down } : {}), ...(a['amn-residual'] ? { residual: true } : {}), ...(a['amn-cond'] ? { condNorm: true } : {}), ...(a['amn-zero-init'] ? { zeroInit: true } : {}) },
    batchSize: a.batch, steps: a.steps, nCritic: a['n-critic'], lrG: a.lr, lrD: a.lr, dWarmup: a['d-warmup'],
    decayFrom: a['decay-from'] < 0 ? Infinity : a['decay-from'], seed: a.seed,
    ...(augment.length ? { augment } : {}), ...(a['g-ema'] > 0 ? { gEma: a['g-ema'] } : {}),
    weights: { ...DEFAULT_TRAIN.weights, cls: a.cls, rec: a.rec, idt: a.idt, ...(a['cls-fake'] > 0 ? { clsFake: a['cls-fake'] } : {}), ...(a['idt-mask'] < 1 ? { idtMask: a['idt-mask'] } : {}) },
    logEvery: a['log-every'], sampleEvery: a['sample-every'], checkpointEvery: a['ckpt-every'],
  };
}


export async function trainCommand(argv: string[]): Promise<void> {
  const a = parseArgs('train', argv, TRAIN_FLAGS);
  if (a.resume && a.force) throw new UsageError('train: --resume continues the run in --out and --force replaces it; give one of them');
  // Flags that change a resumed run from here on; on a new run they are refused, naming the flag to use instead.
  const resumeOnly = [{ flag: 'new-lr', what: 'the learning rate', newRun: '--lr' }, ...WEIGHT_CHANGES.map((w) => ({ ...w, what: w.newRun }))];
  for (const { flag, what, newRun } of resumeOnly) {
    if (!a.resume && a._given.has(flag)) throw new UsageError(`train: --${flag} changes ${what} of a resumed run; for a new run use ${newRun}`);
  }
  if (a._.length) throw new UsageError(`train: unexpected argument '${a._[0]}' (options start with --)`);
  await checkRunFolder(a.out, { resume: a.resume, force: a.force });
  const ckptPath = `${a.out}/checkpoint.safetensors`;
  let config: TrainConfig, resume: { bytes: Uint8Array; step: number } | null = null;
  if (a.resume) {
    if (!(await exists(ckptPath))) throw new UsageError(`train: --resume but ${ckptPath} does not exist. Fix: drop --resume, or point --out at the run to continue.`);
    const bytes = await readFile(ckptPath);
    const ck = readCheckpoint(bytes, ckptPath);
    config = resumedConfig(ck.meta.config, ck.meta.step, a, ckptPath);
    resume = { bytes, step: ck.meta.step };
  } else {
    config = configFromFlags(a);
    try {
      checkModelConfig(config.model);
    } catch (e) {
      throw new UsageError(`train: ${(e as Error).message}. Fix: a smaller --down, or a larger --size.`);
    }
  }
  const info = await init();
  let d;
  try {
    d = await trainingData({ ...config, size: config.model.size, heldOutRows: 8, readFile });
  } catch (e) {
    throw new UsageError(`train: ${(e as Error).message}`);
  }
  if (d.trainCount !== undefined && !resume) config.trainCount = d.trainCount;
  for (const n of d.notes) console.error(`train: ${n}`);
  await runTraining({ config, data: d.data, heldOut: d.heldOut, out: a.out },
    { resume: resume?.bytes, force: a.force, quiet: a.quiet, adapter: info.adapter.description || info.adapter.vendor });
}

export interface RunOptions {
  /** Checkpoint bytes to continue from (already read and checked against the config). */
  resume?: Uint8Array;
  /** Replace a run already in the folder. */
  force?: boolean;
  quiet?: boolean;
  adapter?: string;
}

/** Runs a training setup to completion, writing the run folder; returns the trainer (for `npm start`). */
export async function runTraining(s: TrainSetup, o: RunOptions = {}): Promise<Trainer> {
  const { out, config } = s;
  const ckptPath = `${out}/checkpoint.safetensors`;
  const logPath = `${out}/log.jsonl`;
  const trainer = new Trainer(config, s.data, s.heldOut, {
    log: async (r: LogRecord) => appendLine(logPath, JSON.stringify(r)),
    samples: (step, png) => writeFile(`${out}/samples/step_${String(step).padStart(6, '0')}.png`, png),
    checkpoint: (_step, bytes) => writeFileAtomic(ckptPath, bytes),
  });
  if (o.resume) await trainer.resume(o.resume, ckptPath); // before any write: a bad checkpoint changes nothing
  await prepareRunFolder(out, { resumeStep: o.resume ? trainer.step : null, force: o.force ?? false });
  if (o.resume) console.error(`resumed from ${ckptPath} at iteration ${trainer.step}`);
  for (const ch of config.changes?.filter((c) => c.step === trainer.step && o.resume) ?? []) {
    console.error(`train: ${ch.field} changed from ${ch.from} to ${ch.to} at iteration ${ch.step} (recorded in ${out}/config.json)`);
  }
  await writeFileAtomic(`${out}/config.json`, configJson(config, 2) + '\n');
  const m = config.model;
  console.error(`training SaGAN ${m.size}² w${m.width} res${m.nRes}${m.down !== undefined ? ` down${m.down}` : ''}${m.residual ? ' residual AMN' : ''}${m.condNorm ? ' conditional norms' : ''}${m.zeroInit ? ' (zero-init edit)' : ''}${m.attention ? '' : ' (no attention)'} on ${config.data}/${config.attribute}, batch ${config.batchSize}, ${config.steps} iterations` +
    `${o.adapter ? ` — GPU: ${o.adapter}` : ''}; G ${trainer.G.numParameters().toLocaleString('en')} / D ${trainer.D.numParameters().toLocaleString('en')} parameters`);
  const bar = o.quiet ? null : new ProgressBar('train');
  trainer.sink.progress = (p) => {
    const l = p.last;
    bar?.update(p.step, p.steps, p.itPerSec, l ? `D ${l.d_loss.toFixed(3)} GP ${l.gp.toFixed(3)} G ${l.g_loss.toFixed(3)} rec ${l.rec.toFixed(3)} mask ${l.mask_mean.toFixed(2)}` : '');
  };
  // warmupCritic decides whether there is one (dWarmup > 0, a fresh run): null when not.
  const wbar = o.quiet ? null : new ProgressBar('critic warm-up');
  const t0 = performance.now();
  const cls = await trainer.warmupCritic((i, n) => wbar?.update(i, n, i / ((performance.now() - t0) / 1000), ''));
  if (cls !== null) console.error(`critic warm-up: ${config.dWarmup} attribute steps, last BCE ${cls.toFixed(3)} (chance 0.693)`);
  await trainer.run();
  console.error(`wrote ${ckptPath}, ${logPath} and ${out}/samples/`);
  return trainer;
}
