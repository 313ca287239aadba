/**
 * @file The pieces SaGAN puts around its convolutions, checked to second order: LeakyReLU(0.2), tanh,
 * sigmoid, channel concat, and tileChannel (the attribute as a constant image channel).
 */
import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, leakyRelu, tanh, sigmoid, concat, mul, tensor, conv2d, nn } from '../../src/index.ts';
import { tileChannel } from '../../src/sagan/tile.ts';
import { checkOp, type F64 } from '../helpers/gradcheck.ts';
import { conv2dRef } from '../helpers/conv_ref.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const map1 = (f: (v: number) => number) => ([a]: F64[]): F64 => ({ data: a.data.map(f), shape: a.shape });

describe('activations and channel plumbing (second order)', () => {
  it('leakyRelu(0.2): slope 1 / 0.2, zero second derivative', async () => {
    await checkOp('leakyRelu', ([x]) => leakyRelu(x, 0.2), map1((v) => (v > 0 ? v : 0.2 * v)), [{ shape: [2, 3, 2], range: [-2, 2], awayFromZero: 0.05 }]);
  });
  it('leakyRelu inside a product: its gradient flows into a second derivative', async () => {
    await checkOp('leakyRelu·x', ([x]) => mul(leakyRelu(x, 0.2), x), map1((v) => (v > 0 ? v : 0.2 * v) * v), [{ shape: [7], range: [-2, 2], awayFromZero: 0.05 }]);
  });
  it('conv2d with a fused LeakyReLU (tiled and dot-product kernels): forward, gradcheck, gradgradcheck', async () => {
    const leaky = (t: F64) => map1((v) => (v > 0 ? v : 0.2 * v))([t]);
    await checkOp('conv2d+leakyRelu', ([x, w, b]) => conv2d(x, w, b, { stride: 2, padding: 1, leakyRelu: 0.2 }), ([x, w, b]) => leaky(conv2dRef(x, w, b, 2, 1)),
      [{ shape: [1, 2, 4, 4] }, { shape: [3, 2, 4, 4] }, { shape: [3] }]);
    await checkOp('conv2d dot+leakyRelu', ([x, w, b]) => conv2d(x, w, b, { leakyRelu: 0.2 }), ([x, w, b]) => leaky(conv2dRef(x, w, b, 1, 0)),
      [{ shape: [2, 3, 2, 2] }, { shape: [2, 3, 2, 2] }, { shape: [2] }]);
    expect(() => conv2d(tensor(new Float32Array(16), [1, 1, 4, 4]), tensor(new Float32Array(9), [1, 1, 3, 3]), null, { leakyRelu: -1 })).toThrow(/slope must be ≥ 0/);
  });
  it('nn.Sequential runs Conv2d → LeakyReLU fused, with the values of the two layers run one by one', async () => {
    const seq = new nn.Sequential(new nn.Conv2d(2, 3, 4, { stride: 2, padding: 1 }), new nn.LeakyReLU(0.2));
    const x = tensor(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), [1, 2, 4, 4]);
    const [fused, apart] = await Promise.all([seq.call(x).data(), leakyRelu(seq.at(0).call(x), 0.2).data()]);
    expect(Array.from(fused)).toEqual(Array.from(apart));
  });
  it('tanh', async () => {
    await checkOp('tanh', ([x]) => tanh(x), map1(Math.tanh), [{ shape: [2, 5], range: [-3, 3] }]);
  });
  it('sigmoid', async () => {
    await checkOp('sigmoid', ([x]) => sigmoid(x), map1((v) => 1 / (1 + Math.exp(-v))), [{ shape: [2, 5], range: [-4, 4] }]);
  });
  it('concat along channels', async () => {
    await checkOp('concat', ([a, b]) => concat([a, b], 1), ([a, b]) => {
      const [N, Ca, H, W] = a.shape, Cb = b.shape[1], P = H * W;
      const out = new Float64Array(N * (Ca + Cb) * P);
      for (let n = 0; n < N; n++) {
        out.set(a.data.subarray(n * Ca * P, (n + 1) * Ca * P), n * (Ca + Cb) * P);
        out.set(b.data.subarray(n * Cb * P, (n + 1) * Cb * P), (n * (Ca + Cb) + Ca) * P);
      }
      return { data: out, shape: [N, Ca + Cb, H, W] };
    }, [{ shape: [2, 3, 2, 2] }, { shape: [2, 1, 2, 2] }]);
  });
  it('tileChannel: c [N] → [N, 1, H, W]', async () => {
    await checkOp('tileChannel', ([c]) => tileChannel(c, 2, 3), ([c]) => {
      const out = new Float64Array(c.data.length * 6);
      c.data.forEach((v, n) => out.fill(v, n * 6, (n + 1) * 6));
      return { data: out, shape: [c.data.length, 1, 2, 3] };
    }, [{ shape: [3] }]);
    expect(() => tileChannel(tensor([1, 2, 3, 4], [2, 2]), 2, 2)).toThrow(/tileChannel: expected values \[N\], got \[2, 2\]/);
  });
});
