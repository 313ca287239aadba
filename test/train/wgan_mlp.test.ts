/**
 * @file A WGAN-GP gradient penalty through a 2-layer MLP, f(x) = tanh(leakyRelu(x·W1 + b1)·W2 + b2):
 * the engine's d/dθ of mean_b (‖∂f/∂x̂_b‖ − 1)², with x̂ = ε·real + (1 − ε)·fake, against central finite
 * differences of a float64 reference in which ∂f/∂x is written out by hand (and itself checked by
 * finite differences of f). This is a third-order path: forward, ∂f/∂x̂ with createGraph, then the
 * gradient of a function of that gradient — w.r.t. the weights and, through x̂, w.r.t. `fake`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, requiresGrad, grad, readAll, tidy, add, sub, mul, sqrt, sum, mean, matmul,
  leakyRelu, tanh, type Tensor,
} from '../../src/index.ts';
import { expectClose, f32round, seeded } from '../helpers/gradcheck.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const B = 3, D = 4, H = 5, SLOPE = 0.2;

interface Params { W1: Float64Array; b1: Float64Array; W2: Float64Array; b2: Float64Array; fake: Float64Array }
const NAMES = ['W1', 'b1', 'W2', 'b2', 'fake'] as const;

/** Row b of x̂ = ε_b·real + (1 − ε_b)·fake. */
function interp(real: Float64Array, fake: Float64Array, eps: Float64Array, b: number): number[] {
  return Array.from({ length: D }, (_, i) => eps[b] * real[b * D + i] + (1 - eps[b]) * fake[b * D + i]);
}

/** f(x) for one sample, and the pre-activations z1 (to keep finite differences off the kink). */
function forward(p: Params, x: number[]): { o: number; z1: number[] } {
  const z1 = Array.from({ length: H }, (_, h) => p.b1[h] + x.reduce((s, v, i) => s + v * p.W1[i * H + h], 0));
  const a1 = z1.map((z) => (z > 0 ? z : SLOPE * z));
  const z2 = p.b2[0] + a1.reduce((s, a, h) => s + a * p.W2[h], 0);
  return { o: Math.tanh(z2), z1 };
}

/** ∂f/∂x = (1 − o²) · Σ_h W2[h] · lrelu'(z1[h]) · W1[:, h]. */
function dfdx(p: Params, x: number[]): number[] {
  const { o, z1 } = forward(p, x);
  return Array.from({ length: D }, (_, i) =>
    (1 - o * o) * z1.reduce((s, z, h) => s + p.W2[h] * (z > 0 ? 1 : SLOPE) * p.W1[i * H + h], 0));
}

function penalty(p: Params, real: Float64Array, eps: Float64Array): number {
  let s = 0;
  for (let b = 0; b < B; b++) {
    const g = dfdx(p, interp(real, p.fake, eps, b));
    s += (Math.hypot(...g) - 1) ** 2;
  }
  return s / B;
}

function engineMlp(W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor, x: Tensor): Tensor {
  return tanh(add(matmul(leakyRelu(add(matmul(x, W1), b1), SLOPE), W2), b2));
}

describe('WGAN-GP penalty on a leakyRelu/tanh MLP', () => {
  it('d/dθ (‖∂f/∂x̂‖ − 1)² matches finite differences of the float64 reference', async () => {
    const p: Params = {
      W1: f32round(seeded(D * H, 11, -1.2, 1.2)), b1: f32round(seeded(H, 12, -0.5, 0.5)),
      W2: f32round(seeded(H, 13, -1.5, 1.5)), b2: f32round(seeded(1, 14, -0.3, 0.3)), fake: f32round(seeded(B * D, 15)),
    };
    const real = f32round(seeded(B * D, 16));
    const eps = f32round(seeded(B, 17, 0, 1));

    // The reference's hand-written ∂f/∂x agrees with finite differences of f.
    for (let b = 0; b < B; b++) {
      const x = interp(real, p.fake, eps, b);
      const g = dfdx(p, x);
      const fd = x.map((_, i) => {
        const xp = [...x], xm = [...x];
        xp[i] += 1e-6;
        xm[i] -= 1e-6;
        return (forward(p, xp).o - forward(p, xm).o) / 2e-6;
      });
      g.forEach((v, i) => expect(Math.abs(v - fd[i])).toBeLessThan(1e-7));
      // Pre-activations far from leakyRelu's kink, so finite differences below never cross it.
      expect(Math.min(...forward(p, x).z1.map(Math.abs))).toBeGreaterThan(0.02);
    }

    // d penalty / dθ by central differences in float64.
    const h = 1e-5;
    const fd = NAMES.map((k) => Float64Array.from(p[k], (_, j) => {
      const q = { ...p, [k]: p[k].slice() } as Params;
      q[k][j] += h;
      const lp = penalty(q, real, eps);
      q[k][j] -= 2 * h;
      return (lp - penalty(q, real, eps)) / (2 * h);
    }));

    await tidy(async () => {
      const t = (v: Float64Array, shape: number[]) => requiresGrad(tensor(Float32Array.from(v), shape));
      const W1 = t(p.W1, [D, H]), b1 = t(p.b1, [H]), W2 = t(p.W2, [H, 1]), b2 = t(p.b2, [1]), fake = t(p.fake, [B, D]);
      const e = tensor(Float32Array.from(eps), [B, 1]);
      const xhat = add(mul(e, tensor(Float32Array.from(real), [B, D])), mul(sub(1, e), fake));
      const out = engineMlp(W1, b1, W2, b2, xhat);
      const [gx] = grad(sum(out), xhat, { createGraph: true });
      const norm = sqrt(sum(mul(gx, gx), 1));
      const d = sub(norm, 1);
      const loss = mean(mul(d, d));
      const gs = grad(loss, [W1, b1, W2, b2, fake]);
      const [lv, ...gv] = await readAll([loss, ...gs]);
      expect(lv[0]).toBeCloseTo(penalty(p, real, eps), 5);
      NAMES.forEach((k, i) => expectClose(`d penalty / d ${k}`, gv[i], fd[i], 1e-5, 1e-3));
    });
  });
});
