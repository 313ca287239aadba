/**
 * @file `sagan train-classifier`: trains the judge classifier for one attribute on the training split
 * (synthetic faces 0 … data-count−1, or a CelebA-layout folder's train split), tests it on the held-out
 * split (the next test-count synthetic faces, or the folder's test split) — plainly, and with every test
 * image's attribute region corrupted (hard negatives, see eval/hard-negatives.ts) — and writes to --out:
 * classifier.safetensors (format 'sagan-webgpu/classifier/1', config and test accuracy in its metadata)
 * and classifier.json (the same, readable). Also holds the file-reading helper the eval commands share.
 */
import { init } from '../../engine/index.ts';
import { openCelebA } from '../data/celeba.ts';
import { SAGAN_ATTRIBUTES, type SaganAttribute } from '../data/attrs.ts';
import { readFile, writeFile, writeFileAtomic, mkdir } from '../data/fs.ts';
import { syntheticSource, celebaSource, prefetching, type BatchSource } from '../batches.ts';
import { trainClassifier, testClassifier, saveClassifier, type ClassifierMeta } from '../eval/classifier.ts';
import { syntheticSet, celebaSet, inBatches, type EvalSet } from '../eval/data.ts';
import { withHardNegatives, hardenBatch } from '../eval/hard-negatives.ts';
import { Rng, hashInts } from '../data/rng.ts';
import { exists } from '../data/fs.ts';
import { MASK_DIR } from '../data/celeba.ts';
import { toJson } from '../eval/report.ts';
import { parseArgs, UsageError, type Flags } from './args.ts';
import { SYNTHETIC_SET, RANGES, bounds } from '../config.ts';
import { ProgressBar } from './progress.ts';

export const CLASSIFIER_FLAGS = {
  data: { type: 'string', default: 'synthetic', help: "'synthetic' or a CelebA-layout folder" },
  attr: { type: 'string', default: 'Eyeglasses', help: `attribute to classify (synthetic: ${SAGAN_ATTRIBUTES.join(', ')})` },
  size: { type: 'int', default: 128, ...bounds(RANGES.size), help: 'image size (power of two ≥ 16; the generator it judges must match)' },
  width: { type: 'int', default: 16, min: 1, help: 'base width (convs run w, 2w, 4w, 8w)' },
  steps: { type: 'int', default: 2000, min: 1, help: 'training steps' },
  batch: { type: 'int', default: 32, min: 1, help: 'batch size' },
  lr: { type: 'number', default: 1e-3, ...bounds(RANGES.lr), help: 'Adam learning rate' },
  seed: { type: 'int', default: 1, ...bounds(RANGES.seed), help: 'seed of weights and batch order' },
  'data-seed': { type: 'int', default: SYNTHETIC_SET.seed, ...bounds(RANGES.dataSeed), help: 'synthetic data: seed of the face set (as train)' },
  'data-count': { type: 'int', default: SYNTHETIC_SET.count, ...bounds(RANGES.dataCount), help: 'synthetic data: training faces (as train); the test faces follow them' },
  'test-count': { type: 'int', default: 500, min: 1, help: 'held-out images to test on (synthetic: faces after the training set; CelebA: the test split)' },
  'train-count': { type: 'int', default: 200000, min: 1, help: 'CelebA folder: images in the train split (the rest is test), as train' },
  'hard-negatives': { type: 'number', default: 0.5, min: 0, max: 1, help: "share of training images whose attribute region is tinted, noised, blurred, painted or (synthetic faces) given a faint ghost of the flipped attribute, true label kept — so the judge cannot be fooled by a colour cue or a partial edit; needs regions (synthetic faces or a folder with masks/<attr>/); 0: a plain judge" },
  out: { type: 'string', default: 'runs/classifier', help: 'output folder' },
  quiet: { type: 'boolean', default: false, help: 'no progress bar' },
} satisfies Flags;

/** Reads a file a command was given; a missing file is a usage error naming the flag's meaning. */
export async function readInput(command: string, what: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UsageError(`${command}: cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

export async function trainClassifierCommand(argv: string[]): Promise<void> {
  const a = parseArgs('train-classifier', argv, CLASSIFIER_FLAGS);
  const S = a.size;
  if (!Number.isInteger(Math.log2(S)) || S < 16) throw new UsageError(`train-classifier: --size ${S} must be a power of two ≥ 16`);
  if (a.steps < 1 || a.batch < 1 || a['test-count'] < 1) throw new UsageError('train-classifier: --steps, --batch and --test-count must be ≥ 1');
  const share = a['hard-negatives'];
  if (!(share >= 0 && share <= 1)) throw new UsageError(`train-classifier: --hard-negatives ${share} must be a share in [0, 1]`);
  let train: BatchSource, test: EvalSet;
  if (a.data === 'synthetic') {
    if (!SAGAN_ATTRIBUTES.includes(a.attr as SaganAttribute)) {
      throw new UsageError(`train-classifier: synthetic faces render ${SAGAN_ATTRIBUTES.join(', ')}; '${a.attr}' is not one of them`);
    }
    const common = { attribute: a.attr as SaganAttribute, size: S, dataSeed: a['data-seed'] };
    train = syntheticSource({ ...common, length: a['data-count'], batchSize: a.batch, orderSeed: a.seed, withMasks: share > 0, withCounterfactuals: share > 0 });
    test = syntheticSet({ ...common, offset: a['data-count'], count: a['test-count'] });
  } else {
    const masks = await exists(`${a.data}/${MASK_DIR}/${a.attr}`);
    if (share > 0 && !masks) {
      throw new UsageError(`train-classifier: --hard-negatives needs the attribute's regions, and ${a.data} has no ${MASK_DIR}/${a.attr}/. Fix: pass --hard-negatives 0 (a plain judge), or use a folder written by the synthetic writer.`);
    }
    const ds = await openCelebA({ root: a.data, attribute: a.attr, size: S, readFile, split: 'train', trainCount: a['train-count'], masks: share > 0 });
    train = celebaSource(ds, a.batch, a.seed);
    test = await celebaSet(a.data, a.attr, S, 'test', a['test-count'], a['train-count']);
  }
  const info = await init();
  const config = { size: S, width: a.width };
  console.error(`training the ${a.attr} classifier (${S}², width ${a.width}) on ${a.data}, batch ${a.batch}, ${a.steps} steps` +
    ` — GPU: ${info.adapter.description || info.adapter.vendor}`);
  const bar = a.quiet ? null : new ProgressBar('classifier');
  const t0 = performance.now();
  const source = share > 0 ? withHardNegatives(train, share, a.seed) : train;
  const C = await trainClassifier(config, prefetching(source), { steps: a.steps, lr: a.lr, seed: a.seed, logEvery: 10 }, (step, loss) => {
    bar?.update(step, a.steps, step / ((performance.now() - t0) / 1000), `BCE ${loss.toFixed(4)}`);
  });
  const result = await testClassifier(C, inBatches(test, a.batch));
  // Every test image corrupted (seeded apart from training): what a judge fooled by colour gets wrong.
  const hard = test.hasMasks ? await testClassifier(C, hardened(test, a.batch, a.seed)) : null;
  const meta: ClassifierMeta = {
    config, attribute: a.attr, data: a.data, steps: a.steps, test: result, hardTest: hard,
    extra: { testSet: test.describe, dataSeed: a['data-seed'], dataCount: a['data-count'], trainCount: a['train-count'], batch: a.batch, lr: a.lr, seed: a.seed, hardNegatives: share },
  };
  await mkdir(a.out);
  const ckpt = `${a.out}/classifier.safetensors`;
  await writeFileAtomic(ckpt, await saveClassifier(C, meta));
  await writeFile(`${a.out}/classifier.json`, toJson(meta));
  C.dispose();
  const pct = (v: number) => (Number.isNaN(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`);
  console.log(`${a.attr} classifier test accuracy ${pct(result.accuracy)} on ${result.n} held-out images ` +
    `(positives ${pct(result.accuracyPositive)} of ${result.positives}, negatives ${pct(result.accuracyNegative)} of ${result.n - result.positives})`);
  if (hard) console.log(`  on the same images with the attribute region tinted, noised, blurred, painted or ghosted (true labels): ${pct(hard.accuracy)} (positives ${pct(hard.accuracyPositive)}, negatives ${pct(hard.accuracyNegative)})`);
  console.log(`wrote ${ckpt} and ${a.out}/classifier.json`);
}

/** The test set with every image's region corrupted (hard negatives, share 1), batch by batch. */
async function* hardened(test: EvalSet, batch: number, seed: number) {
  let k = 0;
  for await (const b of inBatches(test, batch)) yield hardenBatch(b, test.size, 1, new Rng(hashInts(seed, k++, 0x54455354)));
}
