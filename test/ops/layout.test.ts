/**
 * @file Layout ops (reshape, permute, expand, slice, pad, concat) and their composites (transpose,
 * flatten, unsqueeze, squeeze) against the float64 reference: odd sizes, size-1 and new leading
 * dimensions, negative indices and axes; first and second derivatives through each.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, readAll, reshape, permute, expand, slice, pad, concat, transpose, flatten,
  unsqueeze, squeeze, mul,
} from '../../src/index.ts';
import { checkOp } from '../helpers/gradcheck.ts';
import * as R from '../helpers/ref.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const j = (v: unknown) => JSON.stringify(v);

describe('reshape', () => {
  const cases: [number[], number[]][] = [[[2, 3, 4], [6, 4]], [[2, 3, 4], [4, -1]], [[5], [1, 5, 1]], [[1, 1], []], [[3, 1, 2], [-1]]];
  for (const [s, t] of cases) {
    it(`${j(s)} → ${j(t)}`, async () => {
      await checkOp('reshape', ([x]) => reshape(x, t), ([x]) => R.reshape(x, t), [{ shape: s }]);
    });
  }
  it('a reshape of a product (second derivative through a view of a tape tensor)', async () => {
    await checkOp('reshape(x·y)', ([x, y]) => reshape(mul(x, y), [3, 2]), ([x, y]) => R.reshape(R.elementwise([x, y], (a, b) => a * b), [3, 2]),
      [{ shape: [2, 3] }, { shape: [3] }]);
  });
});

describe('permute and transpose', () => {
  const cases: [number[], number[]][] = [[[2, 3], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[2, 3, 4], [0, 2, 1]], [[1, 3, 1, 2], [3, 2, 1, 0]], [[2, 3, 4], [-1, 0, -2]], [[3, 1, 5], [0, 1, 2]], [[2, 1, 3, 2, 1, 2], [5, 3, 0, 4, 2, 1]]];
  for (const [s, d] of cases) {
    it(`permute ${j(s)} by ${j(d)}`, async () => {
      await checkOp('permute', ([x]) => permute(x, d), ([x]) => R.permute(x, d), [{ shape: s }]);
    });
  }
  it('transpose: default last two, explicit and negative dims', async () => {
    await checkOp('transpose', ([x]) => transpose(x), ([x]) => R.transpose(x), [{ shape: [2, 3, 5] }]);
    await checkOp('transpose(0,2)', ([x]) => transpose(x, 0, 2), ([x]) => R.transpose(x, 0, 2), [{ shape: [2, 3, 5] }]);
    await checkOp('transpose(-3,1)', ([x]) => transpose(x, -3, 1), ([x]) => R.transpose(x, -3, 1), [{ shape: [4, 1, 3] }]);
  });
  it('a larger odd-sized permute [17, 33, 9] → [2, 0, 1]', async () => {
    await checkOp('permute large', ([x]) => permute(x, [2, 0, 1]), ([x]) => R.permute(x, [2, 0, 1]), [{ shape: [17, 33, 9] }], { wrt: [], atol: 0, rtol: 0 });
  });
});

describe('expand', () => {
  const cases: [number[], number[]][] = [[[3], [2, 3]], [[2, 1], [2, 5]], [[1, 3, 1], [4, 3, 2]], [[], [2, 2]], [[2, 1, 3], [2, 2, 4, 3]], [[1, 2], [-1, -1]], [[3, 1], [2, -1, 4]], [[2, 1, 3, 1], [2, 2, 2, 3, 2]]];
  for (const [s, t] of cases) {
    it(`${j(s)} → ${j(t)}`, async () => {
      await checkOp('expand', ([x]) => expand(x, t), ([x]) => R.expand(x, t), [{ shape: s }]);
    });
  }
});

describe('slice and pad', () => {
  const slices: [number[], number[], number[] | undefined][] = [
    [[5, 4], [1, 1], [4, 3]], [[5, 4], [2], undefined], [[5, 4], [-3, -2], [-1, 4]], [[3, 4, 5], [0, 1, 2], [3, 3, 5]],
    [[3, 4], [0, 2], [3, 2]], [[6], [0], [100]], [[2, 7, 3], [1, -7, 1], [2, 7, 2]],
  ];
  for (const [s, a, b] of slices) {
    it(`slice ${j(s)} [${j(a)}, ${j(b)})`, async () => {
      await checkOp('slice', ([x]) => slice(x, a, b), ([x]) => R.slice(x, a, b), [{ shape: s }]);
    });
  }
  const pads: [number[], number[], number[]][] = [
    [[2, 3], [1, 2], [0, 1]], [[2, 3], [2], [3]], [[1, 3, 2], [0, 1, 1], [2, 0, 1]], [[4], [0], [0]], [[2, 2, 2, 2], [1, 0, 1, 0], [0, 1, 0, 1]],
  ];
  for (const [s, b, a] of pads) {
    it(`pad ${j(s)} before ${j(b)} after ${j(a)}`, async () => {
      await checkOp('pad', ([x]) => pad(x, b, a), ([x]) => R.pad(x, b, a), [{ shape: s }]);
    });
  }
  it('an empty slice is a [.., 0, ..] tensor and pads back to zeros', async () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const e = slice(x, [0, 2], [2, 2]);
    expect([...e.shape]).toEqual([2, 0]);
    const [p] = await readAll([pad(e, [0, 1], [0, 0])]);
    expect(Array.from(p)).toEqual([0, 0]);
  });
});

describe('concat', () => {
  const cases: [number[][], number][] = [
    [[[2, 3], [1, 3]], 0], [[[2, 3], [2, 1], [2, 4]], 1], [[[2, 2, 3], [2, 1, 3]], -2], [[[3], [4], [1]], 0], [[[1, 2, 1], [1, 2, 2]], -1], [[[2, 3]], 0],
  ];
  for (const [shapes, axis] of cases) {
    it(`${j(shapes)} along ${axis}`, async () => {
      await checkOp('concat', (xs) => concat(xs, axis), (xs) => R.concat(xs, axis), shapes.map((shape) => ({ shape })));
    });
  }
  it('the same tensor twice: both gradients accumulate', async () => {
    await checkOp('concat(x, x)', ([x]) => concat([x, mul(x, 2), x], 1), ([x]) => R.concat([x, R.map(x, (v) => 2 * v), x], 1), [{ shape: [2, 2] }]);
  });
});

describe('flatten, unsqueeze, squeeze', () => {
  it('flatten from 0, 1 and −2', async () => {
    await checkOp('flatten', ([x]) => flatten(x), ([x]) => R.reshape(x, [-1]), [{ shape: [2, 3, 2] }]);
    await checkOp('flatten(1)', ([x]) => flatten(x, 1), ([x]) => R.reshape(x, [2, -1]), [{ shape: [2, 3, 2] }]);
    await checkOp('flatten(-2)', ([x]) => flatten(x, -2), ([x]) => R.reshape(x, [2, -1]), [{ shape: [2, 3, 2] }]);
  });
  it('unsqueeze at the front, middle, end and negative axes', async () => {
    for (const [axis, t] of [[0, [1, 2, 3]], [1, [2, 1, 3]], [2, [2, 3, 1]], [-1, [2, 3, 1]], [-3, [1, 2, 3]]] as [number, number[]][]) {
      await checkOp(`unsqueeze(${axis})`, ([x]) => unsqueeze(x, axis), ([x]) => R.reshape(x, t), [{ shape: [2, 3] }]);
    }
  });
  it('squeeze all size-1 dims, one axis, and a non-1 axis (no-op, as PyTorch)', async () => {
    await checkOp('squeeze()', ([x]) => squeeze(x), ([x]) => R.reshape(x, [3, 2]), [{ shape: [1, 3, 1, 2, 1] }]);
    await checkOp('squeeze(2)', ([x]) => squeeze(x, 2), ([x]) => R.reshape(x, [1, 3, 2, 1]), [{ shape: [1, 3, 1, 2, 1] }]);
    await checkOp('squeeze(-1)', ([x]) => squeeze(x, -1), ([x]) => R.reshape(x, [1, 3, 1, 2]), [{ shape: [1, 3, 1, 2, 1] }]);
    await checkOp('squeeze(1)', ([x]) => squeeze(x, 1), ([x]) => x, [{ shape: [1, 3, 1, 2, 1] }]);
  });
});
