/**
 * @file The evaluation metrics (src/sagan/eval/metrics.ts) and the per-image scoring / summaries built on
 * them (evaluate.ts: scoreBatch, summarize, worstAndBest) on hand-made inputs with answers worked out by hand.
 */
import { describe, it, expect } from 'vitest';
import {
  binaryAccuracy, targetMargins, maskIoU, meanPerImage, regionChange, psnr, psnrOfMean, l1PerImage, finiteMean, diffMap,
} from '../../src/sagan/eval/metrics.ts';
import { classifierTest } from '../../src/sagan/eval/classifier.ts';
import { scoreBatch, summarize, worstAndBest, type ImageRecord } from '../../src/sagan/eval/evaluate.ts';
import { markdownTable, toJson } from '../../src/sagan/eval/report.ts';

describe('metrics', () => {
  it('binary accuracy and margins on fixed logits', () => {
    // decisions: 1, 0, 1, 0 (logit 0 counts as 0); labels 1, 0, 0, 0 → 3 of 4 right.
    expect(binaryAccuracy([2, -1, 0.5, 0], [1, 0, 0, 0])).toBe(0.75);
    expect(binaryAccuracy([], [])).toBeNaN();
    expect(() => binaryAccuracy([1], [1, 0])).toThrow(/1 logits for 2 labels/);
    expect([...targetMargins([2, -1, 0.5], [1, 1, 0])]).toEqual([2, -1, -0.5]);
    const t = classifierTest(Float32Array.from([3, -2, 1, 1, -1]), Float32Array.from([1, 1, 0, 1, 0]));
    expect(t).toEqual({ n: 5, positives: 3, accuracy: 0.6, accuracyPositive: 2 / 3, accuracyNegative: 0.5 });
  });

  it('IoU of known masks', () => {
    // 2 images of 4 pixels. Image 0: A = {0,1,2}, B = {1,2,3} → |∩| 2, |∪| 4. Image 1: both empty → 1.
    const a = [0.9, 0.5, 1, 0.2, 0, 0.1, 0.4, 0.49];
    const b = [0, 1, 0.7, 0.6, 0, 0, 0, 0];
    expect([...maskIoU(a, b, 2, 4)]).toEqual([0.5, 1]);
    // Disjoint: IoU 0. Threshold 0.65 (both masks): A = {0, 2}, B = {1, 2} → |∩| 1, |∪| 3.
    expect(maskIoU([1, 0], [0, 1], 1, 2)[0]).toBe(0);
    expect(maskIoU(a, b, 2, 4, 0.65)[0]).toBeCloseTo(1 / 3, 6);
    expect([...meanPerImage([0, 1, 0.5, 0.5, 0.25, 0], 2, 3)]).toEqual([0.5, 0.25]);
  });

  it('|Δ| and PSNR inside and outside a region', () => {
    // One 2-channel image of 4 pixels; region = pixels {0, 1}.
    // Channel planes: a = [0,0,0,0 | 0,0,0,0], b = [0.5,−0.5,0,0 | 0.5,0.5,0,0.2].
    // inside: |Δ| = (0.5+0.5+0.5+0.5)/(2 px · 2 ch) = 0.5, MSE = 4·0.25/4 = 0.25 → PSNR 10·log10(4/0.25) = 12.04 dB.
    // outside: |Δ| = 0.2/4 = 0.05, MSE = 0.04/4 = 0.01 → PSNR 10·log10(400) = 26.02 dB.
    const a = new Float32Array(8);
    const b = Float32Array.from([0.5, -0.5, 0, 0, 0.5, 0.5, 0, 0.2]);
    const r = regionChange(a, b, [1, 0.5, 0.49, 0], 1, 2, 4);
    expect(r.inside.pixels[0]).toBe(2);
    expect(r.outside.pixels[0]).toBe(2);
    expect(r.inside.mae[0]).toBeCloseTo(0.5, 6);
    expect(r.inside.mse[0]).toBeCloseTo(0.25, 6);
    expect(r.outside.mae[0]).toBeCloseTo(0.05, 6);
    expect(r.outside.mse[0]).toBeCloseTo(0.01, 6);
    expect(r.all.mae[0]).toBeCloseTo(2.2 / 8, 6);
    expect(psnr(r.inside.mse[0])).toBeCloseTo(10 * Math.log10(16), 4);
    expect(psnr(r.outside.mse[0])).toBeCloseTo(10 * Math.log10(400), 3);
    expect(psnr(0)).toBe(Infinity);
    // No region: inside/outside are empty (NaN), the whole image is still measured.
    const n = regionChange(a, b, null, 1, 2, 4);
    expect(n.inside.mae[0]).toBeNaN();
    expect(n.outside.pixels[0]).toBe(0);
    expect(n.all.mse[0]).toBeCloseTo((0.25 * 4 + 0.04) / 8, 6);
    // An all-inside region leaves "outside" empty.
    expect(regionChange(a, b, [1, 1, 1, 1], 1, 2, 4).outside.mae[0]).toBeNaN();
    // diff map: per pixel mean over channels of |Δ| / 2.
    expect([...diffMap(a, b, 1, 2, 4)].map((v) => +v.toFixed(6))).toEqual([0.25, 0.25, 0, 0.05]);
  });

  it('L1 per image, finite means and the PSNR of the mean MSE', () => {
    expect([...l1PerImage([0, 0, 1, 1], [1, 0, 1, -1], 2, 2)]).toEqual([0.5, 1]);
    expect(finiteMean([1, NaN, 3, Infinity])).toBe(2);
    expect(finiteMean([NaN])).toBeNaN();
    expect(psnrOfMean([0.01, 0.03])).toBeCloseTo(10 * Math.log10(4 / 0.02), 6);
  });
});

describe('per-image scores and summaries', () => {
  // Two 2×2 images (hw 4), image 0 labelled 0 (edit adds), image 1 labelled 1 (edit removes).
  const S = 2, hw = 4;
  const images = new Float32Array(2 * 3 * hw); // all zeros
  const edited = new Float32Array(2 * 3 * hw);
  edited.fill(0.2, 0, 3 * hw); // image 0 changes by 0.2 everywhere
  for (let c = 0; c < 3; c++) edited[3 * hw + c * hw] = 1; // image 1 changes only pixel 0, by 1
  const region = Float32Array.from([1, 1, 0, 0, 1, 0, 0, 0]);
  const batch = { images, labels: Float32Array.from([0, 1]), masks: region, names: ['a', 'b'], n: 2 };
  const outputs = {
    edited,
    mask: Float32Array.from([1, 1, 0, 0, 0.6, 0.6, 0, 0]),
    back: new Float32Array(2 * 3 * hw).fill(0.1),
    identity: new Float32Array(2 * 3 * hw),
    amnIdentity: edited,
    logits: Float32Array.from([1.5, 0.5]), // image 0 → target 1: success; image 1 → target 0: failure
    inputLogits: Float32Array.from([-1, 2]), // judge right on both inputs
    truthLogits: Float32Array.from([0.7, 0.3]) as Float32Array | null, // on x*: right for image 0 (target 1), wrong for image 1 (target 0)
  };

  it('scores each image in the direction that flips its label', () => {
    const [r0, r1] = scoreBatch(batch, outputs, S, 10);
    expect(r0).toMatchObject({ index: 10, name: 'a', direction: 'add', target: 1, success: true, margin: 1.5, maskIoU: 1, maskMean: 0.5 });
    expect(r1).toMatchObject({ index: 11, name: 'b', direction: 'remove', target: 0, success: false, margin: -0.5 });
    expect(r1.maskMean).toBeCloseTo(0.3, 6);
    expect(r1.maskIoU).toBeCloseTo(0.5, 6); // mask {0, 1} vs region {0}
    expect(r0.insideMae).toBeCloseTo(0.2, 6);
    expect(r0.outsideMae).toBeCloseTo(0.2, 6);
    expect(r1.insideMae).toBeCloseTo(1, 6);
    expect(r1.outsideMae).toBe(0);
    expect(r0.backL1).toBeCloseTo(0.1, 6);
    expect(r0.identityL1).toBe(0);
    expect(r0.amnCopy).toBeCloseTo(0.2, 6); // |AMN(x, c) − x| inside the region, as insideMae of the same image
    expect(r1.amnCopy).toBeCloseTo(1, 6);

    const s = summarize([r0, r1]);
    expect(s.n).toBe(2);
    expect(s.success).toBe(0.5);
    expect(s.judgeOnInputs).toBe(1);
    expect(s.judgeOnTruth).toBe(0.5);
    expect([r0.truthLogit, r1.truthLogit]).toEqual([Math.fround(0.7), Math.fround(0.3)]);
    expect(s.maskIoU).toBeCloseTo(0.75, 6);
    expect(s.outsideMae).toBeCloseTo(0.1, 6);
    // outside MSEs 0.04 and 0 → mean 0.02 → PSNR 10·log10(4/0.02).
    expect(s.outsidePsnr).toBeCloseTo(10 * Math.log10(200), 4);
    expect(worstAndBest([r0, r1], 'outside', 1)).toEqual({ worst: [r0], best: [r1] });
    expect(worstAndBest([r0, r1], 'margin', 5)).toEqual({ worst: [r1], best: [r0] });
  });

  it('no attention and no regions: mask metrics are null and reported as n/a', () => {
    const recs: ImageRecord[] = scoreBatch({ ...batch, masks: undefined }, { ...outputs, mask: null, truthLogits: null }, S, 0);
    expect(recs.every((r) => r.maskIoU === null && r.maskMean === null && r.outsideMae === null && r.insideMae === null && r.amnCopy === null)).toBe(true);
    const s = summarize(recs);
    expect([s.maskIoU, s.maskMean, s.outsidePsnr, s.judgeOnTruth]).toEqual([null, null, null, null]);
    expect(s.allMae).toBeGreaterThan(0);
    const md = markdownTable([{ model: 'Eyeglasses (no attention)', direction: 'all', summary: s }]);
    expect(md.split('\n')[2]).toMatch(/^\| Eyeglasses \(no attention\) \| all \| 2 \| 0\.500 \| 1\.000 \| n\/a \| n\/a \| n\/a/);
    expect(JSON.parse(toJson({ a: NaN, b: Infinity, c: 1 }))).toEqual({ a: null, b: null, c: 1 });
  });
});
