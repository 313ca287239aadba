/**
 * @file Scores against the renderer's truth (metrics.ts: counterfactualScores, softIoU, maskReach, finiteMedian) on
 * hand-made images, and the counterfactuals the synthetic eval set carries (same face, attribute flipped).
 */
import { describe, it, expect } from 'vitest';
import { counterfactualScores, softIoU, finiteMedian, maskReach } from '../../src/sagan/eval/metrics.ts';
import { syntheticSet } from '../../src/sagan/eval/data.ts';
import { scoreBatch, summarize } from '../../src/sagan/eval/evaluate.ts';

// One 1-channel image of 4 pixels; region R = pixels {0, 1}. x = 0; the true edit x* = [1, −1, 0, 0].
const x = [0, 0, 0, 0], xs = [1, -1, 0, 0], R = [1, 1, 0, 0];

describe('counterfactual scores', () => {
  it('a perfect edit scores closeness 1 and magnitude 1; no edit scores 0 and 0', () => {
    const perfect = counterfactualScores(x, xs, xs, R, 1, 1, 4);
    expect(perfect.closeness[0]).toBe(1);
    expect(perfect.magnitude[0]).toBe(1);
    expect(perfect.localisation[0]).toBe(1);
    expect(perfect.mseToTruth[0]).toBe(0);
    const none = counterfactualScores(x, x, xs, R, 1, 1, 4);
    expect(none.closeness[0]).toBe(0);
    expect(none.magnitude[0]).toBe(0);
    expect(none.localisation[0]).toBeNaN(); // nothing changed anywhere
    expect(none.mseToTruth[0]).toBe(1); // (1 + 1) / 2 pixels
  });

  it('a wrong-direction edit is worse than none, a half edit is in between, changes outside lower localisation', () => {
    // G = −x*: Σ_R (G − x*)² = 4 + 4 = 8 vs Σ_R (x − x*)² = 2 → closeness 1 − 4 = −3; magnitude 2/2 = 1.
    const wrong = counterfactualScores(x, [-1, 1, 0, 0], xs, R, 1, 1, 4);
    expect(wrong.closeness[0]).toBe(-3);
    expect(wrong.magnitude[0]).toBe(1);
    // G = x*/2 with a change of 1 outside R: err 0.25 + 0.25 → closeness 0.75; magnitude 0.5/2 = 0.25;
    // localisation 0.5 / (0.5 + 1) = 1/3.
    const half = counterfactualScores(x, [0.5, -0.5, 1, 0], xs, R, 1, 1, 4);
    expect(half.closeness[0]).toBe(0.75);
    expect(half.magnitude[0]).toBe(0.25);
    expect(half.localisation[0]).toBeCloseTo(1 / 3, 6);
  });

  it('sums over channels and images separately; empty truth gives NaN', () => {
    // 2 images × 2 channels × 2 pixels, region = pixel 0 in both.
    const xx = new Float32Array(8), g = new Float32Array(8), t = new Float32Array(8);
    t[0] = 1; t[2] = 1; g[0] = 1; g[2] = 1; // image 0: perfect on both channels
    const s = counterfactualScores(xx, g, t, [1, 0, 1, 0], 2, 2, 2);
    expect(s.closeness[0]).toBe(1);
    expect(s.closeness[1]).toBeNaN(); // image 1: x* = x in R, nothing to edit
    expect(s.magnitude[1]).toBeNaN();
    expect(() => counterfactualScores(xx, g, t, [1, 0], 2, 2, 2)).toThrow(/region/);
  });

  it('mask reach: the mask a pixel needs so that an AMN output in (−1, 1) can reach x*', () => {
    // x = 0 → x* = 1 needs b ≥ 1/(1 − 0) = 1; x = 0 → x* = −0.5 needs b ≥ 0.5; pixel 2 changes by 0.01
    // (ignored); pixel 3 is outside R.
    const xx = [0, 0, 0, 0], t = [1, -0.5, 0.01, 1], region = [1, 1, 1, 0];
    const full = maskReach([1, 1, 1, 0], xx, t, region, 1, 1, 4);
    expect(full.inRegion[0]).toBe(1);
    expect(full.short[0]).toBe(0);
    // b = 0.6 everywhere: enough for −0.5 (0.5), not for 1 (1): half the changing pixels are short.
    const soft = maskReach([0.6, 0.6, 0.6, 0.6], xx, t, region, 1, 1, 4);
    expect(soft.inRegion[0]).toBeCloseTo(0.6, 6);
    expect(soft.short[0]).toBe(0.5);
    // From x = 0.5 towards −0.5 the step is 1 of the 1.5 tanh allows: b ≥ 2/3.
    expect(maskReach([0.6], [0.5], [-0.5], [1], 1, 1, 1).short[0]).toBe(1);
    expect(maskReach([0.7], [0.5], [-0.5], [1], 1, 1, 1).short[0]).toBe(0);
    // A region without change: NaN, not a score.
    expect(maskReach([1], [0], [0], [1], 1, 1, 1).inRegion[0]).toBeNaN();
    expect(() => maskReach([1], [0, 0], [0], [1], 1, 1, 1)).toThrow(/maskReach/);
  });

  it('soft IoU and median', () => {
    // Σ min(m, r) = 0.5 + 0 + 0 = 0.5; Σ max = 1 + 0.5 + 0 = 1.5.
    expect(softIoU([0.5, 0.5, 0], [1, 0, 0], 1, 3)[0]).toBeCloseTo(1 / 3, 6);
    expect(softIoU([0, 0], [0, 0], 1, 2)[0]).toBe(1);
    expect(finiteMedian([3, NaN, 1, 2])).toBe(2);
    expect(finiteMedian([4, 1, 2, 3])).toBe(2.5);
    expect(finiteMedian([NaN])).toBeNaN();
  });

  it('the synthetic eval set carries x*: scoring x* itself as the edit gives closeness 1 for every face', async () => {
    const set = syntheticSet({ attribute: 'Eyeglasses', size: 32, dataSeed: 7, offset: 100, count: 6 });
    const b = await set.load(0, 6);
    expect(b.counterfactuals).toBeDefined();
    const cf = b.counterfactuals!;
    const hw = 32 * 32;
    for (let i = 0; i < 6; i++) {
      // x* differs from x, and only inside the (dilated) region.
      let inside = 0, outside = 0;
      for (let p = 0; p < hw; p++) {
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(cf[(i * 3 + c) * hw + p] - b.images[(i * 3 + c) * hw + p]);
          if (b.masks![i * hw + p] >= 0.5) inside += d; else outside += d;
        }
      }
      expect(inside).toBeGreaterThan(0);
      expect(outside).toBe(0);
    }
    const zeros = new Float32Array(6);
    const recs = scoreBatch(b, { edited: cf, back: b.images, identity: b.images, amnIdentity: b.images, logits: zeros, inputLogits: zeros, truthLogits: null, mask: b.masks! }, 32, 0);
    const s = summarize(recs);
    expect(s.closeness).toBe(1);
    expect(s.closenessAbove).toBe(1);
    expect(s.magnitude).toBe(1);
    expect(s.localisation).toBe(1);
    expect(s.truthPsnr).toBe(Infinity);
    expect(s.maskSoftIoU).toBe(1);
    expect(s.amnCopy).toBe(0); // the AMN copied x exactly
    const unchanged = summarize(scoreBatch(b, { edited: b.images, back: b.images, identity: b.images, amnIdentity: cf, logits: zeros, inputLogits: zeros, truthLogits: null, mask: null }, 32, 0));
    expect(unchanged.closeness).toBe(0);
    expect(unchanged.magnitude).toBe(0);
    expect(unchanged.closenessAbove).toBe(0);
    expect(unchanged.amnCopy).toBeGreaterThan(0); // an AMN that outputs x* did not copy x inside the region
  });
});
