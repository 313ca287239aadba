/**
 * @file Hard negatives for the judge classifier: images whose attribute region R has been tinted, noised,
 * blurred or painted with strokes — *without* drawing the attribute — and that keep their true label.
 *
 * Why: a judge trained on clean faces learns the cheapest cue that separates them, and for glasses that is
 * the lenses' tint over the eyes. A generator that only tints the eyes then "succeeds" with that judge
 * (and with the critic's class head, which learns the same cue). Shown tinted eyes labelled "no glasses"
 * (and noisy, blurred, scribbled regions with their true labels), the judge must look for the attribute's
 * shape instead. The ghosts (synthetic faces, whose counterfactual x* is known) teach it that a faint
 * partial edit — what a generator that paints a few pixels produces — is not the attribute: it says
 * "glasses" only when they are clearly there. Accuracy on such images is reported beside the plain test
 * accuracy.
 *
 * All functions are pure CPU code on one image [3, S, S] in [−1, 1] and its region [S, S] in [0, 1]; they
 * change pixels only where the region is ≥ 0.5 and are deterministic in the Rng they are given.
 */
import { Rng, hashInts } from '../data/rng.ts';
import type { Batch, BatchSource } from '../batches.ts';

export const HARD_NEGATIVE_KINDS = ['tint', 'noise', 'blur', 'paint', 'ghost'] as const;
export type HardNegativeKind = (typeof HARD_NEGATIVE_KINDS)[number];
/** The ghost's largest share of the way from x to x*: well short of an edit that changes the label. */
export const GHOST_MAX = 0.35;

const inR = (region: ArrayLike<number>, p: number) => region[p] >= 0.5;
const clamp = (v: number) => (v < -1 ? -1 : v > 1 ? 1 : v);

/**
 * A copy of `image` (3 × S × S) changed inside the region by one corruption:
 *  - tint: x ← (1 − α)x + α·c, one random colour c, α ~ U(0.15, 0.6) (lens-like, but with no frame);
 *  - noise: x ← x + σ·N(0, 1) per value, σ ~ U(0.1, 0.35);
 *  - blur: two passes of a 3×3 box filter (edges and lines inside R soften);
 *  - paint: 2–5 discs of radius S/32 … S/12, each a random colour, centred on random region pixels;
 *  - ghost: x ← x + α(x* − x), α ~ U(0.1, GHOST_MAX), x* the counterfactual (`truth`, required).
 * An empty region returns an unchanged copy.
 */
export function corruptRegion(image: Float32Array, region: ArrayLike<number>, S: number, kind: HardNegativeKind, rng: Rng, truth?: ArrayLike<number>): Float32Array {
  const hw = S * S;
  if (image.length !== 3 * hw || region.length !== hw) throw new Error(`corruptRegion: expected a 3×${S}×${S} image and a ${S}×${S} region, got ${image.length} and ${region.length} values`);
  const out = image.slice();
  const pixels: number[] = [];
  for (let p = 0; p < hw; p++) if (inR(region, p)) pixels.push(p);
  if (!pixels.length) return out;
  const colour = () => [rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)];
  if (kind === 'ghost') {
    if (!truth || truth.length !== image.length) throw new Error('corruptRegion: a ghost needs the counterfactual image (same shape as the input)');
    const a = rng.range(0.1, GHOST_MAX);
    for (const p of pixels) for (let ch = 0; ch < 3; ch++) out[ch * hw + p] = image[ch * hw + p] + a * (truth[ch * hw + p] - image[ch * hw + p]);
  } else if (kind === 'tint') {
    const c = colour(), a = rng.range(0.15, 0.6);
    for (const p of pixels) for (let ch = 0; ch < 3; ch++) out[ch * hw + p] = (1 - a) * image[ch * hw + p] + a * c[ch];
  } else if (kind === 'noise') {
    const s = rng.range(0.1, 0.35);
    for (const p of pixels) for (let ch = 0; ch < 3; ch++) out[ch * hw + p] = clamp(image[ch * hw + p] + s * rng.normal());
  } else if (kind === 'blur') {
    let src = image;
    for (let pass = 0; pass < 2; pass++) {
      const dst = src.slice();
      for (const p of pixels) {
        const y = Math.floor(p / S), x = p % S;
        for (let ch = 0; ch < 3; ch++) {
          let s = 0, k = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy, xx = x + dx;
              if (yy < 0 || yy >= S || xx < 0 || xx >= S) continue;
              s += src[ch * hw + yy * S + xx];
              k++;
            }
          }
          dst[ch * hw + p] = s / k;
        }
      }
      src = dst;
    }
    out.set(src);
  } else {
    const discs = 2 + rng.int(4);
    for (let d = 0; d < discs; d++) {
      const centre = pixels[rng.int(pixels.length)];
      const cy = Math.floor(centre / S), cx = centre % S;
      const r = rng.range(S / 32, S / 12), c = colour();
      for (const p of pixels) {
        const y = Math.floor(p / S), x = p % S;
        if ((y - cy) ** 2 + (x - cx) ** 2 <= r * r) for (let ch = 0; ch < 3; ch++) out[ch * hw + p] = c[ch];
      }
    }
  }
  return out;
}

/**
 * Wraps a source whose batches carry regions: in batch k, each image is replaced, with probability
 * `share`, by a corruption of a uniformly chosen kind; labels are unchanged. Deterministic in (seed, k).
 */
export function withHardNegatives(src: BatchSource, share: number, seed: number): BatchSource {
  if (!(share >= 0 && share <= 1)) throw new Error(`hard negatives: the share must be in [0, 1], got ${share}`);
  return {
    size: src.size,
    length: src.length,
    async batch(k: number): Promise<Batch> {
      const b = await src.batch(k);
      return hardenBatch(b, src.size, share, new Rng(hashInts(seed, k, 0x48415244)));
    },
  };
}

/** The batch with a share of its images corrupted (see corruptRegion; ghosts only when it has counterfactuals); needs the batch's regions. */
export function hardenBatch<B extends Batch>(b: B, S: number, share: number, rng: Rng): B {
  if (!b.masks) throw new Error('hard negatives need the attribute regions (synthetic faces, or a folder written by the synthetic writer with masks/<attribute>/)');
  const hw = S * S, images = b.images.slice();
  const kinds = b.counterfactuals ? HARD_NEGATIVE_KINDS : HARD_NEGATIVE_KINDS.filter((k) => k !== 'ghost');
  for (let i = 0; i < b.n; i++) {
    if (!rng.bool(share)) continue;
    const kind = kinds[rng.int(kinds.length)];
    const truth = b.counterfactuals?.subarray(i * 3 * hw, (i + 1) * 3 * hw);
    images.set(corruptRegion(b.images.subarray(i * 3 * hw, (i + 1) * 3 * hw), b.masks.subarray(i * hw, (i + 1) * hw), S, kind, rng, truth), i * 3 * hw);
  }
  return { ...b, images };
}
