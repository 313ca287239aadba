/**
 * @file Elementwise ops with broadcasting (add … where, comparisons), all through the one map kernel
 * (`src/kernels/map.wgsl.ts`): an op is a WGSL expression in x0, x1, x2. Backward rules: `rules.ts`.
 */
import { Tensor } from '../tensor.ts';
import { record } from '../tape.ts';
import type { Activation, BinaryOp, CompareOp, Consts, UnaryOp } from '../prims.ts';
import { launch, grid1d, type BufferRef } from '../launch.ts';
import { mapKernel, sumGroupsKernel, MAP_WG, MAX_DIMS } from '../../kernels/map.wgsl.ts';
import { gpuDevice } from '../device.ts';
import { broadcastShapes, broadcastStrides, fmt, sameShape } from './shape.ts';

export type TensorLike = Tensor | number;

/** Uniform constants of a map expression (see map.wgsl.ts), plus WGSL functions it calls. */
export interface MapParams {
  scalar0?: number;
  scalar1?: number;
  rngCounter?: number;
  rngKey?: number;
  lib?: string;
  /** The op, for dispatch counts and profiles ('map:<op>'). */
  op?: string;
}

/** Launches the map kernel over `inputs` broadcast to `shape` (numbers are uniforms, not buffers); no tape. */
export function mapRaw(expr: string, inputs: TensorLike[], shape: readonly number[], p: MapParams = {}): Tensor {
  const out = Tensor.empty(shape);
  if (out.size === 0) return out;
  const bcast = inputs.some((t) => typeof t !== 'number' && !sameShape(t.shape, shape));
  if (bcast && shape.length > MAX_DIMS) throw new Error(`broadcasting supports at most ${MAX_DIMS} dimensions, got ${fmt(shape)}`);
  const pad = (v: number[]) => [...v, ...new Array(MAX_DIMS - v.length).fill(0)];
  const k = [0, 0, 0, 0];
  let consts = 0;
  const uniforms: Record<string, number | number[]> = {
    n: out.size, scalar0: p.scalar0 ?? 0, scalar1: p.scalar1 ?? 0, rngCounter: p.rngCounter ?? 0, rngKey: p.rngKey ?? 0, shape: pad([...shape]), k,
  };
  const buffers: Record<string, BufferRef> = { out: out.ref };
  inputs.forEach((t, i) => {
    if (typeof t === 'number') {
      k[i] = t;
      consts |= 1 << i;
      return;
    }
    buffers[`x${i}_buf`] = t.ref;
    if (bcast) uniforms[`s${i}`] = pad(broadcastStrides(t.shape, shape));
  });
  launch(mapKernel, { expr, arity: inputs.length, ndim: bcast ? shape.length : 0, bcast, consts, lib: p.lib }, {
    buffers, uniforms, grid: grid1d(out.size, MAP_WG), label: `map:${p.op ?? expr}`,
  });
  return out;
}

/** Inputs one map dispatch may sum: 7 plus the output stay within 8 storage buffers, WebGPU's default per stage. */
const SUM_ARITY = 7;

/**
 * a₀ + a₁ + … (same shapes), left to right as a chain of adds would, in ⌈(n − 1)/6⌉ dispatches; no tape.
 * Autograd sums a tensor's gradient contributions with it (a weight used by three forwards has three).
 */
export function sumRaw(ts: Tensor[]): Tensor {
  let acc = ts[0];
  for (let k = 1; k < ts.length; k += SUM_ARITY - 1) {
    const part = [acc, ...ts.slice(k, k + SUM_ARITY - 1)];
    const next = mapRaw(part.map((_, i) => `x${i}`).join(' + '), part, acc.shape, { op: 'sum' });
    if (acc !== ts[0]) acc.dispose();
    acc = next;
  }
  return acc;
}

/**
 * Many independent sums at once: sumsRaw([[a, b], [c, d, e]]) = [a + b, c + d + e], each bit for bit
 * what sumRaw gives, in as few dispatches as the device's storage-buffer limit allows (a group binds its
 * inputs and its output). Lists of one tensor come back as they are; no tape.
 */
export function sumsRaw(lists: Tensor[][]): Tensor[] {
  const out: Tensor[] = lists.map((l) => l[0]);
  const limit = gpuDevice().limits.maxStorageBuffersPerShaderStage;
  const maxGroupSize = 65535 * MAP_WG;
  let batch: number[] = [];
  let bindings = 0;
  const flush = () => {
    if (!batch.length) return;
    const arities = batch.map((k) => lists[k].length);
    const buffers: Record<string, BufferRef> = {};
    const n: number[] = [];
    batch.forEach((k, j) => {
      const l = lists[k];
      l.forEach((t, i) => { buffers[`x${j}_${i}`] = t.ref; });
      out[k] = Tensor.empty(l[0].shape);
      buffers[`out${j}`] = out[k].ref;
      n.push(l[0].size);
    });
    const [gx, gy] = grid1d(Math.max(...n), MAP_WG);
    launch(sumGroupsKernel, { arities }, { buffers, uniforms: { n }, grid: [gx, gy, batch.length], label: 'sumGroups' });
    batch = [];
    bindings = 0;
  };
  lists.forEach((l, k) => {
    if (l.length < 2) return;
    if (l.some((t) => !sameShape(t.shape, l[0].shape))) throw new Error(`sumsRaw: list ${k} mixes shapes ${l.map((t) => fmt(t.shape)).join(', ')}`);
    if (l.length + 1 > limit || l[0].size > maxGroupSize || l[0].size === 0) {
      out[k] = sumRaw(l);
      return;
    }
    if (bindings + l.length + 1 > limit) flush();
    batch.push(k);
    bindings += l.length + 1;
  });
  flush();
  return out;
}

/** A tensor filled with `value` (no tape). */
export function full(shape: readonly number[], value: number): Tensor {
  return mapRaw('u.scalar0', [], shape, { scalar0: value, op: 'fill' });
}

const shapeOf = (v: TensorLike): readonly number[] => (typeof v === 'number' ? [] : v.shape);

/** The tape's view of an elementwise op's operands: its tensors (the node's inputs), and its numbers by position. */
function operands(vs: TensorLike[]): { inputs: Tensor[]; consts: Consts } {
  const inputs = vs.filter((v): v is Tensor => typeof v !== 'number');
  return { inputs, consts: inputs.length === vs.length ? null : vs.map((v) => (typeof v === 'number' ? v : null)) };
}

const BINARY_EXPR: Record<BinaryOp, string> = {
  add: 'x0 + x1', sub: 'x0 - x1', mul: 'x0 * x1', div: 'x0 / x1', pow: 'powf(x0, x1)',
};
const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: '-x0', exp: 'exp(x0)', log: 'log(x0)', sqrt: 'sqrt(x0)', rsqrt: 'inverseSqrt(x0)', abs: 'abs(x0)',
  relu: 'max(x0, 0.0)', tanh: 'tanhf(x0)', sigmoid: 'sigmoidf(x0)',
};
const COMPARE_EXPR: Record<CompareOp, string> = {
  gt: '>', ge: '>=', lt: '<', le: '<=', eq: '==', ne: '!=',
};

function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: at least one operand must be a Tensor`);
  const shape = broadcastShapes(op, shapeOf(a), shapeOf(b));
  const { inputs, consts } = operands([a, b]);
  return record(op, { consts }, inputs, mapRaw(BINARY_EXPR[op], [a, b], shape, { op }));
}

function unary(op: UnaryOp, a: Tensor): Tensor {
  return record(op, {}, [a], mapRaw(UNARY_EXPR[op], [a], a.shape, { op }));
}

export const add = (a: TensorLike, b: TensorLike) => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike) => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike) => binary('mul', a, b);
export const div = (a: TensorLike, b: TensorLike) => binary('div', a, b);
/** a^b elementwise; negative bases need integer exponents (else NaN, as in PyTorch). */
export const pow = (a: TensorLike, b: TensorLike) => binary('pow', a, b);
export const neg = (a: Tensor) => unary('neg', a);
export const exp = (a: Tensor) => unary('exp', a);
export const log = (a: Tensor) => unary('log', a);
export const sqrt = (a: Tensor) => unary('sqrt', a);
export const rsqrt = (a: Tensor) => unary('rsqrt', a);
export const abs = (a: Tensor) => unary('abs', a);
export const relu = (a: Tensor) => unary('relu', a);
export const tanh = (a: Tensor) => unary('tanh', a);
export const sigmoid = (a: Tensor) => unary('sigmoid', a);

/** max(x, 0) + slope·min(x, 0), PyTorch's LeakyReLU (default slope 0.01). */
export function leakyRelu(a: Tensor, slope = 0.01): Tensor {
  return record('leakyRelu', { slope }, [a], mapRaw('select(x0 * u.scalar0, x0, x0 > 0.0)', [a], a.shape, { scalar0: slope, op: 'leakyRelu' }));
}

/** f'(·)·g for each activation, from y = its input (relu, leakyRelu) or output (tanh, sigmoid): x0 = y, x1 = g.
 *  The same float operations as the unfused rules (g·(1 − y²), g·(y·(1 − y))), so results are unchanged. */
const ACTIVATION_GRAD_EXPR: Record<Activation, string> = {
  relu: 'select(0.0, x1, x0 > 0.0)',
  leakyRelu: 'select(x1 * u.scalar0, x1, x0 > 0.0)',
  tanh: 'x1 * (1.0 - x0 * x0)',
  sigmoid: 'x1 * (x0 * (1.0 - x0))',
  abs: 'x1 * (select(0.0, 1.0, x0 > 0.0) - select(0.0, 1.0, x0 < 0.0))',
};

/**
 * The backward of an activation in one dispatch: g·f', with `y` the activation's input for relu and
 * leakyRelu (f' is 1 or 0 / slope by its sign) and its output for tanh (1 − y²) and sigmoid (y·(1 − y)).
 * Differentiable in y and g (rules.ts), so gradient penalties differentiate through it.
 */
export function activationGrad(act: Activation, y: Tensor, g: Tensor, slope = 0): Tensor {
  if (!sameShape(y.shape, g.shape)) throw new Error(`activationGrad: y ${fmt(y.shape)} and gradient ${fmt(g.shape)} differ`);
  return record('activationGrad', { act, slope }, [y, g], mapRaw(ACTIVATION_GRAD_EXPR[act], [y, g], y.shape, { scalar0: slope, op: `${act}Grad` }));
}

/**
 * Binary cross-entropy with logits, elementwise: max(z, 0) − z·y + log(1 + e^(−|z|)) — the stable form
 * PyTorch's binary_cross_entropy_with_logits uses (reduction 'none'; take the mean for its default). One
 * dispatch where the composed form was eleven, and its gradient (rules.ts) three: ∂/∂z = σ(z) − y,
 * ∂/∂y = −z, written with differentiable ops so second derivatives flow.
 */
export function bceWithLogits(z: Tensor, y: Tensor): Tensor {
  if (!sameShape(z.shape, y.shape)) throw new Error(`bceWithLogits: logits ${fmt(z.shape)} and targets ${fmt(y.shape)} differ: reshape one to the other`);
  // The same float operations, in the same order, as relu(z) − z·y + log(exp(|z|·−1) + 1) composed.
  return record('bceWithLogits', {}, [z, y], mapRaw('(max(x0, 0.0) - x0 * x1) + log(exp(abs(x0) * -1.0) + 1.0)', [z, y], z.shape, { op: 'bceWithLogits' }));
}

function compare(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: at least one operand must be a Tensor`);
  const shape = broadcastShapes(op, shapeOf(a), shapeOf(b));
  const { inputs, consts } = operands([a, b]);
  return record('compare', { op, consts }, inputs, mapRaw(`select(0.0, 1.0, x0 ${COMPARE_EXPR[op]} x1)`, [a, b], shape, { op }));
}
/** Comparisons return 0/1 float masks and carry no gradient. */
export const gt = (a: TensorLike, b: TensorLike) => compare('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike) => compare('ge', a, b);
export const lt = (a: TensorLike, b: TensorLike) => compare('lt', a, b);
export const le = (a: TensorLike, b: TensorLike) => compare('le', a, b);
export const eq = (a: TensorLike, b: TensorLike) => compare('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike) => compare('ne', a, b);

/** cond ≠ 0 ? a : b, broadcasting all three. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  if (typeof cond === 'number' && typeof a === 'number' && typeof b === 'number') throw new Error('where: at least one operand must be a Tensor');
  const shape = broadcastShapes('where', shapeOf(cond), shapeOf(a), shapeOf(b));
  const { inputs, consts } = operands([cond, a, b]);
  return record('where', { consts }, inputs, mapRaw('select(x2, x1, x0 != 0.0)', [cond, a, b], shape, { op: 'where' }));
}
