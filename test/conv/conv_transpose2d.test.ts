import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, convTranspose2d, tensor } from '../../src/index.ts';
import { checkOp } from '../helpers/gradcheck.ts';
import { convTranspose2dRef } from '../helpers/conv_ref.ts';

// First use of each kernel specialisation compiles it (seconds each in lavapipe's LLVM, more under load).
const TIMEOUT = 240_000;

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

// [N, Ci, H, W], [Co, kH, kW], stride, padding, outputPadding, bias
const cases: [number[], number[], number, number, number, boolean][] = [
  [[2, 3, 3, 2], [2, 4, 4], 2, 1, 0, true],     // the up-sampling convT
  [[1, 2, 3, 4], [3, 4, 4], 2, 1, 1, false],    // odd output, output padding
  [[1, 2, 3, 3], [2, 3, 3], 2, 1, 1, true],     // kernel not a multiple of the stride
  [[2, 2, 2, 3], [2, 3, 3], 2, 0, 0, false],    // no padding
  [[1, 2, 4, 5], [3, 3, 3], 1, 1, 0, true],     // stride 1
  [[1, 2, 5, 7], [2, 7, 7], 1, 3, 0, false],    // 7×7, stride 1
  [[1, 2, 3, 3], [2, 2, 2], 2, 0, 1, false],    // 2×2, output padding
  [[1, 1, 3, 2], [1, 1, 1], 2, 0, 1, true],     // 1×1 with stride 2: some outputs get no input
  [[1, 3, 5, 6], [9, 4, 4], 2, 1, 0, true],     // two channel groups, several blocks per class
];

describe('convTranspose2d', () => {
  for (const [xs, [co, kh, kw], stride, padding, op, bias] of cases) {
    it(`x [${xs}] w [${xs[1]},${co},${kh},${kw}] s${stride} p${padding} op${op}${bias ? ' bias' : ''}`, async () => {
      const specs = [{ shape: xs }, { shape: [xs[1], co, kh, kw] }, ...(bias ? [{ shape: [co] }] : [])];
      await checkOp('convTranspose2d', ([x, w, b]) => convTranspose2d(x, w, b ?? null, { stride, padding, outputPadding: op }),
        ([x, w, b]) => convTranspose2dRef(x, w, b ?? null, stride, padding, op), specs);
    }, TIMEOUT);
  }
  it('names the op and the shapes in its errors', () => {
    const x = tensor(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4]);
    expect(() => convTranspose2d(x, tensor(new Float32Array(2 * 2 * 9), [2, 2, 3, 3]), null)).toThrow(/convTranspose2d.*\[2, 3, 4, 4\].*\[2, 2, 3, 3\]/);
    expect(() => convTranspose2d(x, tensor(new Float32Array(3 * 2 * 9), [3, 2, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(/convTranspose2d: outputPadding 2/);
  });
  it('takes outputPadding per dimension as [height, width] (what an adjoint of a conv may need)', () => {
    const x = tensor(new Float32Array(9), [1, 1, 3, 3]), w = tensor(new Float32Array(9), [1, 1, 3, 3]);
    expect(convTranspose2d(x, w, null, { stride: 2, outputPadding: [1, 0] }).shape).toEqual([1, 1, 8, 7]);
    expect(() => convTranspose2d(x, w, null, { stride: 2, outputPadding: [0, 2] })).toThrow(/convTranspose2d: outputPadding 2/);
  });
});
