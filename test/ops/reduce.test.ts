/**
 * @file Reductions (sum, mean, max) against the float64 reference over every axis set of a 3-D
 * tensor, keepDim on and off, 0-d and size-1 inputs, both kernel paths (a workgroup per long row, a
 * thread per short row), 100k-element sums; first and second derivatives; max's tie rule (the
 * gradient split evenly among tied maxima, as torch.amax) with exact expectations.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, tensor, requiresGrad, grad, readAll, tidy, sum, mean, max, mul, type Tensor } from '../../src/index.ts';
import { checkOp, seeded, expectClose, type F64 } from '../helpers/gradcheck.ts';
import * as R from '../helpers/ref.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

/** n distinct values 0.05 apart in a seeded order: finite differences never reorder a max. */
function distinct(n: number, seed: number): number[] {
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05);
  const r = seeded(n, seed, 0, 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r[i] * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

type Red = (x: Tensor, axes?: number | number[], keepDim?: boolean) => Tensor;
type RefRed = (x: F64, axes?: number | number[], keepDim?: boolean) => F64;
const OPS: [string, Red, RefRed][] = [['sum', sum, R.sum], ['mean', mean, R.mean], ['max', max, R.max]];
const AXES: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1], [0, 1, 2]];

describe('reductions over any axes: forward, gradcheck, gradgradcheck', () => {
  for (const [name, op, ref] of OPS) {
    for (const axes of AXES) {
      for (const keepDim of [false, true]) {
        it(`${name} [3,4,5] axes ${JSON.stringify(axes)} keepDim ${keepDim}`, async () => {
          await checkOp(name, ([x]) => op(x, axes, keepDim), ([x]) => ref(x, axes, keepDim), [{ shape: [3, 4, 5], values: distinct(60, 3) }]);
        });
      }
    }
    it(`${name}: 0-d input, size-1 dims, a 1-element axis`, async () => {
      await checkOp(`${name} 0-d`, ([x]) => op(x), ([x]) => ref(x), [{ shape: [] }]);
      await checkOp(`${name} [1,4,1] axis 0`, ([x]) => op(x, 0), ([x]) => ref(x, 0), [{ shape: [1, 4, 1], values: distinct(4, 1) }]);
      await checkOp(`${name} [1,4,1] axes [0,2] keepDim`, ([x]) => op(x, [0, 2], true), ([x]) => ref(x, [0, 2], true), [{ shape: [1, 4, 1], values: distinct(4, 2) }]);
      await checkOp(`${name} [2,1,3] axis 1`, ([x]) => op(x, 1), ([x]) => ref(x, 1), [{ shape: [2, 1, 3], values: distinct(6, 3) }]);
      // A per-channel reduction of NCHW (a bias gradient): read in place as [N, C, H·W], long rows.
      await checkOp(`${name} [2,3,8,8] axes [0,2,3]`, ([x]) => op(x, [0, 2, 3]), ([x]) => ref(x, [0, 2, 3]), [{ shape: [2, 3, 8, 8], values: distinct(384, 5) }], { second: false });
      await checkOp(`${name} rank 6 axes [1,3,4]`, ([x]) => op(x, [1, 3, 4]), ([x]) => ref(x, [1, 3, 4]), [{ shape: [2, 3, 1, 2, 2, 2], values: distinct(48, 4) }]);
    });
    it(`${name}: the thread-per-row path (300 short rows) and the workgroup path (rows of 300)`, async () => {
      await checkOp(`${name} [300,3] axis 1`, ([x]) => op(x, 1), ([x]) => ref(x, 1), [{ shape: [300, 3], values: distinct(900, 4) }], { second: false });
      await checkOp(`${name} [3,300] axis 0`, ([x]) => op(x, 0), ([x]) => ref(x, 0), [{ shape: [3, 300], values: distinct(900, 5) }], { second: false });
      await checkOp(`${name} [2,300] axis 1`, ([x]) => op(x, 1, true), ([x]) => ref(x, 1, true), [{ shape: [2, 300], values: distinct(600, 6) }], { second: false });
      await checkOp(`${name} [260,2] axis -1`, ([x]) => op(x, -1), ([x]) => ref(x, -1), [{ shape: [260, 2] }], { wrt: [] });
    });
  }
  it('mean of a composite keeps second derivatives: Σ mean(x², axis 1)', async () => {
    await checkOp('mean(x²)', ([x]) => mean(mul(x, x), 1), ([x]) => R.mean(R.map(x, (v) => v * v), 1), [{ shape: [3, 4] }]);
  });
});

describe('max ties split the gradient evenly (torch.amax)', () => {
  it('rows with two and three tied maxima', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([[1, 3, 3, 0], [2, 2, 2, -1], [5, 4, 3, 2]]));
      const [g] = grad(max(x, 1), x, { gradOutputs: tensor([1, 3, 2]) });
      const [all] = grad(max(x), x);
      const [kd] = grad(sum(mul(max(x, 0, true), tensor([[1, 2, 4, 8]]))), x);
      const [gv, av, kv] = await readAll([g, all, kd]);
      expect(Array.from(gv)).toEqual([0, 0.5, 0.5, 0, 1, 1, 1, 0, 2, 0, 0, 0]);
      expect(Array.from(av)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
      // Columns: max 5 (row 2), 4 (row 2), 3 tied by rows 0 and 2, 2 (row 2).
      expect(Array.from(kv)).toEqual([0, 0, 2, 0, 0, 0, 0, 0, 1, 2, 2, 8]);
    });
  });
  it('an all-equal tensor: every element gets 1/n, and the tie rule is linear in the gradient', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([7, 7, 7, 7, 7], [5]));
      const w = requiresGrad(tensor(4));
      const [g] = grad(max(x), x, { gradOutputs: w, createGraph: true });
      // d/dw Σ g·v = Σ v / 5
      const [gw] = grad(sum(mul(g, tensor([1, 2, 3, 4, 5]))), w);
      const [gv, gwv] = await readAll([g, gw]);
      expect(Array.from(gv)).toEqual([0.8, 0.8, 0.8, 0.8, 0.8].map(Math.fround));
      expect(gwv[0]).toBeCloseTo(3, 6);
    });
  });
});

describe('large reductions', () => {
  it('sum, mean and max over 100k elements', async () => {
    const n = 100_000;
    const vals = seeded(n, 11, 0, 1);
    const x = tensor(Float32Array.from(vals), [n]);
    const [s, m, mx] = await readAll([sum(x), mean(x), max(x)]);
    const xf = Float64Array.from(new Float32Array(vals));
    const want = xf.reduce((a, b) => a + b, 0);
    // Pairwise-ish f32 summation of 100k values in [0, 1): far below one element's size.
    expect(Math.abs(s[0] - want)).toBeLessThan(1e-6 * want);
    expect(Math.abs(m[0] - want / n)).toBeLessThan(1e-6 * want / n);
    expect(mx[0]).toBe(Math.max(...xf));
  });
  it('sum over the leading axis of [1000, 100] (a permute, then rows of 1000)', async () => {
    await checkOp('sum axis 0 large', ([x]) => sum(x, 0), ([x]) => R.sum(x, 0), [{ shape: [1000, 100] }], { wrt: [], atol: 1e-4, rtol: 1e-5 });
  });
  it('66 000 rows of 64: the workgroup grid folds into two dimensions', async () => {
    const rows = 66_000, len = 64;
    const v = Float32Array.from(seeded(rows * len, 12));
    const [got] = await readAll([sum(tensor(v, [rows, len]), 1)]);
    // Row sums directly (R.sum's per-element index arithmetic is slow at 4M elements).
    const want = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let k = 0; k < len; k++) want[r] += v[r * len + k];
    expectClose('sum rows', got, want, 1e-5, 1e-6);
  });
});
