/**
 * @file Creating and reading tensors: tensor() from flat, typed and nested arrays and scalars;
 * zeros/ones/full/arange; seeded rand/randn (same seed → same numbers, different seeds or successive
 * draws differ, saved generator state resumes exactly, plausible moments and range); item(), data(),
 * array(), readAll().
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, zeros, ones, full, zerosLike, onesLike, arange, rand, randn, manualSeed,
  getRngState, setRngState, readAll,
} from '../../src/index.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

describe('tensor()', () => {
  it('from a flat array with a shape, a Float32Array, and without a shape (1-D)', async () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor(new Float32Array([0.5, -1.25]));
    const c = tensor([7, 8, 9]);
    expect([...a.shape]).toEqual([2, 3]);
    expect([...b.shape]).toEqual([2]);
    expect([...c.shape]).toEqual([3]);
    const [av, bv, cv] = await readAll([a, b, c]);
    expect(Array.from(av)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(bv)).toEqual([0.5, -1.25]);
    expect(Array.from(cv)).toEqual([7, 8, 9]);
  });
  it('from nested arrays (shape inferred) and from a number (0-d)', async () => {
    const n = tensor([[[1, 2], [3, 4], [5, 6]]]);
    expect([...n.shape]).toEqual([1, 3, 2]);
    expect(await n.array()).toEqual([[[1, 2], [3, 4], [5, 6]]]);
    const s = tensor(3.5);
    expect([...s.shape]).toEqual([]);
    expect(s.size).toBe(1);
    expect(await s.item()).toBe(3.5);
    expect(await s.array()).toBe(3.5);
  });
  it('a nested array with an explicit shape of the same size is reshaped', async () => {
    const t = tensor([[1, 2], [3, 4]], [4]);
    expect([...t.shape]).toEqual([4]);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4]);
  });
  it('values are rounded to f32', async () => {
    expect(await tensor([0.1]).item()).toBe(Math.fround(0.1));
  });
  it('empty tensors', async () => {
    const e = tensor([]);
    expect([...e.shape]).toEqual([0]);
    expect(Array.from(await e.data())).toEqual([]);
    expect([...zeros([2, 0, 3]).shape]).toEqual([2, 0, 3]);
  });
  it('ragged arrays, a wrong value count and bad shapes are errors', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/tensor: 3 values do not fill shape \[2, 2\]/);
    expect(() => tensor([1, 2], [2.5])).toThrow(/tensor/);
    expect(() => zeros([-1, 2])).toThrow(/full: invalid shape \[-1, 2\]/);
  });
});

describe('constants and ranges', () => {
  it('zeros, ones, full, zerosLike, onesLike', async () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const ts = [zeros([2, 3]), ones([3]), full([2, 2], -2.5), zerosLike(x), onesLike(x), full([], 7)];
    const vs = await readAll(ts);
    expect(ts.map((t) => [...t.shape])).toEqual([[2, 3], [3], [2, 2], [3, 2], [3, 2], []]);
    expect(vs.map((v) => Array.from(v))).toEqual([[0, 0, 0, 0, 0, 0], [1, 1, 1], [-2.5, -2.5, -2.5, -2.5], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [7]]);
  });
  it('arange like torch.arange: stop only, start/stop, fractional and negative steps, empty', async () => {
    const ts = [arange(5), arange(2, 7), arange(0, 1, 0.25), arange(5, 0, -1.5), arange(3, 3), arange(-2, 1)];
    const vs = await readAll(ts);
    expect(vs.map((v) => Array.from(v))).toEqual([[0, 1, 2, 3, 4], [2, 3, 4, 5, 6], [0, 0.25, 0.5, 0.75], [5, 3.5, 2, 0.5], [], [-2, -1, 0]]);
    expect([...ts[4].shape]).toEqual([0]);
    expect(() => arange(0, 5, 0)).toThrow(/arange: step must not be 0/);
  });
  it('a long arange is exact for integers', async () => {
    const v = await arange(100_000).data();
    expect(v.every((x, i) => x === i)).toBe(true);
  });
});

describe('random numbers', () => {
  const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

  it('the same seed gives the same numbers; different seeds differ', async () => {
    const [a, b, c, d, e] = await readAll([rand([1000], { seed: 1 }), rand([1000], { seed: 1 }), rand([1000], { seed: 2 }), randn([1000], { seed: 1 }), randn([1000], { seed: 1 })]);
    expect(same(a, b)).toBe(true);
    expect(same(d, e)).toBe(true);
    const differ = a.filter((v, i) => v !== c[i]).length;
    expect(differ).toBeGreaterThan(990);
  });
  it('the global generator: manualSeed reproduces, successive draws differ, saved state resumes', async () => {
    manualSeed(42);
    const a1 = rand([500]), a2 = rand([500]);
    manualSeed(42);
    const b1 = rand([500]);
    const state = getRngState();
    const b2 = rand([500]);
    const after = rand([300]);
    setRngState(state);
    const c2 = rand([500]);
    const [va1, va2, vb1, vb2, vc2, vafter] = await readAll([a1, a2, b1, b2, c2, after]);
    expect(same(va1, vb1)).toBe(true);
    expect(same(va2, vb2)).toBe(true);
    expect(same(vb2, vc2)).toBe(true);
    expect(va1.filter((v, i) => v !== va2[i]).length).toBeGreaterThan(490);
    expect(vafter.filter((v, i) => v !== vb2[i]).length).toBeGreaterThan(290);
    manualSeed(43);
    expect(same(await rand([500]).data(), va1)).toBe(false);
  });
  it('the seed option leaves the global stream alone', async () => {
    manualSeed(7);
    const a = rand([100]);
    manualSeed(7);
    rand([100], { seed: 99 });
    const b = rand([100]);
    const [va, vb] = await readAll([a, b]);
    expect(same(va, vb)).toBe(true);
  });
  it('rand: in [0, 1), mean 1/2, variance 1/12, flat over 10 bins (100k draws)', async () => {
    const n = 100_000;
    const v = await rand([n], { seed: 123 }).data();
    let mn = Infinity, mx = -Infinity, s = 0, s2 = 0;
    const bins = new Array<number>(10).fill(0);
    for (const x of v) {
      mn = Math.min(mn, x);
      mx = Math.max(mx, x);
      s += x;
      s2 += x * x;
      bins[Math.floor(x * 10)]++;
    }
    expect(mn).toBeGreaterThanOrEqual(0);
    expect(mx).toBeLessThan(1);
    const mean = s / n, variance = s2 / n - mean * mean;
    // Standard errors: mean 0.0009, variance 0.0002, bin fraction 0.00095 — bounds at ~6σ.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.006);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.0015);
    for (const b of bins) expect(Math.abs(b / n - 0.1)).toBeLessThan(0.006);
  });
  it('randn: mean 0, std 1, 68.3 % within one σ, 95.4 % within two, symmetric (100k draws)', async () => {
    const n = 100_000;
    const v = await randn([n], { seed: 321 }).data();
    let s = 0, s2 = 0, in1 = 0, in2 = 0, pos = 0, bad = 0;
    for (const x of v) {
      if (!Number.isFinite(x)) bad++;
      s += x;
      s2 += x * x;
      if (Math.abs(x) < 1) in1++;
      if (Math.abs(x) < 2) in2++;
      if (x > 0) pos++;
    }
    const mean = s / n, std = Math.sqrt(s2 / n - mean * mean);
    expect(bad).toBe(0);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(std - 1)).toBeLessThan(0.015);
    expect(Math.abs(in1 / n - 0.6827)).toBeLessThan(0.009);
    expect(Math.abs(in2 / n - 0.9545)).toBeLessThan(0.004);
    expect(Math.abs(pos / n - 0.5)).toBeLessThan(0.01);
  });
  it('shapes: any rank, 0-d, empty', async () => {
    expect([...rand([2, 3, 4]).shape]).toEqual([2, 3, 4]);
    expect((await randn([]).data()).length).toBe(1);
    expect((await rand([0, 3]).data()).length).toBe(0);
  });
});

describe('reading values back', () => {
  it('item() of one-element tensors of any rank; an error otherwise', async () => {
    expect(await tensor([[2.5]]).item()).toBe(2.5);
    await expect(tensor([1, 2]).item()).rejects.toThrow(/item: tensor has 2 elements \[2\]/);
  });
  it('data() and array() keep row-major order', async () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await t.array()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(await tensor([], [2, 0]).array()).toEqual([[], []]);
  });
  it('readAll reads many tensors with one map', async () => {
    const vs = await readAll([tensor([1]), tensor([2, 3]), zeros([0])]);
    expect(vs.map((v) => Array.from(v))).toEqual([[1], [2, 3], []]);
  });
});
