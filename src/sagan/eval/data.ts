/**
 * @file Fixed, ordered image sets for evaluation (no shuffling, no dropped last batch): the synthetic
 * faces after a run's training set (with exact ground-truth regions), or a split of a CelebA-layout
 * folder (with masks/<attribute>/ when the folder was written by `sagan synth`).
 */
import { syntheticSource, type Batch } from '../batches.ts';
import { openCelebA, MASK_DIR } from '../data/celeba.ts';
import { SAGAN_ATTRIBUTES, type SaganAttribute } from '../data/attrs.ts';
import { readFile, exists } from '../data/fs.ts';

export interface NamedBatch extends Batch {
  /** A name per image (file name, or `face_<index>` for synthetic faces). */
  names: string[];
}

export interface EvalSet {
  readonly size: number;
  readonly length: number;
  /** Whether batches carry ground-truth regions (`masks`). */
  readonly hasMasks: boolean;
  /** Human-readable origin, for reports. */
  readonly describe: string;
  /** Images [i0, i1) in order. */
  load(i0: number, i1: number): Promise<NamedBatch>;
}

/** The set in consecutive batches of at most `batchSize` images (the last may be smaller). */
export async function* inBatches(set: EvalSet, batchSize: number): AsyncGenerator<NamedBatch> {
  for (let i = 0; i < set.length; i += batchSize) yield await set.load(i, Math.min(set.length, i + batchSize));
}

export interface SyntheticSetOptions {
  attribute: string;
  size: number;
  dataSeed: number;
  /** Index of the first face (a run's data-count: the faces right after its training set). */
  offset: number;
  count: number;
  withMasks?: boolean;
}

/** Synthetic faces offset … offset+count−1 of the seed, with their ground-truth regions. */
export function syntheticSet(o: SyntheticSetOptions): EvalSet {
  if (!SAGAN_ATTRIBUTES.includes(o.attribute as SaganAttribute)) {
    throw new Error(`data: synthetic faces render ${SAGAN_ATTRIBUTES.join(', ')}; '${o.attribute}' is not one of them`);
  }
  const withMasks = o.withMasks ?? true;
  const src = syntheticSource({
    attribute: o.attribute as SaganAttribute, size: o.size, length: o.count, batchSize: 1,
    dataSeed: o.dataSeed, orderSeed: 0, offset: o.offset, withMasks, withCounterfactuals: withMasks,
  });
  const S = o.size;
  return {
    size: S, length: o.count, hasMasks: withMasks,
    describe: `synthetic faces ${o.offset}…${o.offset + o.count - 1} (data seed ${o.dataSeed})`,
    async load(i0, i1) {
      const n = i1 - i0;
      const images = new Float32Array(n * 3 * S * S), labels = new Float32Array(n);
      const masks = withMasks ? new Float32Array(n * S * S) : undefined;
      const counterfactuals = withMasks ? new Float32Array(n * 3 * S * S) : undefined;
      const names: string[] = [];
      for (let b = 0; b < n; b++) {
        const f = src.face(i0 + b);
        images.set(f.image, b * 3 * S * S);
        labels[b] = f.label;
        if (masks && f.mask) masks.set(f.mask, b * S * S);
        if (counterfactuals && f.counterfactual) counterfactuals.set(f.counterfactual, b * 3 * S * S);
        names.push(`face_${o.offset + i0 + b}`);
      }
      return { images, labels, masks, counterfactuals, names, n };
    },
  };
}

/**
 * The first `count` images (all when count ≤ 0) of a split of a CelebA-layout folder, split as `sagan train`
 * splits it: the first `trainCount` list lines are train, the rest test.
 */
export async function celebaSet(root: string, attribute: string, size: number, split: 'train' | 'test' | 'all', count: number, trainCount: number): Promise<EvalSet> {
  const hasMasks = await exists(`${root}/${MASK_DIR}/${attribute}`);
  const ds = await openCelebA({ root, attribute, size, readFile, split, masks: hasMasks, trainCount });
  const length = count > 0 ? Math.min(count, ds.length) : ds.length;
  return {
    size, length, hasMasks,
    describe: `${root} (${split} split, first ${length} of ${ds.length})`,
    async load(i0, i1) {
      const b = await ds.loadBatch(Array.from({ length: i1 - i0 }, (_, k) => i0 + k));
      return { images: b.images, labels: b.labels, masks: b.masks, names: b.names, n: b.labels.length };
    },
  };
}
