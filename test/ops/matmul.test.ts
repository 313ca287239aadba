/**
 * @file matmul against the float64 reference: 2-D, batched, broadcast batch dimensions (size-1
 * batch dims, a 2-D operand shared by every batch), sizes that cross the 64-wide tile edge and K not
 * a multiple of the 16-deep k-slice; first and second derivatives. At 65×17×70 and 130×70×90 the
 * engine's gradients are compared with the closed forms g·Bᵀ and Aᵀ·g computed by the reference.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, tensor, requiresGrad, grad, readAll, tidy, matmul, tanh } from '../../src/index.ts';
import { checkOp, expectClose, seeded, f32round } from '../helpers/gradcheck.ts';
import * as R from '../helpers/ref.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const j = (v: unknown) => JSON.stringify(v);

describe('matmul: forward, gradcheck, gradgradcheck', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 5]],
    [[1, 1], [1, 1]],
    [[1, 7], [7, 1]],
    [[5, 17], [17, 3]], // K = 17: one full 16-slice and a 1-deep remainder
    [[2, 3, 4], [2, 4, 5]], // batched
    [[2, 1, 3, 4], [3, 4, 2]], // batch [2,1] with [3] → [2,3]
    [[3, 4], [2, 4, 5]], // a 2-D operand shared by every batch
    [[2, 3, 4], [4, 5]],
    [[1, 3, 4], [2, 4, 2]], // a size-1 batch dim
    [[2, 1, 2, 3], [1, 2, 3, 2]], // both sides broadcast
  ];
  for (const [a, b] of cases) {
    it(`${j(a)} @ ${j(b)}`, async () => {
      await checkOp('matmul', ([x, y]) => matmul(x, y), ([x, y]) => R.matmul(x, y), [{ shape: a }, { shape: b }]);
    });
  }
  it('across the 64 tile edge in M and in N, with second derivatives', async () => {
    await checkOp('matmul M=65', ([x, y]) => matmul(x, y), ([x, y]) => R.matmul(x, y), [{ shape: [65, 2] }, { shape: [2, 3] }]);
    await checkOp('matmul N=66', ([x, y]) => matmul(x, y), ([x, y]) => R.matmul(x, y), [{ shape: [2, 3] }, { shape: [3, 66] }]);
  });
  it('K = 33 and 130 (partial k-slices, several tiles in K)', async () => {
    await checkOp('matmul K=33', ([x, y]) => matmul(x, y), ([x, y]) => R.matmul(x, y), [{ shape: [3, 33] }, { shape: [33, 2] }]);
    await checkOp('matmul K=130', ([x, y]) => matmul(x, y), ([x, y]) => R.matmul(x, y), [{ shape: [2, 130] }, { shape: [130, 3] }], { second: false });
  });
  it('a chain with a nonlinearity: tanh(A·B)·C (second derivatives mix both products)', async () => {
    await checkOp('tanh(AB)C', ([a, b, c]) => matmul(tanh(matmul(a, b)), c),
      ([a, b, c]) => R.matmul(R.map(R.matmul(a, b), Math.tanh), c), [{ shape: [2, 3] }, { shape: [3, 4] }, { shape: [4, 2] }]);
  });
  it('empty dimensions: K = 0 gives zeros, M = 0 gives an empty result', async () => {
    const z = matmul(tensor([], [2, 0]), tensor([], [0, 3]));
    expect([...z.shape]).toEqual([2, 3]);
    expect(Array.from(await z.data())).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...matmul(tensor([], [0, 2]), tensor([1, 2, 3, 4], [2, 2])).shape]).toEqual([0, 2]);
  });
});

/**
 * Forward and both gradients of a 2-D matmul at a size where finite differences would be slow: the
 * engine's dA, dB against the reference's g·Bᵀ and Aᵀ·g (the closed forms that the small cases above
 * verify by finite differences).
 */
async function closedForm(M: number, K: number, N: number): Promise<void> {
  await tidy(async () => {
    const A = R.nd(f32round(seeded(M * K, 1)), [M, K]);
    const B = R.nd(f32round(seeded(K * N, 2)), [K, N]);
    const G = R.nd(f32round(seeded(M * N, 3)), [M, N]);
    const a = requiresGrad(tensor(Float32Array.from(A.data), A.shape));
    const b = requiresGrad(tensor(Float32Array.from(B.data), B.shape));
    const c = matmul(a, b);
    const [ga, gb] = grad(c, [a, b], { gradOutputs: tensor(Float32Array.from(G.data), G.shape) });
    const [cv, gav, gbv] = await readAll([c, ga, gb]);
    // Inner products of ≤ 130 terms of size ≤ 1: f32 error well under 1e-4 each.
    expectClose('C', cv, R.matmul(A, B).data, 1e-4, 1e-5);
    expectClose('dA', gav, R.matmul(G, R.transpose(B)).data, 1e-4, 1e-5);
    expectClose('dB', gbv, R.matmul(R.transpose(A), G).data, 1e-4, 1e-5);
  });
}

describe('larger matmul', () => {
  it('65×17 @ 17×70 (crosses the tile edge in M and N, K not a multiple of 16): forward and gradients', async () => {
    await closedForm(65, 17, 70);
  });
  it('130×70 @ 70×90: forward and gradients', async () => {
    await closedForm(130, 70, 90);
  });
  it('batched with broadcast at size: [3, 1, 40, 70] @ [4, 70, 66]', async () => {
    await checkOp('matmul batched large', ([x, y]) => matmul(x, y), ([x, y]) => R.matmul(x, y), [{ shape: [3, 1, 40, 70] }, { shape: [4, 70, 66] }], { wrt: [], atol: 1e-4, rtol: 1e-5 });
  });
});
