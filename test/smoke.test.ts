import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, tensor, grad, requiresGrad, tidy, memory, readAll } from '../src/index.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

describe('smoke', () => {
  it('adds and differentiates', async () => {
    const x = requiresGrad(tensor([1, 2, 3, 4], [2, 2]));
    const y = x.mul(x).tanh().sum();
    const [g] = grad(y, x);
    const [yv, gv] = await readAll([y, g]);
    const ref = [1, 2, 3, 4].map((v) => Math.tanh(v * v));
    expect(yv[0]).toBeCloseTo(ref.reduce((a, b) => a + b), 5);
    [1, 2, 3, 4].forEach((v, i) => expect(gv[i]).toBeCloseTo((1 - Math.tanh(v * v) ** 2) * 2 * v, 4));
  });
  it('matmul', async () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
    expect(Array.from(await a.matmul(b).data())).toEqual([4, 5, 10, 11]);
    console.log(memory());
  });
});
