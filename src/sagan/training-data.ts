/**
 * @file Training data and held-out samples for a run — the one function behind `sagan train` and the
 * web app, so a run started in one and resumed in the other sees the same stream. Synthetic faces:
 * faces 0 … dataCount−1 of dataSeed train, the next ones are the held-out samples. A CelebA-layout
 * folder: with `trainCount`, the first trainCount images train and the rest are held out (the
 * re-implementation's split); else list_eval_partition.txt when the folder has one (0 train, 2 test);
 * else the first 200,000 (CELEBA_TRAIN_COUNT). When there is no held-out split the grid shows training images, and the
 * returned notes say so.
 */
import { syntheticSource, celebaSource, prefetching, type Batch, type BatchSource } from './batches.ts';
import { openCelebA, PARTITION_FILE, type ReadFile, type CelebAOptions } from './data/celeba.ts';
import { SAGAN_ATTRIBUTES, CELEBA_ATTRIBUTES, type SaganAttribute } from './data/attrs.ts';
import { SYNTHETIC_SET } from './config.ts';

export interface TrainingDataOptions {
  /** 'synthetic' or a CelebA-layout folder. */
  data: string;
  attribute: string;
  size: number;
  batchSize: number;
  /** Seed of the batch order. */
  seed: number;
  /** Synthetic: the face set (default SYNTHETIC_SET). */
  dataSeed?: number;
  dataCount?: number;
  /** CelebA: split by count (see the file comment). */
  trainCount?: number;
  /** Rows of the sample grid. */
  heldOutRows: number;
  /** CelebA: reads a file of the folder (throws when it is missing). */
  readFile?: ReadFile;
  decode?: CelebAOptions['decode'];
}

export interface TrainingData {
  data: BatchSource;
  heldOut: Batch;
  /** What was chosen where a user might not expect it (a fallback); print or show them. */
  notes: string[];
  /** CelebA split by count: the count used (a run records it); undefined for the partition file and synthetic data. */
  trainCount?: number;
}

/** The re-implementation's count split: the first 200,000 of CelebA's 202,599 images train. */
export const CELEBA_TRAIN_COUNT = 200_000;

/** Throws plain Errors naming the problem (callers turn them into usage errors where fitting). */
export async function trainingData(o: TrainingDataOptions): Promise<TrainingData> {
  if (o.data === 'synthetic') {
    if (!SAGAN_ATTRIBUTES.includes(o.attribute as SaganAttribute)) {
      throw new Error(`synthetic faces render ${SAGAN_ATTRIBUTES.join(', ')}; '${o.attribute}' is not one of them`);
    }
    const dataSeed = o.dataSeed ?? SYNTHETIC_SET.seed, count = o.dataCount ?? SYNTHETIC_SET.count;
    if (count < o.batchSize) throw new Error(`${count} synthetic faces do not fill one batch of ${o.batchSize}`);
    const common = { attribute: o.attribute as SaganAttribute, size: o.size, dataSeed };
    const train = syntheticSource({ ...common, length: count, batchSize: o.batchSize, orderSeed: o.seed });
    const test = syntheticSource({ ...common, length: o.heldOutRows, batchSize: o.heldOutRows, orderSeed: 0, offset: count });
    return { data: prefetching(train), heldOut: await test.batch(0), notes: [] };
  }
  if (!CELEBA_ATTRIBUTES.includes(o.attribute as never)) throw new Error(`unknown attribute '${o.attribute}'. CelebA's are: ${CELEBA_ATTRIBUTES.join(', ')}`);
  if (!o.readFile) throw new Error('trainingData: a CelebA folder needs readFile');
  const notes: string[] = [];
  let splitBy: 'count' | 'partition' = 'count', trainCount = o.trainCount;
  if (trainCount === undefined) {
    const hasPartition = await o.readFile(`${o.data.replace(/\/$/, '')}/${PARTITION_FILE}`).then(() => true, () => false);
    if (hasPartition) splitBy = 'partition';
    else trainCount = CELEBA_TRAIN_COUNT;
  }
  const open = (split: 'train' | 'test') =>
    openCelebA({ root: o.data, attribute: o.attribute, size: o.size, readFile: o.readFile!, decode: o.decode, split, splitBy, trainCount, allowEmpty: split === 'test' });
  const train = await open('train');
  if (train.length < o.batchSize) throw new Error(`${o.data}: ${train.length} training images do not fill one batch of ${o.batchSize}`);
  let test = await open('test');
  if (test.length === 0) {
    const why = splitBy === 'partition' ? `${PARTITION_FILE} puts no image in the test split (2)`
      : o.trainCount === undefined ? `the folder has no ${PARTITION_FILE} and at most ${CELEBA_TRAIN_COUNT.toLocaleString('en')} images; --train-count N holds out the images after the first N`
      : `all ${train.length} images are within --train-count ${o.trainCount}`;
    notes.push(`${o.data}: no held-out images (${why}); the sample grids show training images`);
    test = train;
  }
  const heldOut = await celebaSource(test, Math.min(o.heldOutRows, test.length), 0).batch(0);
  return { data: prefetching(celebaSource(train, o.batchSize, o.seed)), heldOut, notes, trainCount: splitBy === 'count' ? trainCount : undefined };
}
