/**
 * @file Memory stays flat in training: 200 steps of a small MLP loop — an MSE loss plus a gradient
 * penalty (createGraph), SGD updates that replace the parameters — leave memory() exactly where it
 * was after warm-up: the same live tensors and bytes, and no new driver allocations (the pool serves
 * every step). Then 60 steps of the same with backward() and `.grad`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, requiresGrad, grad, noGrad, readAll, tidy, keep, memory, add, sub, mul, sqrt,
  sum, mean, matmul, leakyRelu, tanh, type Tensor, type MemoryInfo,
} from '../../src/index.ts';
import { seeded } from '../helpers/gradcheck.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const B = 8, D = 4, H = 16, WARM = 10, LR = 0.05;

const f32 = (n: number, seed: number, lo = -1, hi = 1) => Float32Array.from(seeded(n, seed, lo, hi));

function initParams(): Tensor[] {
  return [tensor(f32(D * H, 1, -0.5, 0.5), [D, H]), tensor(f32(H, 2, -0.1, 0.1), [H]), tensor(f32(H, 3, -0.5, 0.5), [H, 1]), tensor([0])]
    .map((t) => keep(requiresGrad(t)));
}

function mlp([W1, b1, W2, b2]: Tensor[], x: Tensor): Tensor {
  return tanh(add(matmul(leakyRelu(add(matmul(x, W1), b1), 0.2), W2), b2));
}

/** MSE to the targets plus 0.1 · mean (‖∂f/∂x‖ − 1)² at the inputs. */
function loss(params: Tensor[], x: Tensor, y: Tensor, xg: Tensor): Tensor {
  const err = sub(mlp(params, x), y);
  const [gx] = grad(sum(mlp(params, xg)), xg, { createGraph: true });
  const d = sub(sqrt(sum(mul(gx, gx), 1)), 1);
  return add(mean(mul(err, err)), mul(mean(mul(d, d)), 0.1));
}

/** Runs `step` `steps` times; returns memory() after warm-up and at the end, and the first and last losses. */
async function train(steps: number, step: (params: Tensor[]) => { params: Tensor[]; loss: Tensor }): Promise<{ warm: MemoryInfo; end: MemoryInfo; first: number; last: number }> {
  let params = initParams();
  let warm: MemoryInfo | null = null;
  let first = NaN, last = NaN;
  for (let i = 0; i < steps; i++) {
    const r = step(params);
    for (const p of params) p.dispose();
    params = r.params.map((p) => keep(requiresGrad(p)));
    if (i % 20 === 0 || i === steps - 1) {
      const v = await r.loss.item();
      if (i === 0) first = v;
      last = v;
    }
    r.loss.dispose();
    if (i === WARM - 1) warm = memory();
  }
  const end = memory();
  for (const p of params) p.dispose();
  return { warm: warm!, end, first, last };
}

describe('training steps leave memory() flat', () => {
  const data = () => {
    const x = keep(tensor(f32(B * D, 4), [B, D]));
    const y = keep(tensor(f32(B, 5, -0.5, 0.5), [B, 1]));
    return { x, y };
  };

  it('grad() with a gradient penalty, parameters replaced every step', async () => {
    const { x, y } = data();
    const base = memory().liveTensors;
    const r = await train(200, (params) => tidy(() => {
      const xg = requiresGrad(noGrad(() => mul(x, 0.9)));
      const l = loss(params, x, y, xg);
      const gs = grad(l, params);
      return { params: noGrad(() => params.map((p, i) => sub(p, mul(gs[i], LR)))), loss: l.detach() };
    }));
    expect(r.end).toEqual(r.warm);
    expect(r.last).toBeLessThan(r.first); // it trains
    expect(memory().liveTensors).toBe(base);
    x.dispose();
    y.dispose();
  });

  it('backward() into .grad, cleared every step (60 steps)', async () => {
    const { x, y } = data();
    const base = memory().liveTensors;
    const r = await train(60, (params) => {
      const l = tidy(() => {
        const xg = requiresGrad(noGrad(() => mul(x, 0.9)));
        const v = loss(params, x, y, xg);
        v.backward();
        // backward() fills .grad of every leaf that requires grad, the penalty's inputs too (as PyTorch).
        xg.grad!.dispose();
        return v.detach();
      });
      const next = tidy(() => noGrad(() => params.map((p) => {
        const q = sub(p, mul(p.grad!, LR));
        p.grad!.dispose();
        p.grad = null;
        return q;
      })));
      return { params: next, loss: l };
    });
    expect(r.end).toEqual(r.warm);
    expect(r.last).toBeLessThan(r.first);
    expect(memory().liveTensors).toBe(base);
    x.dispose();
    y.dispose();
  });
});
