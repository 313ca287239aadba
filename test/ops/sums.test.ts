/**
 * @file Grouped sums (sumsRaw, the sumGroups kernel): each group's result is bit for bit sumRaw's (one
 * left-to-right expression) and the float32 sum of the float64-reference inputs; groups of mixed arities
 * and sizes share dispatches up to the device's storage-buffer limit; a group too wide for one dispatch
 * falls back to sumRaw; and autograd totals parameter gradients with it (same numbers, fewer dispatches).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, tensor, readAll, requiresGrad, grad, mul, add, sum, kernelStats, resetKernelStats, sync, type Tensor } from '../../src/index.ts';
import { sumRaw, sumsRaw } from '../../src/engine/ops/elementwise.ts';
import { gpuDevice } from '../../src/engine/device.ts';
import { seeded } from '../helpers/gradcheck.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const rand = (n: number, seed: number) => Array.from(seeded(n, seed, -2, 2));

describe('sumsRaw', () => {
  it('equals sumRaw bit for bit, group by group, with mixed arities and sizes (and passes singletons through)', async () => {
    const shapes = [[3, 5], [1], [257], [2, 3, 4], [1000], [7]];
    const arities = [2, 3, 1, 5, 9, 2];
    const lists: Tensor[][] = shapes.map((s, k) => Array.from({ length: arities[k] }, (_, i) =>
      tensor(rand(s.reduce((a, b) => a * b, 1), 10 * k + i), s)));
    const got = sumsRaw(lists);
    const want = lists.map((l) => (l.length > 1 ? sumRaw(l) : l[0]));
    expect(got[2]).toBe(lists[2][0]);
    const g = await readAll(got), w = await readAll(want), xs = await Promise.all(lists.map((l) => readAll(l)));
    g.forEach((v, k) => {
      expect(Array.from(v)).toEqual(Array.from(w[k]));
      // and the float32 left-to-right sum of the inputs
      const ref = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) {
        let acc = xs[k][0][i];
        for (let j = 1; j < xs[k].length; j++) acc = Math.fround(acc + xs[k][j][i]);
        ref[i] = acc;
      }
      expect(Array.from(v)).toEqual(Array.from(ref));
    });
  });

  it('packs groups into dispatches up to the storage-buffer limit; a group wider than the limit uses sumRaw', async () => {
    const limit = gpuDevice().limits.maxStorageBuffersPerShaderStage;
    const pairs = Array.from({ length: 12 }, (_, k) => [tensor(rand(33, k), [33]), tensor(rand(33, 100 + k), [33])]);
    const wide = Array.from({ length: limit + 2 }, (_, i) => tensor(rand(5, 500 + i), [5]));
    await sync();
    resetKernelStats();
    const got = sumsRaw([...pairs, wide]);
    await sync();
    const stats = await kernelStats();
    const perDispatch = Math.floor(limit / 3);
    expect(stats.get('sumGroups')?.dispatches).toBe(Math.ceil(12 / perDispatch));
    expect(stats.get('map:sum')?.dispatches).toBe(Math.ceil((limit + 1) / 6)); // sumRaw: 7 inputs a dispatch
    const [w] = await readAll([sumRaw(wide)]);
    const [g] = await readAll([got[12]]);
    expect(Array.from(g)).toEqual(Array.from(w));
  });

  it('refuses lists of mixed shapes, naming them', () => {
    expect(() => sumsRaw([[tensor([1, 2], [2]), tensor([1, 2, 3], [3])]])).toThrow(/list 0 mixes shapes \[2\], \[3\]/);
  });

  it('totals the gradients of parameters used several times (autograd), as the chain of adds does', async () => {
    const w = requiresGrad(tensor(rand(6, 7), [2, 3]));
    const v = requiresGrad(tensor(rand(6, 8), [2, 3]));
    const x = tensor(rand(6, 9), [2, 3]);
    // w is used three times, v twice: dL/dw = x + 2·w·x·... (checked against the float64 formula below).
    const loss = add(add(sum(mul(w, x)), sum(mul(mul(w, w), v))), sum(mul(v, x)));
    const [gw, gv] = grad(loss, [w, v]);
    const [W, V, X, GW, GV] = await readAll([w, v, x, gw, gv]);
    for (let i = 0; i < 6; i++) {
      expect(GW[i]).toBeCloseTo(X[i] + 2 * W[i] * V[i], 5);
      expect(GV[i]).toBeCloseTo(W[i] * W[i] + X[i], 5);
    }
  });
});
