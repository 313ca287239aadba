/**
 * @file Training data as random-access batches: batch k of a seeded stream is always the same images,
 * so a resumed run sees exactly the batches an uninterrupted one would. Epoch e visits the set in the
 * order of a permutation seeded by (seed, e) — the same plan as CelebADataset.batches().
 * Two sources: synthetic faces rendered on demand (cached), and a CelebA-layout folder.
 */
import { Rng, hashInts, shuffleInPlace } from './data/rng.ts';
import { sampleAttributes, sampleFace, renderFaceWithMasks, renderFace, squareTarget } from './data/faces.ts';
import { SAGAN_ATTRIBUTES, type SaganAttribute } from './data/attrs.ts';
import { imageToTensor } from '../engine/index.ts';
import type { CelebADataset } from './data/celeba.ts';

export interface Batch {
  /** [n, 3, S, S] in [−1, 1]. */
  images: Float32Array;
  /** 0/1 attribute value per image. */
  labels: Float32Array;
  /** Ground-truth regions [n, 1, S, S] in [0, 1] (synthetic data only, when asked for). */
  masks?: Float32Array;
  /** The same faces with the attribute flipped, [n, 3, S, S] (synthetic data only, when asked for). */
  counterfactuals?: Float32Array;
  n: number;
}

export interface BatchSource {
  readonly size: number;
  /** Images in the set (one epoch). */
  readonly length: number;
  /** Batch k (any k ≥ 0) of `batchSize` images; deterministic in (seed, k). */
  batch(k: number): Promise<Batch>;
}

/** Indices of batch k: epoch-wise seeded permutations, dropping each epoch's last partial batch. */
export function batchIndices(length: number, batchSize: number, seed: number, k: number, cache?: Map<number, Int32Array>): Int32Array {
  const perEpoch = Math.floor(length / batchSize);
  if (perEpoch < 1) throw new Error(`data: ${length} images do not fill one batch of ${batchSize}`);
  const epoch = Math.floor(k / perEpoch), b = k % perEpoch;
  let order = cache?.get(epoch);
  if (!order) {
    order = Int32Array.from({ length }, (_, i) => i);
    shuffleInPlace(order, new Rng(hashInts(seed, epoch)));
    cache?.clear();
    cache?.set(epoch, order);
  }
  return order.subarray(b * batchSize, (b + 1) * batchSize);
}

export interface SyntheticOptions {
  attribute: SaganAttribute;
  size: number;
  /** Faces in the set; the held-out set is the next `length` faces of the same seed. */
  length: number;
  batchSize: number;
  /** Seed of the face set (what the faces look like). */
  dataSeed: number;
  /** Seed of the batch order. */
  orderSeed: number;
  /** First face index (0 for training; `length` for the held-out set). */
  offset?: number;
  withMasks?: boolean;
  /** Also render each face with the attribute flipped (the counterfactual x*: same identity, same style, same noise). */
  withCounterfactuals?: boolean;
}

/** One synthetic face as tensors. */
export interface SyntheticFace {
  image: Float32Array;
  label: number;
  mask?: Float32Array;
  counterfactual?: Float32Array;
}

/** Synthetic faces (src/sagan/data/faces.ts) rendered on first use and kept. */
export function syntheticSource(o: SyntheticOptions): BatchSource & { face(i: number): SyntheticFace } {
  if (!SAGAN_ATTRIBUTES.includes(o.attribute)) {
    throw new Error(`data: synthetic faces render ${SAGAN_ATTRIBUTES.join(', ')}; '${o.attribute}' is not one of them`);
  }
  const cache = new Map<number, SyntheticFace>();
  const orders = new Map<number, Int32Array>();
  const target = squareTarget(o.size);
  const S = o.size;
  const face = (i: number) => {
    let f = cache.get(i);
    if (!f) {
      const idx = (o.offset ?? 0) + i;
      const params = sampleFace(o.dataSeed, idx);
      const attrs = sampleAttributes(o.dataSeed, idx);
      if (o.withMasks) {
        const r = renderFaceWithMasks(params, attrs, target, { attributes: [o.attribute] });
        f = { image: imageToTensor(r.image), label: attrs[o.attribute] ? 1 : 0, mask: imageToTensor(r.masks[o.attribute], { range: [0, 1] }) };
      } else {
        f = { image: imageToTensor(renderFace(params, attrs, target)), label: attrs[o.attribute] ? 1 : 0 };
      }
      if (o.withCounterfactuals) f.counterfactual = imageToTensor(renderFace(params, { ...attrs, [o.attribute]: !attrs[o.attribute] }, target));
      cache.set(i, f);
    }
    return f;
  };
  return {
    size: S,
    length: o.length,
    face,
    async batch(k: number): Promise<Batch> {
      const idx = batchIndices(o.length, o.batchSize, o.orderSeed, k, orders);
      const n = idx.length;
      const images = new Float32Array(n * 3 * S * S), labels = new Float32Array(n);
      const masks = o.withMasks ? new Float32Array(n * S * S) : undefined;
      const counterfactuals = o.withCounterfactuals ? new Float32Array(n * 3 * S * S) : undefined;
      for (let b = 0; b < n; b++) {
        const f = face(idx[b]);
        images.set(f.image, b * 3 * S * S);
        labels[b] = f.label;
        if (masks && f.mask) masks.set(f.mask, b * S * S);
        if (counterfactuals && f.counterfactual) counterfactuals.set(f.counterfactual, b * 3 * S * S);
        // Rendering is CPU work: give GPU completions and I/O a turn between faces.
        if (b % 4 === 3) await new Promise((r) => setTimeout(r, 0));
      }
      return { images, labels, masks, counterfactuals, n };
    },
  };
}

/** A CelebA-layout folder (opened with openCelebA) as random-access batches. */
export function celebaSource(ds: CelebADataset, batchSize: number, orderSeed: number): BatchSource {
  const orders = new Map<number, Int32Array>();
  return {
    size: ds.size,
    length: ds.length,
    async batch(k: number): Promise<Batch> {
      const b = await ds.loadBatch(batchIndices(ds.length, batchSize, orderSeed, k, orders));
      return { images: b.images, labels: b.labels, masks: b.masks, n: b.labels.length };
    },
  };
}

/** Wraps a source so that batch k+1 … k+depth are being prepared while batch k is used. */
export function prefetching(src: BatchSource, depth = 2): BatchSource {
  const pending = new Map<number, Promise<Batch>>();
  const get = (k: number) => {
    let p = pending.get(k);
    if (!p) {
      p = src.batch(k);
      p.catch(() => {}); // surfaced when awaited
      pending.set(k, p);
    }
    return p;
  };
  return {
    size: src.size,
    length: src.length,
    batch(k: number): Promise<Batch> {
      for (const key of pending.keys()) if (key < k) pending.delete(key);
      const p = get(k);
      for (let j = 1; j <= depth; j++) get(k + j);
      pending.delete(k);
      return p;
    },
  };
}
