/**
 * @file Differentiable augmentation (src/sagan/augment.ts): forward, first and second derivatives of each
 * transform against a float64 CPU reference drawing the same random parameters; the policy parser.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, mul } from '../../src/index.ts';
import { diffAugment, parseAugmentPolicy, type Augment } from '../../src/sagan/augment.ts';
import { Rng } from '../../src/sagan/data/rng.ts';
import { checkOp, type F64 } from '../helpers/gradcheck.ts';

beforeAll(async () => {
  await init();
});
afterAll(() => destroyDevice());

/** The transform in float64 on the CPU, drawing parameters in the same order as diffAugment. */
function reference(x: F64, policy: Augment[], rng: Rng): F64 {
  const [n, c, S] = x.shape;
  const hw = S * S;
  let y = Float64Array.from(x.data);
  if (policy.includes('color')) {
    const b = Array.from({ length: n }, () => rng.range(-0.5, 0.5));
    for (let i = 0; i < n; i++) for (let j = 0; j < c * hw; j++) y[i * c * hw + j] += b[i];
    const s = Array.from({ length: n }, () => rng.range(0, 2));
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < hw; p++) {
        let m = 0;
        for (let ch = 0; ch < c; ch++) m += y[(i * c + ch) * hw + p] / c;
        for (let ch = 0; ch < c; ch++) y[(i * c + ch) * hw + p] = m + s[i] * (y[(i * c + ch) * hw + p] - m);
      }
    }
    const k = Array.from({ length: n }, () => rng.range(0.5, 1.5));
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let j = 0; j < c * hw; j++) m += y[i * c * hw + j] / (c * hw);
      for (let j = 0; j < c * hw; j++) y[i * c * hw + j] = m + k[i] * (y[i * c * hw + j] - m);
    }
  }
  if (policy.includes('translation')) {
    const r = Math.max(1, Math.floor(S / 8));
    const dy = Array.from({ length: n }, () => rng.int(2 * r + 1) - r);
    const dx = Array.from({ length: n }, () => rng.int(2 * r + 1) - r);
    const z = new Float64Array(y.length);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        for (let yy = 0; yy < S; yy++) {
          for (let xx = 0; xx < S; xx++) {
            const sy = yy - dy[i], sx = xx - dx[i];
            if (sy >= 0 && sy < S && sx >= 0 && sx < S) z[(i * c + ch) * hw + yy * S + xx] = y[(i * c + ch) * hw + sy * S + sx];
          }
        }
      }
    }
    y = z;
  }
  if (policy.includes('cutout')) {
    const half = Math.floor(S / 4);
    for (let i = 0; i < n; i++) {
      const cy = rng.int(S), cx = rng.int(S);
      for (let yy = Math.max(0, cy - half); yy < Math.min(S, cy + half); yy++) {
        for (let xx = Math.max(0, cx - half); xx < Math.min(S, cx + half); xx++) for (let ch = 0; ch < c; ch++) y[(i * c + ch) * hw + yy * S + xx] = 0;
      }
    }
  }
  return { data: y, shape: [...x.shape] };
}

describe('DiffAugment', () => {
  const cases: Augment[][] = [['color'], ['translation'], ['cutout'], ['color', 'translation', 'cutout']];
  for (const policy of cases) {
    it(`${policy.join('+')}: forward, gradient and second derivative of aug(x)² match the float64 reference`, async () => {
      const seed = 11;
      await checkOp(`augment ${policy}`, ([x]) => {
        const y = diffAugment(x, policy, new Rng(seed));
        return mul(y, y);
      }, ([x]) => {
        const y = reference(x, policy, new Rng(seed));
        return { data: y.data.map((v) => v * v), shape: y.shape };
      }, [{ shape: [3, 3, 8, 8] }]);
    });
  }

  it('translation really moves the image (not the identity), and parameters differ per image', () => {
    const x: F64 = { data: Float64Array.from({ length: 4 * 64 }, (_, i) => i % 64), shape: [4, 1, 8, 8] };
    const y = reference(x, ['translation'], new Rng(3));
    let moved = 0;
    for (let i = 0; i < 4; i++) if (y.data.subarray(i * 64, (i + 1) * 64).some((v, p) => v !== x.data[i * 64 + p])) moved++;
    expect(moved).toBeGreaterThanOrEqual(3);
  });

  it('parses policies and names an unknown transform', () => {
    expect(parseAugmentPolicy('none')).toEqual([]);
    expect(parseAugmentPolicy('')).toEqual([]);
    expect(parseAugmentPolicy('color, cutout,color')).toEqual(['color', 'cutout']);
    expect(() => parseAugmentPolicy('color,flip')).toThrow(/unknown transform 'flip'.*color, translation, cutout/);
  });
});
