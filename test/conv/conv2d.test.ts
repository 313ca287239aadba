import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, conv2d, tensor } from '../../src/index.ts';
import { checkOp } from '../helpers/gradcheck.ts';
import { conv2dRef } from '../helpers/conv_ref.ts';

// First use of each kernel specialisation compiles it (seconds each in lavapipe's LLVM, more under load).
const TIMEOUT = 240_000;

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

// [N, Ci, H, W], [Co, kH, kW], stride, padding, bias
const cases: [number[], number[], number, number, boolean][] = [
  [[2, 3, 4, 5], [2, 1, 1], 1, 0, true],       // 1×1
  [[2, 3, 5, 7], [3, 3, 3], 1, 1, true],       // odd sizes, the residual block's conv
  [[1, 2, 6, 6], [3, 4, 4], 2, 1, true],       // the down-sampling conv
  [[2, 2, 5, 7], [2, 4, 4], 2, 1, false],      // odd sizes with stride 2
  [[1, 2, 5, 7], [2, 7, 7], 1, 3, true],       // the 7×7 stem / head
  [[2, 2, 3, 3], [1, 2, 2], 1, 0, true],       // the critic's class head
  [[1, 2, 7, 5], [3, 3, 3], 2, 0, false],      // stride 2 without padding
  [[1, 1, 4, 4], [2, 3, 3], 1, 3, false],      // padding wider than half the kernel
  [[1, 3, 9, 11], [10, 3, 3], 1, 1, true],     // two channel groups, the second partial; several row/column blocks
  // Rows a multiple of 4 long: the input is read as aligned vec4s.
  [[1, 2, 6, 8], [3, 4, 4], 2, 1, true],
  [[2, 2, 5, 12], [2, 3, 3], 1, 1, false],
  [[1, 2, 4, 8], [2, 7, 7], 1, 3, false],
  [[1, 1, 4, 4], [2, 4, 4], 2, 1, true],
  // Many input channels, one output block (the critic's heads)
  [[2, 64, 2, 2], [1, 2, 2], 1, 0, true],
  [[1, 96, 3, 3], [3, 3, 3], 1, 1, false],
  // The kernel covers the whole input (one output position): a dot product per (n, o)
  [[2, 3, 3, 3], [5, 3, 3], 1, 0, false],      // K = 27: scalar loads
  [[1, 2, 4, 4], [3, 4, 4], 2, 0, true],       // K = 32: vec4 loads
];

describe('conv2d', () => {
  for (const [xs, [co, kh, kw], stride, padding, bias] of cases) {
    it(`x [${xs}] w [${co},${xs[1]},${kh},${kw}] s${stride} p${padding}${bias ? ' bias' : ''}`, async () => {
      const specs = [{ shape: xs }, { shape: [co, xs[1], kh, kw] }, ...(bias ? [{ shape: [co] }] : [])];
      await checkOp('conv2d', ([x, w, b]) => conv2d(x, w, b ?? null, { stride, padding }), ([x, w, b]) => conv2dRef(x, w, b ?? null, stride, padding), specs);
    }, TIMEOUT);
  }
  it('names the op and the shapes in its errors', () => {
    const x = tensor(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4]);
    expect(() => conv2d(x, tensor(new Float32Array(2 * 2 * 9), [2, 2, 3, 3]), null)).toThrow(/conv2d.*\[2, 3, 4, 4\].*\[2, 2, 3, 3\]/);
    expect(() => conv2d(x, tensor(new Float32Array(2 * 3 * 9), [2, 3, 3, 3]), tensor([0, 0, 0], [3]))).toThrow(/conv2d: bias/);
    expect(() => conv2d(x, tensor(new Float32Array(2 * 3 * 49), [2, 3, 7, 7]), null)).toThrow(/conv2d: kernel 7×7/);
  });
});
