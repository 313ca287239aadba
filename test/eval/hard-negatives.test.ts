/**
 * @file The judge's hard negatives (eval/hard-negatives.ts): each corruption changes the image, only inside
 * the region, keeps values in range and labels as they were, and is deterministic in its seed.
 */
import { describe, it, expect } from 'vitest';
import { corruptRegion, hardenBatch, withHardNegatives, HARD_NEGATIVE_KINDS, GHOST_MAX } from '../../src/sagan/eval/hard-negatives.ts';
import { syntheticSource } from '../../src/sagan/batches.ts';
import { Rng } from '../../src/sagan/data/rng.ts';

const S = 16, hw = S * S;
/** A smooth test image (so blur changes it) and a 6×6 square region. */
function fixture() {
  const img = new Float32Array(3 * hw);
  for (let c = 0; c < 3; c++) for (let p = 0; p < hw; p++) img[c * hw + p] = Math.sin(p * 0.7 + c) * 0.8;
  const region = new Float32Array(hw);
  for (let y = 5; y < 11; y++) for (let x = 4; x < 10; x++) region[y * S + x] = 1;
  return { img, region };
}

describe('hard negatives', () => {
  for (const kind of HARD_NEGATIVE_KINDS) {
    it(`${kind}: changes pixels inside the region only, stays in [−1, 1], same seed same result`, () => {
      const { img, region } = fixture();
      const truth = img.map((v) => -v); // a counterfactual (used by 'ghost' only)
      const a = corruptRegion(img, region, S, kind, new Rng(3), truth);
      const b = corruptRegion(img, region, S, kind, new Rng(3), truth);
      expect(a).toEqual(b);
      let changedInside = 0;
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < hw; p++) {
          const j = c * hw + p;
          if (region[p] < 0.5) expect(a[j]).toBe(img[j]);
          else if (a[j] !== img[j]) changedInside++;
          expect(Math.abs(a[j])).toBeLessThanOrEqual(1);
        }
      }
      expect(changedInside).toBeGreaterThan(10);
      expect(img[5 * S + 4]).toBe(Math.fround(Math.sin((5 * S + 4) * 0.7) * 0.8)); // the input is not modified
    });
  }

  it('a ghost moves each region pixel at most GHOST_MAX of the way to the counterfactual, all by the same share', () => {
    const { img, region } = fixture();
    const truth = img.map((v) => -v);
    const g = corruptRegion(img, region, S, 'ghost', new Rng(5), truth);
    const p = 5 * S + 4, alpha = (g[p] - img[p]) / (truth[p] - img[p]);
    expect(alpha).toBeGreaterThanOrEqual(0.1);
    expect(alpha).toBeLessThanOrEqual(GHOST_MAX);
    const q = 8 * S + 7;
    expect((g[q] - img[q]) / (truth[q] - img[q])).toBeCloseTo(alpha, 4);
    expect(() => corruptRegion(img, region, S, 'ghost', new Rng(5))).toThrow(/counterfactual/);
  });

  it('an empty region leaves the image as it is', () => {
    const { img } = fixture();
    expect(corruptRegion(img, new Float32Array(hw), S, 'tint', new Rng(1))).toEqual(img);
  });

  it('a batch keeps its labels; share 0 changes nothing, share 1 every image; regions are required', async () => {
    const src = syntheticSource({ attribute: 'Eyeglasses', size: 32, length: 8, batchSize: 4, dataSeed: 5, orderSeed: 1, withMasks: true, withCounterfactuals: true });
    const b = await src.batch(0);
    const none = hardenBatch(b, 32, 0, new Rng(1));
    expect(none.images).toEqual(b.images);
    const all = hardenBatch(b, 32, 1, new Rng(1));
    expect(all.labels).toEqual(b.labels);
    const n = 3 * 32 * 32;
    for (let i = 0; i < 4; i++) expect(all.images.subarray(i * n, (i + 1) * n)).not.toEqual(b.images.subarray(i * n, (i + 1) * n));
    const wrapped = withHardNegatives(src, 1, 9);
    expect((await wrapped.batch(0)).images).toEqual((await withHardNegatives(src, 1, 9).batch(0)).images);
    const plain = syntheticSource({ attribute: 'Eyeglasses', size: 32, length: 8, batchSize: 4, dataSeed: 5, orderSeed: 1 });
    await expect(withHardNegatives(plain, 0.5, 1).batch(0)).rejects.toThrow(/regions/);
    expect(() => withHardNegatives(src, 2, 1)).toThrow(/\[0, 1\]/);
  });
});
