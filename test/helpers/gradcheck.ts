/**
 * @file The checks every op must pass: forward against a float64 CPU reference, first derivatives
 * (vector-Jacobian products) against central finite differences of that reference, and second
 * derivatives against mixed finite differences — all independent of the engine's backward rules.
 *
 * With L(x, w) = Σ w ⊙ f(x) for a random w:
 *  - gradcheck:     engine ∂L/∂x            vs  (L(x + h·e_j) − L(x − h·e_j)) / 2h
 *  - gradgradcheck: engine ∂/∂z (∂L/∂x · v) vs  H(z)·u with u = (v, 0), z = (x, w), by
 *        (L(z+h e_j+h u) − L(z+h e_j−h u) − L(z−h e_j+h u) + L(z−h e_j−h u)) / 4h²
 *    which covers second derivatives in x and the derivative of the gradient in w (gradOutputs),
 *    as PyTorch's gradgradcheck does.
 */
import { expect } from 'vitest';
import { Tensor, tensor, grad, requiresGrad, readAll, tidy, mul, sum, add } from '../../src/index.ts';

/** A float64 array with a shape: the reference implementations' currency. */
export interface F64 {
  data: Float64Array;
  shape: number[];
}

export type RefFn = (xs: F64[]) => F64;
export type EngineFn = (xs: Tensor[]) => Tensor;

/** Deterministic values in [lo, hi) (a small LCG: tests must not depend on Math.random). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

/** Values rounded to f32 so the engine and the reference start from the same point. */
export function f32round(a: Float64Array): Float64Array {
  return Float64Array.from(new Float32Array(a));
}

export interface CheckInput {
  shape: number[];
  /** Explicit values; otherwise seeded uniform in `range`. */
  values?: ArrayLike<number>;
  range?: [number, number];
  /** Keep values at least this far from 0 (kinks of relu/abs/leakyRelu). */
  awayFromZero?: number;
}

export interface CheckOptions {
  atol?: number;
  rtol?: number;
  /** Finite-difference step (float64). */
  h?: number;
  seed?: number;
  /** Check second derivatives (default true). */
  second?: boolean;
  /** Only these inputs are differentiated (default: all). */
  wrt?: number[];
}

function makeInputs(specs: CheckInput[], seed: number): F64[] {
  return specs.map((s, k) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    let v = s.values ? Float64Array.from(s.values) : seeded(n, seed + 101 * k, ...(s.range ?? [-1, 1]));
    if (s.awayFromZero) v = v.map((x) => (Math.abs(x) < s.awayFromZero! ? (x < 0 ? -1 : 1) * (s.awayFromZero! + Math.abs(x)) : x));
    return { data: f32round(v), shape: [...s.shape] };
  });
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  expect(got.length, `${name}: length`).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= worst) || Number.isNaN(got[i])) {
      worst = Number.isNaN(got[i]) ? Infinity : e;
      at = i;
    }
  }
  const tol = atol + rtol * scale;
  if (!(worst <= tol)) {
    throw new Error(`${name}: max error ${worst.toExponential(3)} > tolerance ${tol.toExponential(3)} at index ${at} (got ${got[at]}, want ${want[at]})`);
  }
}

/** Forward, first- and second-derivative checks of `engine` against `ref`. */
export async function checkOp(name: string, engine: EngineFn, ref: RefFn, specs: CheckInput[], opts: CheckOptions = {}): Promise<void> {
  const { atol = 1e-4, rtol = 1e-3, h = 1e-3, seed = 7, second = true } = opts;
  const xs = makeInputs(specs, seed);
  const wrt = opts.wrt ?? xs.map((_, i) => i);
  const out = ref(xs);
  const w = f32round(seeded(out.data.length, seed + 999));
  const L = (ins: F64[], wv: Float64Array) => dot(ref(ins).data, wv);

  await tidy(async () => {
    const ts = xs.map((x, i) => {
      const t = tensor(Float32Array.from(x.data), x.shape);
      return wrt.includes(i) ? requiresGrad(t) : t;
    });
    const y = engine(ts);
    expect([...y.shape], `${name}: output shape`).toEqual(out.shape);
    const [yv] = await readAll([y]);
    expectClose(`${name} forward`, yv, out.data, atol, rtol);
    if (!wrt.length) return;

    // First derivatives.
    const wt = requiresGrad(tensor(Float32Array.from(w), out.shape));
    const gs = grad(y, wrt.map((i) => ts[i]), { gradOutputs: wt, createGraph: second });
    const gv = await readAll(gs);
    wrt.forEach((i, k) => {
      const fd = new Float64Array(xs[i].data.length);
      for (let j = 0; j < fd.length; j++) {
        const p = xs.map((x) => ({ data: x.data.slice(), shape: x.shape }));
        p[i].data[j] += h;
        const lp = L(p, w);
        p[i].data[j] -= 2 * h;
        fd[j] = (lp - L(p, w)) / (2 * h);
      }
      expectClose(`${name} d/dx${i}`, gv[k], fd, atol, rtol);
    });
    if (!second) return;

    // Second derivatives: ∂/∂z of Σ_k g_k·v_k for z = (inputs, w).
    const vs = wrt.map((i, k) => f32round(seeded(xs[i].data.length, seed + 31 * k + 5)));
    let s: Tensor | null = null;
    gs.forEach((g, k) => {
      const term = sum(mul(g, tensor(Float32Array.from(vs[k]), g.shape)));
      s = s ? add(s, term) : term;
    });
    const targets = [...wrt.map((i) => ts[i]), wt];
    let hs: (Tensor | null)[];
    if (!s || !(s as Tensor).requiresGrad) hs = targets.map(() => null); // gradient constant in everything
    else hs = grad(s, targets, { allowUnused: true });
    const present = hs.filter((t): t is Tensor => t !== null);
    const read = await readAll(present);
    let r = 0;
    const hv = hs.map((t, k) => (t ? read[r++] : new Float32Array(k < wrt.length ? xs[wrt[k]].data.length : w.length)));
    // u = (v on the differentiated inputs, 0 on w).
    const shifted = (j: { which: number; idx: number } | null, a: number, b: number) => {
      const p = xs.map((x) => ({ data: x.data.slice(), shape: x.shape }));
      const wv = w.slice();
      wrt.forEach((i, k) => {
        for (let e = 0; e < p[i].data.length; e++) p[i].data[e] += b * h * vs[k][e];
      });
      if (j) {
        if (j.which < wrt.length) p[wrt[j.which]].data[j.idx] += a * h;
        else wv[j.idx] += a * h;
      }
      return L(p, wv);
    };
    targets.forEach((_, k) => {
      const n = k < wrt.length ? xs[wrt[k]].data.length : w.length;
      const fd = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const at = { which: k, idx: j };
        fd[j] = (shifted(at, 1, 1) - shifted(at, 1, -1) - shifted(at, -1, 1) + shifted(at, -1, -1)) / (4 * h * h);
      }
      expectClose(`${name} second derivative d/d${k < wrt.length ? `x${wrt[k]}` : 'w'}`, hv[k], fd, atol * 10, rtol * 10);
    });
  });
}
