/**
 * @file Elementwise ops against the float64 reference: forward on broadcast edge cases (0-d, size-1
 * dims on both sides, new leading dims), odd sizes; first and second derivatives of every
 * differentiable op; comparisons forward-only with ties, and that no gradient flows through them.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, requiresGrad, grad, readAll, tidy, type Tensor,
  add, sub, mul, div, pow, neg, exp, log, sqrt, rsqrt, abs, relu, leakyRelu, tanh, sigmoid, where, activationGrad, bceWithLogits,
  gt, ge, lt, le, eq, ne, sum,
} from '../../src/index.ts';
import { checkOp, seeded, f32round, type CheckInput, type F64 } from '../helpers/gradcheck.ts';
import * as R from '../helpers/ref.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const fmt = (s: number[]) => `[${s.join(',')}]`;

/** Shape pairs covering broadcasting: equal, trailing, both sides size-1, 0-d, new leading dims. */
const PAIRS: [number[], number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 1, 4], [3, 1]],
  [[], [2, 3]],
  [[4, 1], [1, 4]],
  [[1, 5, 1], [3, 1, 2]],
  [[7, 5], [1]],
  [[2, 1, 3, 1, 2], [2, 1, 3, 1]], // rank 5: index math past the first vec4 of strides
  [[1, 2, 1, 2, 1, 2, 1, 2], [2, 1, 2, 1, 2, 1, 2, 1]], // rank 8, the most the kernels take
];

type Bin = (a: Tensor | number, b: Tensor | number) => Tensor;
const BINARY: { name: string; op: Bin; f: (a: number, b: number) => number; a?: Partial<CheckInput>; b?: Partial<CheckInput> }[] = [
  { name: 'add', op: add, f: (a, b) => a + b },
  { name: 'sub', op: sub, f: (a, b) => a - b },
  { name: 'mul', op: mul, f: (a, b) => a * b },
  { name: 'div', op: div, f: (a, b) => a / b, b: { range: [-1.5, 1.5], awayFromZero: 0.4 } },
  { name: 'pow', op: pow, f: (a, b) => a ** b, a: { range: [0.5, 2] }, b: { range: [-2, 2] } },
];

describe('binary ops with broadcasting: forward, gradcheck, gradgradcheck', () => {
  for (const { name, op, f, a, b } of BINARY) {
    for (const [sa, sb] of PAIRS) {
      it(`${name} ${fmt(sa)} ${fmt(sb)}`, async () => {
        await checkOp(name, ([x, y]) => op(x, y), ([x, y]) => R.elementwise([x, y], f), [{ shape: sa, ...a }, { shape: sb, ...b }]);
      });
    }
  }
  it('the operands the other way round ([3] with [2, 3]; [3, 1] with [2, 1, 4])', async () => {
    for (const { name, op, f, a, b } of BINARY) {
      await checkOp(`${name} swapped`, ([x, y]) => op(x, y), ([x, y]) => R.elementwise([x, y], f), [{ shape: [3], ...a }, { shape: [2, 3], ...b }]);
      await checkOp(`${name} swapped 3-d`, ([x, y]) => op(x, y), ([x, y]) => R.elementwise([x, y], f), [{ shape: [3, 1], ...a }, { shape: [2, 1, 4], ...b }]);
    }
  });
  it('number operands on either side', async () => {
    const one = (name: string, e: (x: Tensor) => Tensor, r: (x: number) => number, spec: Partial<CheckInput> = {}) =>
      checkOp(name, ([x]) => e(x), ([x]) => R.map(x, r), [{ shape: [2, 3], ...spec }]);
    await one('x + 2.5', (x) => add(x, 2.5), (x) => x + 2.5);
    await one('1 - x', (x) => sub(1, x), (x) => 1 - x);
    await one('x * -3', (x) => mul(x, -3), (x) => x * -3);
    await one('2 / x', (x) => div(2, x), (x) => 2 / x, { awayFromZero: 0.4 });
    await one('x ^ 2', (x) => pow(x, 2), (x) => x ** 2);
    await one('x ^ 3 (negative bases)', (x) => pow(x, 3), (x) => x ** 3, { range: [-2, 2] });
    await one('x ^ 0.5', (x) => pow(x, 0.5), Math.sqrt, { range: [0.5, 2] });
    await one('2 ^ x', (x) => pow(2, x), (x) => 2 ** x);
    await one('x ^ -1', (x) => pow(x, -1), (x) => 1 / x, { range: [0.5, 2] });
  });
  it('pow on negative bases: integer exponents as PyTorch, 0^0 = 1, fractional gives NaN', async () => {
    const [v] = await readAll([pow(tensor([-2, -2, -2, 0, 0, -1.5]), tensor([2, 3, -1, 0, 2, 0.5]))]);
    expect(Array.from(v.slice(0, 5))).toEqual([4, -8, -0.5, 1, 0]);
    expect(v[5]).toBeNaN();
  });
  it('both operands numbers is an error', () => {
    expect(() => add(2, 3)).toThrow(/add: at least one operand must be a Tensor/);
  });
});

type Un = (a: Tensor) => Tensor;
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const UNARY: { name: string; op: Un; f: (x: number) => number; spec?: Partial<CheckInput> }[] = [
  { name: 'neg', op: neg, f: (x) => -x },
  { name: 'exp', op: exp, f: Math.exp, spec: { range: [-2, 2] } },
  { name: 'log', op: log, f: Math.log, spec: { range: [0.3, 3] } },
  { name: 'sqrt', op: sqrt, f: Math.sqrt, spec: { range: [0.3, 3] } },
  { name: 'rsqrt', op: rsqrt, f: (x) => 1 / Math.sqrt(x), spec: { range: [0.3, 3] } },
  { name: 'abs', op: abs, f: Math.abs, spec: { awayFromZero: 0.05 } },
  { name: 'relu', op: relu, f: (x) => Math.max(x, 0), spec: { awayFromZero: 0.05 } },
  { name: 'leakyRelu', op: (x) => leakyRelu(x), f: (x) => (x > 0 ? x : 0.01 * x), spec: { awayFromZero: 0.05 } },
  { name: 'leakyRelu(0.2)', op: (x) => leakyRelu(x, 0.2), f: (x) => (x > 0 ? x : 0.2 * x), spec: { awayFromZero: 0.05 } },
  { name: 'tanh', op: tanh, f: Math.tanh, spec: { range: [-3, 3] } },
  { name: 'sigmoid', op: sigmoid, f: sig, spec: { range: [-4, 4] } },
];

// The fused activation backward, a primitive of its own: checked as an op in y (the activation's input
// for relu/leakyRelu, its output for tanh/sigmoid) and g, to second order, against its float64 formula.
const ACT_GRADS: { act: 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'abs'; slope: number; f: (y: number, g: number) => number; y: Partial<CheckInput> }[] = [
  { act: 'abs', slope: 0, f: (y, g) => g * Math.sign(y), y: { awayFromZero: 0.05 } },
  { act: 'relu', slope: 0, f: (y, g) => (y > 0 ? g : 0), y: { awayFromZero: 0.05 } },
  { act: 'leakyRelu', slope: 0.2, f: (y, g) => (y > 0 ? g : 0.2 * g), y: { awayFromZero: 0.05 } },
  { act: 'tanh', slope: 0, f: (y, g) => g * (1 - y * y), y: { range: [-0.9, 0.9] } },
  { act: 'sigmoid', slope: 0, f: (y, g) => g * y * (1 - y), y: { range: [0.05, 0.95] } },
];
describe('activationGrad: forward, gradcheck, gradgradcheck in y and g', () => {
  for (const { act, slope, f, y } of ACT_GRADS) {
    it(act, async () => {
      // relu's, leakyRelu's and abs's are piecewise constant in y (no gradient there): checked in g alone.
      const wrt = act === 'relu' || act === 'leakyRelu' || act === 'abs' ? [1] : [0, 1];
      await checkOp(`${act}Grad`, ([a, g]) => activationGrad(act, a, g, slope), ([a, g]) => R.elementwise([a, g], f), [{ shape: [2, 3], ...y }, { shape: [2, 3] }], { wrt });
    });
  }
  it('rejects mismatched shapes', () => {
    expect(() => activationGrad('relu', tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/activationGrad: y \[2\] and gradient \[3\] differ/);
  });
});

// Binary cross-entropy with logits (one fused primitive): against log(1 + e^z) − z·y in float64, to second
// order in the logits and the targets (soft targets: y ∈ [0, 1] need not be 0/1), large logits included.
describe('bceWithLogits: forward, gradcheck, gradgradcheck in z and y', () => {
  const f = (z: number, y: number) => Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
  for (const shape of [[2, 3], [7], []]) {
    it(`${fmt(shape)}`, async () => {
      await checkOp('bceWithLogits', ([z, y]) => bceWithLogits(z, y), ([z, y]) => R.elementwise([z, y], f),
        [{ shape, range: [-3, 3] }, { shape, range: [0, 1] }]);
    });
  }
  it('is stable for large logits (no overflow) and matches PyTorch at hard targets', async () => {
    const z = tensor([-80, -20, 0, 20, 80, 1]), y = tensor([1, 0, 1, 1, 0, 0]);
    const [v] = await readAll([bceWithLogits(z, y)]);
    const want = [80, 0, Math.log(2), 0, 80, 1 + Math.log1p(Math.exp(-1))];
    want.forEach((w, i) => expect(v[i]).toBeCloseTo(w, 5));
  });
  it('rejects mismatched shapes, naming both', () => {
    expect(() => bceWithLogits(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/bceWithLogits: logits \[2\] and targets \[3\] differ/);
  });
});

describe('unary ops: forward, gradcheck, gradgradcheck', () => {
  for (const { name, op, f, spec } of UNARY) {
    for (const shape of [[2, 3], [7], [], [1, 5, 1]]) {
      it(`${name} ${fmt(shape)}`, async () => {
        await checkOp(name, ([x]) => op(x), ([x]) => R.map(x, f), [{ shape, ...spec }]);
      });
    }
  }
  it('kinks take PyTorch\'s subgradient at 0: relu 0, abs 0, leakyRelu slope', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([-1, 0, 2]));
      const gs = [relu, abs, (t: Tensor) => leakyRelu(t, 0.2)].map((f) => grad(sum(f(x)), x)[0]);
      const [r, a, l] = await readAll(gs);
      expect(Array.from(r)).toEqual([0, 0, 1]);
      expect(Array.from(a)).toEqual([-1, 0, 1]);
      expect(Array.from(l)).toEqual([0.2, 0.2, 1].map(Math.fround));
    });
  });
  it('tanh and sigmoid saturate without overflow; tanh is accurate relative to tiny inputs', async () => {
    const xs = [-100, -30, -2, -1e-3, -1e-6, 0, 1e-7, 1e-5, 3e-4, 0.05, 0.12, 0.13, 0.5, 30, 100];
    const [t, s] = await readAll([tanh(tensor(xs)), sigmoid(tensor(xs))]);
    const xf = f32round(Float64Array.from(xs));
    xf.forEach((x, i) => {
      const want = Math.tanh(x);
      expect(Math.abs(t[i] - want), `tanh(${x}) = ${t[i]}`).toBeLessThanOrEqual(1e-6 * Math.abs(want));
      // WGSL lets exp be off by 3 + 2|x| ulp; the logistic inherits that relative error. −100 underflows.
      expect(Math.abs(s[i] - sig(x)), `sigmoid(${x}) = ${s[i]}`).toBeLessThanOrEqual((4 + 2 * Math.abs(x)) * 2 ** -23 * sig(x) + 1e-38);
    });
  });
  it('a larger odd-sized broadcast forward: [1000, 257] * [257] + exp', async () => {
    await checkOp('mul-exp large', ([a, b]) => exp(mul(a, b)), ([a, b]) => R.elementwise([a, b], (x, y) => Math.exp(x * y)),
      [{ shape: [1000, 257] }, { shape: [257] }], { wrt: [], rtol: 1e-5, atol: 0 });
  });
});

describe('where', () => {
  const mask = (shape: number[], seed: number) => ({ shape, values: Array.from(seeded(R.size(shape), seed), (v) => (v > 0 ? 1 : 0)) });
  const ref = ([c, a, b]: F64[]) => R.elementwise([c, a, b], (cv, av, bv) => (cv !== 0 ? av : bv));
  for (const [sc, sa, sb] of [[[2, 3], [2, 3], [2, 3]], [[2, 3], [3], [2, 1]], [[4, 1], [1, 5], []], [[], [2, 2], [2, 2]], [[3, 1, 2], [1, 4, 1], [2]]]) {
    it(`where ${fmt(sc)} ${fmt(sa)} ${fmt(sb)}`, async () => {
      await checkOp('where', ([c, a, b]) => where(c, a, b), ref, [mask(sc, 3), { shape: sa }, { shape: sb }], { wrt: [1, 2] });
    });
  }
  it('number branches, and a non-0/1 condition counts as true', async () => {
    await checkOp('where(c, x, 0)', ([c, x]) => where(c, x, 0), ([c, x]) => R.elementwise([c, x], (cv, xv) => (cv !== 0 ? xv : 0)),
      [{ shape: [2, 3], values: [0, 2, -0.5, 0, 1, 0] }, { shape: [2, 3] }], { wrt: [1] });
    await checkOp('where(c, 1, x)', ([c, x]) => where(c, 1, x), ([c, x]) => R.elementwise([c, x], (cv, xv) => (cv !== 0 ? 1 : xv)),
      [{ shape: [3] , values: [1, 0, 3] }, { shape: [2, 3] }], { wrt: [1] });
  });
});

describe('comparisons (forward only; no gradient)', () => {
  const CMP: [string, Bin, (a: number, b: number) => boolean][] = [
    ['gt', gt, (a, b) => a > b], ['ge', ge, (a, b) => a >= b], ['lt', lt, (a, b) => a < b],
    ['le', le, (a, b) => a <= b], ['eq', eq, (a, b) => a === b], ['ne', ne, (a, b) => a !== b],
  ];
  // Values from {-1, 0, 1} so that ties are frequent.
  const tri = (shape: number[], seed: number) => ({ shape, values: Array.from(seeded(R.size(shape), seed), (v) => Math.round(v * 1.4)) });
  for (const [name, op, f] of CMP) {
    it(`${name} with ties and broadcasting`, async () => {
      const ref = ([a, b]: F64[]) => R.elementwise([a, b], (x, y) => (f(x, y) ? 1 : 0));
      for (const [sa, sb] of PAIRS) await checkOp(name, ([a, b]) => op(a, b), ref, [tri(sa, 1), tri(sb, 2)], { wrt: [], atol: 0, rtol: 0 });
      await checkOp(`${name} number`, ([a]) => op(a, 0), ([a]) => R.map(a, (x) => (f(x, 0) ? 1 : 0)), [tri([3, 4], 5)], { wrt: [], atol: 0, rtol: 0 });
    });
  }
  it('no gradient flows through a comparison', async () => {
    await tidy(async () => {
      const x = requiresGrad(tensor([-2, 0.5, 0, 3]));
      for (const op of [gt, ge, lt, le, eq, ne]) {
        expect(grad(sum(op(x, 0.5)), x, { allowUnused: true })[0]).toBeNull();
        expect(() => grad(sum(op(x, 0.5)), x)).toThrow(/was not used/);
      }
      // A mask times x: the gradient is the mask itself, nothing from the mask's dependence on x.
      const [g] = grad(sum(mul(gt(x, 0.2), x)), x);
      const [h] = grad(sum(mul(gt(x, 0.2), x)), x, { createGraph: true });
      const [gg] = grad(sum(mul(h, x)), x); // d/dx Σ mask·x = mask
      const [gv, ggv] = await readAll([g, gg]);
      expect(Array.from(gv)).toEqual([0, 1, 0, 1]);
      expect(Array.from(ggv)).toEqual([0, 1, 0, 1]);
    });
  });
});

describe('a wrong derivative cannot pass these tolerances', () => {
  it('first derivative wrong (x·stop(x) for x²) fails gradcheck', async () => {
    await expect(checkOp('bad first', ([x]) => mul(x, x.detach()), ([x]) => R.map(x, (v) => v * v), [{ shape: [5] }]))
      .rejects.toThrow(/d\/dx0/);
  });
  it('second derivative wrong (right value and first derivative, zero Hessian) fails gradgradcheck', async () => {
    // x·s + s·x − s·s with s = stop(x): value x², gradient 2s = 2x, but its derivative is 0, not 2.
    const f = ([x]: Tensor[]) => { const s = x.detach(); return sub(add(mul(x, s), mul(s, x)), mul(s, s)); };
    await expect(checkOp('bad second', f, ([x]) => R.map(x, (v) => v * v), [{ shape: [5] }])).rejects.toThrow(/second derivative d\/dx0/);
  });
  it('a 0.3 % error in a derivative is caught', async () => {
    const f = ([x]: Tensor[]) => add(mul(x, 1.003), mul(x.detach(), -0.003));
    await expect(checkOp('scaled grad', f, ([x]) => R.map(x, (v) => v), [{ shape: [5], range: [1, 3] }])).rejects.toThrow(/d\/dx0/);
  });
});
