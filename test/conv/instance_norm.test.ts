import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, instanceNorm2d, instanceNormGrad, tensor } from '../../src/index.ts';
import { checkOp, type F64 } from '../helpers/gradcheck.ts';
import { instanceNorm2dRef } from '../helpers/conv_ref.ts';

const TIMEOUT = 240_000;
beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

/** ∂/∂x of Σ u·instanceNorm(x), from the float64 reference by central differences of nothing: closed form per plane. */
function normGradRef([x, u]: F64[], eps = 1e-5): F64 {
  const [N, C, H, W] = x.shape, P = H * W, out = new Float64Array(x.data.length);
  for (let p = 0; p < N * C; p++) {
    const xs = x.data.subarray(p * P, (p + 1) * P), us = u.data.subarray(p * P, (p + 1) * P);
    const mu = xs.reduce((a, b) => a + b, 0) / P;
    const v = xs.reduce((a, b) => a + (b - mu) ** 2, 0) / P;
    const r = 1 / Math.sqrt(v + eps);
    const ub = us.reduce((a, b) => a + b, 0) / P;
    let uxh = 0;
    for (let k = 0; k < P; k++) uxh += us[k] * (xs[k] - mu) * r;
    uxh /= P;
    for (let k = 0; k < P; k++) out[p * P + k] = r * (us[k] - ub - (xs[k] - mu) * r * uxh);
  }
  return { data: out, shape: [...x.shape] };
}

describe('instanceNorm2d', () => {
  // The fused ReLU (what Sequential runs for InstanceNorm2d → ReLU): values keep x̂ away from the kink at 0.
  const planes = [-1, -0.8, -0.6, 0.9, 1.1, 1.3, 2, 0.5, 0.8, -1.5, -1.2, 1.0];
  const reluRef = (t: { data: Float64Array; shape: number[] }) => ({ data: t.data.map((v) => Math.max(v, 0)), shape: t.shape });
  it('with a fused ReLU: forward, gradcheck, gradgradcheck', async () => {
    await checkOp('instanceNorm2d relu', ([x]) => instanceNorm2d(x, { relu: true }), ([x]) => reluRef(instanceNorm2dRef(x, null, null)), [{ shape: [1, 2, 2, 3], values: planes }]);
    await checkOp('instanceNorm2d vec4 relu', ([x]) => instanceNorm2d(x, { relu: true }), ([x]) => reluRef(instanceNorm2dRef(x, null, null)), [{ shape: [1, 3, 2, 2], values: planes }]);
  });
  it('with affine and a ReLU (applied after γ, β)', async () => {
    await checkOp('instanceNorm2d affine relu', ([x, w, b]) => instanceNorm2d(x, { weight: w, bias: b, relu: true }), ([x, w, b]) => reluRef(instanceNorm2dRef(x, w, b)),
      [{ shape: [1, 2, 2, 3], values: planes }, { shape: [2], values: [1.5, 0.7] }, { shape: [2], values: [0.05, -0.1] }], { second: false });
  });
  it('no affine, odd plane', async () => {
    await checkOp('instanceNorm2d', ([x]) => instanceNorm2d(x), ([x]) => instanceNorm2dRef(x, null, null), [{ shape: [2, 3, 3, 5], range: [-2, 2] }]);
  }, TIMEOUT);
  it('affine weight and bias', async () => {
    await checkOp('instanceNorm2d affine', ([x, w, b]) => instanceNorm2d(x, { weight: w, bias: b }), ([x, w, b]) => instanceNorm2dRef(x, w, b),
      [{ shape: [2, 2, 4, 3], range: [-2, 2] }, { shape: [2] }, { shape: [2] }]);
  }, TIMEOUT);
  it('a plane larger than the workgroup (strided sums)', async () => {
    await checkOp('instanceNorm2d large plane', ([x]) => instanceNorm2d(x, { eps: 1e-3 }), ([x]) => instanceNorm2dRef(x, null, null, 1e-3),
      [{ shape: [1, 1, 24, 24], range: [-3, 1] }], { second: false });
  }, TIMEOUT);
  it('its backward op: forward, gradient and second derivative', async () => {
    await checkOp('instanceNormGrad', ([x, u]) => instanceNormGrad(x, u), normGradRef, [{ shape: [1, 2, 3, 3], range: [-2, 2] }, { shape: [1, 2, 3, 3] }]);
  }, TIMEOUT);
  it('its backward op with a fused ReLU\'s mask (u masked to y > 0): forward, gradient and second derivative in x and u', async () => {
    // y is the mask's source (not differentiated: the mask is piecewise constant in it).
    const y = [0.5, -1, 2, -0.3, 0.1, 1, -2, 0.7, 0.2, -0.4, 1.5, -0.9, 0.3, -0.6, 0.8, 1.1, -1.2, 0.4];
    const masked = ([x, u, m]: F64[]) => normGradRef([x, { data: u.data.map((v, i) => (m.data[i] > 0 ? v : 0)), shape: u.shape }]);
    await checkOp('instanceNormGrad relu', ([x, u, m]) => instanceNormGrad(x, u, 1e-5, m), masked,
      [{ shape: [1, 2, 3, 3], range: [-2, 2] }, { shape: [1, 2, 3, 3] }, { shape: [1, 2, 3, 3], values: y }], { wrt: [0, 1] });
    await checkOp('instanceNormGrad vec4 relu', ([x, u, m]) => instanceNormGrad(x, u, 1e-5, m), masked,
      [{ shape: [1, 2, 2, 4], range: [-2, 2] }, { shape: [1, 2, 2, 4] }, { shape: [1, 2, 2, 4], values: y.slice(0, 16) }], { wrt: [0, 1] });
  }, TIMEOUT);
  it('planes a multiple of 4 long (read as vec4s): forward, gradient, second derivative', async () => {
    await checkOp('instanceNorm2d vec4', ([x]) => instanceNorm2d(x), ([x]) => instanceNorm2dRef(x, null, null), [{ shape: [2, 2, 4, 4], range: [-2, 2] }]);
    await checkOp('instanceNormGrad vec4', ([x, u]) => instanceNormGrad(x, u), normGradRef, [{ shape: [1, 2, 2, 4], range: [-2, 2] }, { shape: [1, 2, 2, 4] }]);
  }, TIMEOUT);
  it('a vec4 plane larger than the workgroup (strided sums), backward', async () => {
    await checkOp('instanceNormGrad large plane', ([x, u]) => instanceNormGrad(x, u), normGradRef, [{ shape: [1, 1, 16, 20], range: [-2, 2] }, { shape: [1, 1, 16, 20] }], { second: false });
  }, TIMEOUT);
  it('names the op and the shapes in its errors', () => {
    const x = tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
    expect(() => instanceNorm2d(x)).toThrow(/instanceNorm2d: expected \[N, C, H, W\], got \[2, 3, 4\]/);
    const x4 = tensor(new Float32Array(2 * 3 * 4), [1, 2, 3, 4]);
    expect(() => instanceNorm2d(x4, { weight: tensor([1, 2, 3], [3]) })).toThrow(/instanceNorm2d: weight must be \[2\].*\[3\]/);
  });
});
