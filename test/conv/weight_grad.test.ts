import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, conv2dWeightGrad, tensor } from '../../src/index.ts';
import { checkOp } from '../helpers/gradcheck.ts';
import { conv2dWeightGradRef } from '../helpers/conv_ref.ts';

// First use of each kernel specialisation compiles it (seconds each in lavapipe's LLVM, more under load).
const TIMEOUT = 240_000;

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const outSize = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

// x [N, Ci, H, W], Co, kH, kW, stride, padding
const cases: [number[], number, number, number, number, number][] = [
  [[2, 2, 5, 5], 3, 3, 3, 2, 1],
  [[2, 3, 5, 7], 2, 3, 3, 1, 1],
  [[1, 2, 6, 6], 3, 4, 4, 2, 1],
  [[1, 2, 5, 7], 2, 7, 7, 1, 3],
  [[2, 2, 3, 3], 1, 2, 2, 1, 0],
  [[2, 2, 4, 3], 9, 1, 1, 1, 0],    // two channel groups, 1×1
  [[1, 1, 1, 2], 5, 1, 2, 1, 0],    // one output position: no split of the sum
  [[1, 2, 8, 8], 3, 4, 4, 2, 1],    // d read as row vec4s, shared across a subgroup (KH·Ci = 8)
  [[2, 2, 8, 8], 9, 4, 4, 2, 1],    // the same with two channel groups
  [[1, 4, 4, 4], 5, 3, 3, 1, 1],    // row vec4s, KH·Ci = 12: not shared
];

describe('conv2dWeightGrad (x, d → dW) and its own gradients', () => {
  for (const [xs, co, kh, kw, s, p] of cases) {
    const ds = [xs[0], co, outSize(xs[2], kh, s, p), outSize(xs[3], kw, s, p)];
    it(`x [${xs}] d [${ds}] k${kh}×${kw} s${s} p${p}`, async () => {
      await checkOp('conv2dWeightGrad', ([x, d]) => conv2dWeightGrad(x, d, kh, kw, s, p),
        ([x, d]) => conv2dWeightGradRef(x, d, s, p, kh, kw), [{ shape: xs }, { shape: ds }]);
    }, TIMEOUT);
  }
  it('sums long reductions (many splits) accurately', async () => {
    await checkOp('conv2dWeightGrad long', ([x, d]) => conv2dWeightGrad(x, d, 3, 3, 1, 1),
      ([x, d]) => conv2dWeightGradRef(x, d, 1, 1, 3, 3), [{ shape: [4, 1, 16, 12] }, { shape: [4, 2, 16, 12] }], { second: false });
  }, TIMEOUT);
  it('rejects a d that is not the conv output size', () => {
    const x = tensor(new Float32Array(2 * 5 * 5), [1, 2, 5, 5]);
    expect(() => conv2dWeightGrad(x, tensor(new Float32Array(3 * 4 * 4), [1, 3, 4, 4]), 3, 3, 1, 1)).toThrow(/conv2dWeightGrad.*\[1, 3, 4, 4\].*\[1, 2, 5, 5\]/);
  });
});
