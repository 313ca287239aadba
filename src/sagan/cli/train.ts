/**
 * @file `sagan train`: trains SaGAN on synthetic faces or a CelebA-layout folder, writing to --out:
 * config.json, log.jsonl (one line per iteration), samples/step_NNNNNN.png grids and checkpoint.safetensors
 * (atomically, every --ckpt-every iterations). `--resume` continues a run exactly where it stopped.
 */
import { init, deviceInfo } from '../../engine/index.ts';
import { openCelebA } from '../data/celeba.ts';
import { SAGAN_ATTRIBUTES, CELEBA_ATTRIBUTES, type SaganAttribute } from '../data/attrs.ts';
import { readFile, writeFile, writeFileAtomic, mkdir, exists } from '../data/fs.ts';
import { syntheticSource, celebaSource, prefetching, type Batch, type BatchSource } from '../batches.ts';
import { Trainer, DEFAULT_TRAIN, type TrainConfig, type LogRecord } from '../trainer.ts';
import { parseArgs, UsageError, type Flags } from './args.ts';
import { parseAugmentPolicy } from '../augment.ts';
import { ProgressBar } from './progress.ts';

export const TRAIN_FLAGS = {
  data: { type: 'string', default: 'synthetic', help: "'synthetic' (faces rendered on the fly) or a CelebA-layout folder (list_attr_celeba.txt + img_align_celeba/)" },
  attr: { type: 'string', default: 'Eyeglasses', help: `attribute to edit (synthetic: ${SAGAN_ATTRIBUTES.join(', ')}; CelebA: any of its 40)` },
  size: { type: 'int', default: 128, help: 'image size (power of two ≥ 16)' },
  width: { type: 'int', default: 32, help: 'base width w of G and D' },
  res: { type: 'int', default: 4, help: 'residual blocks in AMN and SAN' },
  batch: { type: 'int', default: 16, help: 'batch size' },
  steps: { type: 'int', default: 10000, help: 'iterations (each: n-critic D steps + 1 G step)' },
  'n-critic': { type: 'int', default: 3, help: 'D steps per G step' },
  lr: { type: 'number', default: 2e-4, help: 'learning rate of G and D (Adam, betas 0.5, 0.999)' },
  'd-warmup': { type: 'int', default: 0, help: "critic warm-up: D steps on the attribute loss alone before iteration 1 (0: none, as the paper; short runs need ~300)" },
  'cls-fake': { type: 'number', default: 0, help: "not in the paper (0): weight of a critic class-head loss that labels edits with their source attribute, BCE(cls(G(x,t)), c) — so the head cannot keep a cheap cue (e.g. the lenses' tint) that the generator learns to paint instead of the attribute" },
  augment: { type: 'string', default: 'none', help: "not in the paper (none): differentiable augmentation of every image the critic sees (DiffAugment), comma-separated: color, translation, cutout" },
  'decay-from': { type: 'int', default: -1, help: 'decay the learning rate linearly to 0 from this iteration (-1: never)' },
  seed: { type: 'int', default: 1, help: 'seed of weights, batch order and noise' },
  'data-seed': { type: 'int', default: 2018, help: 'synthetic data: seed of the face set' },
  'data-count': { type: 'int', default: 4000, help: 'synthetic data: faces in the training set' },
  'no-attention': { type: 'boolean', default: false, help: 'ablation: G(x, c) = AMN(x, c), no spatial attention' },
  out: { type: 'string', default: 'runs/train', help: 'output folder' },
  resume: { type: 'boolean', default: false, help: 'continue from OUT/checkpoint.safetensors (same config)' },
  'log-every': { type: 'int', default: 10, help: 'read losses back and log every N iterations' },
  'sample-every': { type: 'int', default: 250, help: 'write a sample grid every N iterations' },
  'ckpt-every': { type: 'int', default: 500, help: 'write the checkpoint every N iterations' },
  quiet: { type: 'boolean', default: false, help: 'no progress bar' },
} satisfies Flags;

export interface TrainSetup {
  config: TrainConfig;
  data: BatchSource;
  heldOut: Batch;
  out: string;
}

/** The held-out samples shown in grids: synthetic faces after the training set, or the CelebA test split. */
async function prepareData(a: ReturnType<typeof parseArgs<typeof TRAIN_FLAGS>>, config: TrainConfig): Promise<{ data: BatchSource; heldOut: Batch }> {
  const S = config.model.size;
  if (a.data === 'synthetic') {
    if (!SAGAN_ATTRIBUTES.includes(a.attr as SaganAttribute)) {
      throw new UsageError(`train: synthetic faces render ${SAGAN_ATTRIBUTES.join(', ')}; '${a.attr}' is not one of them`);
    }
    const common = { attribute: a.attr as SaganAttribute, size: S, dataSeed: a['data-seed'] };
    const data = syntheticSource({ ...common, length: a['data-count'], batchSize: a.batch, orderSeed: a.seed });
    const test = syntheticSource({ ...common, length: 8, batchSize: 8, orderSeed: 0, offset: a['data-count'] });
    return { data: prefetching(data), heldOut: await test.batch(0) };
  }
  if (!CELEBA_ATTRIBUTES.includes(a.attr as never)) throw new UsageError(`train: unknown attribute '${a.attr}'. CelebA's are: ${CELEBA_ATTRIBUTES.join(', ')}`);
  const train = await openCelebA({ root: a.data, attribute: a.attr, size: S, readFile, split: 'train' });
  const test = await openCelebA({ root: a.data, attribute: a.attr, size: S, readFile, split: 'test' });
  const n = Math.min(8, test.length || 0);
  const heldOut = n ? await celebaSource(test, n, 0).batch(0) : await celebaSource(train, Math.min(8, train.length), 0).batch(0);
  return { data: prefetching(celebaSource(train, a.batch, a.seed)), heldOut };
}

export async function trainCommand(argv: string[]): Promise<void> {
  const a = parseArgs('train', argv, TRAIN_FLAGS);
  let augment: ReturnType<typeof parseAugmentPolicy>;
  try {
    augment = parseAugmentPolicy(a.augment);
  } catch (e) {
    throw new UsageError(`train: --augment ${(e as Error).message}`);
  }
  const config: TrainConfig = {
    ...DEFAULT_TRAIN,
    attribute: a.attr, data: a.data,
    ...(a.data === 'synthetic' ? { dataSeed: a['data-seed'], dataCount: a['data-count'] } : {}),
    model: { size: a.size, width: a.width, nRes: a.res, attention: !a['no-attention'] },
    batchSize: a.batch, steps: a.steps, nCritic: a['n-critic'], lrG: a.lr, lrD: a.lr, dWarmup: a['d-warmup'],
    decayFrom: a['decay-from'] < 0 ? Infinity : a['decay-from'], seed: a.seed,
    ...(augment.length ? { augment } : {}),
    ...(a['cls-fake'] > 0 ? { weights: { ...DEFAULT_TRAIN.weights, clsFake: a['cls-fake'] } } : {}),
    logEvery: a['log-every'], sampleEvery: a['sample-every'], checkpointEvery: a['ckpt-every'],
  };
  const info = await init();
  const { data, heldOut } = await prepareData(a, config);
  await runTraining({ config, data, heldOut, out: a.out }, { resume: a.resume, quiet: a.quiet, adapter: info.adapter.description || info.adapter.vendor });
}

/** Runs a training setup to completion, writing the run folder; returns the trainer (for `npm start`). */
export async function runTraining(s: TrainSetup, o: { resume?: boolean; quiet?: boolean; adapter?: string } = {}): Promise<Trainer> {
  const { out, config } = s;
  await mkdir(`${out}/samples`);
  const ckptPath = `${out}/checkpoint.safetensors`;
  const logPath = `${out}/log.jsonl`;
  const trainer = new Trainer(config, s.data, s.heldOut, {
    log: async (r: LogRecord) => appendLine(logPath, JSON.stringify(r)),
    samples: (step, png) => writeFile(`${out}/samples/step_${String(step).padStart(6, '0')}.png`, png),
    checkpoint: (_step, bytes) => writeFileAtomic(ckptPath, bytes),
  });
  if (o.resume) {
    if (!(await exists(ckptPath))) throw new UsageError(`train: --resume but ${ckptPath} does not exist. Fix: drop --resume, or point --out at the run to continue.`);
    await trainer.resume(await readFile(ckptPath), ckptPath);
    console.error(`resumed from ${ckptPath} at iteration ${trainer.step}`);
  } else {
    await writeFile(logPath, '');
  }
  await writeFile(`${out}/config.json`, JSON.stringify({ ...config, decayFrom: Number.isFinite(config.decayFrom) ? config.decayFrom : null }, null, 2) + '\n');
  const m = config.model;
  console.error(`training SaGAN ${m.size}² w${m.width} res${m.nRes}${m.attention ? '' : ' (no attention)'} on ${config.data}/${config.attribute}, batch ${config.batchSize}, ${config.steps} iterations` +
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

async function appendLine(path: string, line: string): Promise<void> {
  const fsp = await import('node:fs/promises');
  await fsp.appendFile(path, line + '\n');
}
