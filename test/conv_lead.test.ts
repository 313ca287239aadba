import { describe, it, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, conv2d, convTranspose2d, conv2dWeightGrad, instanceNorm2d } from '../src/index.ts';
import { checkOp } from './helpers/gradcheck.ts';
import { conv2dRef, convTranspose2dRef, conv2dWeightGradRef, instanceNorm2dRef } from './helpers/conv_ref.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

describe('conv ops (lead quick check)', () => {
  it('conv2d s2 p1 k4 bias', async () => {
    await checkOp('conv2d', ([x, w, b]) => conv2d(x, w, b, { stride: 2, padding: 1 }), ([x, w, b]) => conv2dRef(x, w, b, 2, 1),
      [{ shape: [2, 2, 5, 6] }, { shape: [3, 2, 4, 4] }, { shape: [3] }]);
  });
  it('conv2d k3 p1 s1', async () => {
    await checkOp('conv2d', ([x, w]) => conv2d(x, w, null, { padding: 1 }), ([x, w]) => conv2dRef(x, w, null, 1, 1),
      [{ shape: [1, 2, 4, 5] }, { shape: [2, 2, 3, 3] }]);
  });
  it('convT s2 p1 k4 bias', async () => {
    await checkOp('convT', ([x, w, b]) => convTranspose2d(x, w, b, { stride: 2, padding: 1 }), ([x, w, b]) => convTranspose2dRef(x, w, b, 2, 1, 0),
      [{ shape: [2, 3, 3, 2] }, { shape: [3, 2, 4, 4] }, { shape: [2] }]);
  });
  it('convT s2 op1 k3', async () => {
    await checkOp('convT', ([x, w]) => convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }), ([x, w]) => convTranspose2dRef(x, w, null, 2, 1, 1),
      [{ shape: [1, 2, 3, 3] }, { shape: [2, 2, 3, 3] }]);
  });
  it('weight grad', async () => {
    await checkOp('wgrad', ([x, d]) => conv2dWeightGrad(x, d, 3, 3, 2, 1), ([x, d]) => conv2dWeightGradRef(x, d, 2, 1, 3, 3),
      [{ shape: [2, 2, 5, 5] }, { shape: [2, 3, 3, 3] }]);
  });
  it('instance norm', async () => {
    await checkOp('inorm', ([x]) => instanceNorm2d(x), ([x]) => instanceNorm2dRef(x, null, null),
      [{ shape: [2, 2, 3, 3], range: [-2, 2] }]);
  });
  it('instance norm affine', async () => {
    await checkOp('inorm affine', ([x, w, b]) => instanceNorm2d(x, { weight: w, bias: b }), ([x, w, b]) => instanceNorm2dRef(x, w, b),
      [{ shape: [1, 2, 2, 3], range: [-2, 2] }, { shape: [2] }, { shape: [2] }]);
  });
});
