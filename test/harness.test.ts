import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, tanh, mul, sum, matmul, leakyRelu } from '../src/index.ts';
import { checkOp, type F64 } from './helpers/gradcheck.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const map1 = (f: (x: number) => number) => ([a]: F64[]): F64 => ({ data: a.data.map(f), shape: a.shape });

describe('gradcheck harness', () => {
  it('tanh passes', async () => {
    await checkOp('tanh', ([x]) => tanh(x), map1(Math.tanh), [{ shape: [2, 3], range: [-2, 2] }]);
  });
  it('a wrong rule fails: tanh checked against a different function', async () => {
    await expect(checkOp('tanh-vs-sin', ([x]) => tanh(x), map1(Math.sin), [{ shape: [5], range: [-0.3, 0.3] }])).rejects.toThrow(/d\/dx0|second|forward/);
  });
  it('mul with broadcast', async () => {
    await checkOp('mul', ([a, b]) => mul(a, b), ([a, b]) => {
      const out = new Float64Array(6);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) out[i * 3 + j] = a.data[i * 3 + j] * b.data[j];
      return { data: out, shape: [2, 3] };
    }, [{ shape: [2, 3] }, { shape: [3] }]);
  });
  it('matmul and leakyRelu chain', async () => {
    await checkOp('mm-lrelu', ([a, b]) => sum(leakyRelu(matmul(a, b), 0.2)), ([a, b]) => {
      let s = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) v += a.data[i * 3 + k] * b.data[k * 2 + j];
        s += v > 0 ? v : 0.2 * v;
      }
      return { data: Float64Array.of(s), shape: [] };
    }, [{ shape: [2, 3] }, { shape: [3, 2] }]);
  });
});
