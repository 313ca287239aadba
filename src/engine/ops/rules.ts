/**
 * @file The one table of backward rules, typed `{ [P in Prim]: Rule<P> }` so that a primitive in
 * `prims.ts` without a rule here does not compile. Every rule is written with the public,
 * differentiable ops, so a rule's result is on the tape again under `createGraph` and can itself be
 * differentiated (second derivatives for gradient penalties): e.g. tanh's rule g·(1 − out²) is a
 * product of tape tensors, whose own derivative brings −2·out·g·(1 − out²).
 *
 * This file imports the op files; they never import it (the forward code needs no rule), and
 * `autograd.ts` imports it directly — no install step, no import circle.
 */
import type { Consts, Prim, PrimParams } from '../prims.ts';
import type { Tensor } from '../tensor.ts';
import { activationGrad, add, div, eq, gt, log, lt, mul, neg, pow, rsqrt, sigmoid, sub, where, type TensorLike } from './elementwise.ts';
import { expand, pad, permute, reshape, slice, transpose } from './layout.ts';
import { mean, sum } from './reduce.ts';
import { matmul } from './matmul.ts';
import { conv2d, conv2dWeightGrad, convTranspose2d } from './conv.ts';
import { instanceNormGrad } from './norm.ts';
import { sameShape } from './shape.ts';

/**
 * A backward rule: given ∂L/∂out (`g`), the op's inputs, its output and params, return ∂L/∂input for
 * each input (null where an input takes no gradient). Rules use differentiable ops only. `needs[i]`
 * says whether input i leads to a wanted gradient at all: costly rules (conv, matmul) skip the rest —
 * e.g. the generator's step differentiates through D without computing D's weight gradients.
 */
export type Rule<P extends Prim> = (g: Tensor, inputs: Tensor[], out: Tensor, params: PrimParams[P], needs: boolean[]) => (Tensor | null)[];
export type RuleTable = { [P in Prim]: Rule<P> };

// ---- helpers -----------------------------------------------------------------------------------------

/** Sums `g` over the dimensions that broadcasting added to reach `shape` (the adjoint of broadcasting). */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let d = 0; d < g.ndim; d++) {
    if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) axes.push(d);
  }
  const s = axes.length ? sum(g, axes, true) : g;
  return reshape(s, shape);
}

/** g (reduced shape) reshaped to keep the reduced axes as size 1, then broadcast back to `shape`. */
function spread(g: Tensor, shape: readonly number[], axes: number[]): Tensor {
  const kd = shape.map((n, i) => (axes.includes(i) ? 1 : n));
  return expand(reshape(g, kd), shape);
}

/** Output padding that makes a transposed conv of `n` positions give back `size` (the adjoint's size). */
function restore(size: number, n: number, k: number, stride: number, padding: number): number {
  return size - ((n - 1) * stride - 2 * padding + k);
}

/** The adjoint of a stride-s conv of x: a transposed conv of d with H, padded back to x's size. */
function convAdjoint(d: Tensor, w: Tensor, x: Tensor, stride: number, padding: number): Tensor {
  const [kh, kw] = w.shape.slice(2);
  const outputPadding: [number, number] = [
    restore(x.shape[2], d.shape[2], kh, stride, padding), restore(x.shape[3], d.shape[3], kw, stride, padding),
  ];
  return convTranspose2d(d, w, null, { stride, padding, outputPadding });
}

const planeMean = (t: Tensor) => mean(t, [2, 3], true);

type Elementwise = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'where';
/** A rule over an elementwise op's operands, tensors and numbers in place; `want[k]`: operand k needs a gradient. */
type OperandRule = (g: Tensor, operands: TensorLike[], out: Tensor, want: boolean[]) => (Tensor | null)[];

/**
 * The rule of an elementwise prim from its operand-level rule: the node's inputs are its tensor operands
 * only (number operands are uniforms, `consts`), so operands are put back in place before and their
 * gradients dropped after. Unwanted gradients are not computed at all (each is a dispatch or two).
 */
function elementwise<P extends Elementwise>(f: OperandRule): Rule<P> {
  return (g, inputs, out, params, needs) => {
    const consts: Consts = (params as { consts: Consts }).consts;
    if (!consts) return f(g, inputs, out, needs);
    let i = 0, j = 0;
    const ops = consts.map((c) => (c === null ? inputs[i++] : c));
    const want = consts.map((c) => (c === null ? needs[j++] : false));
    return f(g, ops, out, want).filter((_, k) => consts[k] === null);
  };
}

/** g summed back to the shape of a tensor operand (only called for operands that want a gradient). */
const back = (g: Tensor, t: TensorLike) => unbroadcast(g, (t as Tensor).shape);

// ---- the table ---------------------------------------------------------------------------------------

export const rules: RuleTable = {
  // Elementwise: d/dx of each op, with `out` reused where it is cheaper (exp, sqrt, tanh, sigmoid);
  // broadcast operands get their gradient summed back to their shape.
  add: elementwise((g, [a, b], _, w) => [w[0] ? back(g, a) : null, w[1] ? back(g, b) : null]),
  sub: elementwise((g, [a, b], _, w) => [w[0] ? back(g, a) : null, w[1] ? back(neg(g), b) : null]),
  mul: elementwise((g, [a, b], _, w) => [w[0] ? back(mul(g, b), a) : null, w[1] ? back(mul(g, a), b) : null]),
  // d(a/b) = g/b, −g·a/b²
  div: elementwise((g, [a, b], _, w) => [
    w[0] ? back(div(g, b), a) : null,
    w[1] ? back(neg(div(mul(g, a), mul(b, b))), b) : null,
  ]),
  // d(a^b)/da = b·a^(b−1);  d(a^b)/db = a^b·ln a (only where a > 0; PyTorch gives NaN/0 elsewhere)
  pow: elementwise((g, [a, b], out, w) => [
    w[0] ? back(mul(g, mul(b, pow(a, typeof b === 'number' ? b - 1 : sub(b, 1)))), a) : null,
    w[1] ? back(mul(g, mul(out, typeof a === 'number' ? Math.log(a > 0 ? a : 1) : log(where(gt(a, 0), a, 1)))), b) : null,
  ]),
  neg: (g) => [neg(g)],
  exp: (g, _, out) => [mul(g, out)],
  log: (g, [a]) => [div(g, a)],
  sqrt: (g, _, out) => [div(mul(g, 0.5), out)], // ½/√a
  rsqrt: (g, _, out) => [mul(g, mul(-0.5, mul(out, mul(out, out))))], // −½·a^(−3/2)
  abs: (g, [a]) => [activationGrad('abs', a, g)], // g·sign(a), 0 at 0 like PyTorch: one dispatch
  // Activations: one fused dispatch each (activationGrad), from the input (relu, leakyRelu) or the output
  // (tanh: 1 − tanh², sigmoid: σ·(1 − σ)).
  relu: (g, [a]) => [activationGrad('relu', a, g)],
  leakyRelu: (g, [a], _, { slope }) => [activationGrad('leakyRelu', a, g, slope)], // 1 for a > 0, else slope
  tanh: (g, _, out) => [activationGrad('tanh', out, g)],
  sigmoid: (g, _, out) => [activationGrad('sigmoid', out, g)],
  // A(y, g) = g·f'(y) is linear in g: ∂/∂g Σ H·A = A(y, H). In y: relu and leakyRelu are piecewise
  // constant (0, PyTorch's convention at the kink); tanh's g·(1 − y²) gives −2y·g·H, sigmoid's
  // g·y·(1 − y) gives (1 − 2y)·g·H.
  activationGrad: (H, [y, g], _, { act, slope }, needs) => {
    const dg = needs[1] ? activationGrad(act, y, H, slope) : null;
    if (!needs[0] || act === 'relu' || act === 'leakyRelu' || act === 'abs') return [null, dg];
    const hg = mul(H, g);
    return [act === 'tanh' ? mul(hg, mul(y, -2)) : mul(hg, sub(1, mul(y, 2))), dg];
  },
  // ∂/∂z [max(z, 0) − z·y + log(1 + e^(−|z|))] = σ(z) − y;  ∂/∂y = −z.
  bceWithLogits: (g, [z, y], _, __, needs) => [needs[0] ? mul(g, sub(sigmoid(z), y)) : null, needs[1] ? mul(g, neg(z)) : null],
  compare: (_, inputs) => inputs.map(() => null),
  where: elementwise((g, [c, a, b], _, w) => [null, w[1] ? back(where(c, g, 0), a) : null, w[2] ? back(where(c, 0, g), b) : null]),

  // Reductions: sum → g broadcast back; max → g split evenly among the tied maxima (PyTorch's amax).
  sum: (g, [x], _, { axes, divisor }) => [spread(divisor === 1 ? g : div(g, divisor), x.shape, axes)],
  max: (g, [x], out, { axes }) => {
    const mask = eq(x, spread(out, x.shape, axes));
    const count = spread(sum(mask, axes), x.shape, axes);
    return [div(mul(spread(g, x.shape, axes), mask), count)];
  },

  // C = A·B:  dA = g·Bᵀ, dB = Aᵀ·g (each summed over broadcast batch dimensions)
  matmul: (g, [a, b], _, __, needs) => [
    needs[0] ? unbroadcast(matmul(g, transpose(b)), a.shape) : null,
    needs[1] ? unbroadcast(matmul(transpose(a), g), b.shape) : null,
  ],

  // Layout: each backward is the adjoint layout op (permute ↔ inverse permute, expand ↔ sum,
  // slice ↔ pad, concat ↔ slices).
  reshape: (g, [x]) => [reshape(g, x.shape)],
  permute: (g, _, __, { dims }) => {
    const inv = new Array<number>(dims.length);
    dims.forEach((d, i) => (inv[d] = i));
    return [permute(g, inv)];
  },
  expand: (g, [x]) => [unbroadcast(g, x.shape)],
  slice: (g, [x], _, { starts, ends }) => [pad(g, starts, x.shape.map((n, d) => n - ends[d]))],
  pad: (g, [x], _, { before }) => [slice(g, before, before.map((b, d) => b + x.shape[d]))],
  concat: (g, xs, _, { axis }) => {
    let off = 0;
    return xs.map((t) => {
      const st = new Array<number>(g.ndim).fill(0), en = [...g.shape];
      st[axis] = off;
      en[axis] = off + t.shape[axis];
      off += t.shape[axis];
      return slice(g, st, en);
    });
  },

  // Convolutions (see ops/conv.ts): convT(·, w) is the adjoint of conv(·, w) in x, and the weight
  // gradient WG is bilinear, so the three primitives differentiate into each other.
  // y = conv(x, w) + b:  dx = convT(g, w), dw = WG(x, g), db = Σ g
  // A fused LeakyReLU's backward first, its mask from the output (out > 0 where the conv is, slope ≥ 0).
  conv2d: (gOut, [x, w, b], out, { stride, padding, leakyRelu }, needs) => {
    const g = leakyRelu === null ? gOut : activationGrad('leakyRelu', out, gOut, leakyRelu);
    return [
      needs[0] ? convAdjoint(g, w, x, stride, padding) : null,
      needs[1] ? conv2dWeightGrad(x, g, w.shape[2], w.shape[3], stride, padding) : null,
      b && needs[2] ? sum(g, [0, 2, 3]) : null,
    ];
  },
  // y = convT(x, w) + b:  dx = conv(g, w), dw = WG(g, x) (the same sum with the maps' roles swapped), db = Σ g
  convTranspose2d: (g, [x, w, b], _, { stride, padding }, needs) => [
    needs[0] ? conv2d(g, w, null, { stride, padding }) : null,
    needs[1] ? conv2dWeightGrad(g, x, w.shape[2], w.shape[3], stride, padding) : null,
    b && needs[2] ? sum(g, [0, 2, 3]) : null,
  ],
  // G = WG(x, d) is bilinear; for upstream gradient H:  dx = convT(d, H), dd = conv(x, H)
  conv2dWeightGrad: (H, [x, d], _, { stride, padding }, needs) => [
    needs[0] ? convAdjoint(d, H, x, stride, padding) : null,
    needs[1] ? conv2d(x, H, null, { stride, padding }) : null,
  ],

  // Instance norm (see ops/norm.ts): x̂ = (x − μ)·r, r = 1/√(σ² + ε); F = instanceNormGrad(x, u) is
  // linear in u with a symmetric operator, so ∂/∂u of Σ H·F is F(x, H). Its x-derivative, per plane
  // with a = ū, b = mean(u·x̂), c = mean(H·x̂), h̄ = mean H:
  //   ∂/∂x Σ H·F = r²·( x̂·(3bc − (mean(H·u) − a·h̄)) − c·(u − a) − b·(H − h̄) )
  // Fused with a ReLU, y = max(x̂, 0): the ReLU's backward (from y: y > 0 exactly where x̂ > 0) comes first.
  instanceNorm: (g, [x], out, { eps, relu }) => [instanceNormGrad(x, g, eps, relu ? out : null)],
  // With the ReLU mask m = [y > 0] (relu): F(x, m·u), so ∂/∂u is m·F(x, H), the x-derivative is the
  // formula below with u → m·u, and y (piecewise constant through m) takes none.
  instanceNormGrad: (H, [x, uIn, y], _, { eps, relu }, needs) => {
    const du = needs[1] ? (relu ? activationGrad('relu', y, instanceNormGrad(x, H, eps)) : instanceNormGrad(x, H, eps)) : null;
    const tail = relu ? [null] : [];
    if (!needs[0]) return [null, du, ...tail];
    const u = relu ? activationGrad('relu', y, uIn) : uIn;
    const xc = sub(x, planeMean(x));
    const v = add(planeMean(mul(xc, xc)), eps); // σ² + ε
    const r2 = div(1, v);
    const xh = mul(xc, rsqrt(v));
    const a = planeMean(u), hb = planeMean(H);
    const b = planeMean(mul(u, xh)), c = planeMean(mul(H, xh));
    const k = sub(mul(mul(b, c), 3), sub(planeMean(mul(H, u)), mul(a, hb)));
    const dx = mul(r2, sub(sub(mul(xh, k), mul(c, sub(u, a))), mul(b, sub(H, hb))));
    return [dx, du, ...tail];
  },
};
