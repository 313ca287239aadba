/**
 * @file Elementwise ops with broadcasting (add … where, comparisons), all through the one map kernel
 * (`src/kernels/map.wgsl.ts`): an op is a WGSL expression in x0, x1, x2. Backward rules: `rules.ts`.
 */
import { Tensor } from '../tensor.ts';
import { record } from '../tape.ts';
import type { BinaryOp, CompareOp, UnaryOp } from '../prims.ts';
import { launch, grid1d, type BufferRef } from '../launch.ts';
import { mapKernel, MAP_WG, MAX_DIMS } from '../../kernels/map.wgsl.ts';
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

/** Launches the map kernel over `inputs` broadcast to `shape`; no tape. */
export function mapRaw(expr: string, inputs: Tensor[], shape: readonly number[], p: MapParams = {}): Tensor {
  const out = Tensor.empty(shape);
  if (out.size === 0) return out;
  const bcast = inputs.some((t) => !sameShape(t.shape, shape));
  if (bcast && shape.length > MAX_DIMS) throw new Error(`broadcasting supports at most ${MAX_DIMS} dimensions, got ${fmt(shape)}`);
  const pad = (v: number[]) => [...v, ...new Array(MAX_DIMS - v.length).fill(0)];
  const uniforms: Record<string, number | number[]> = {
    n: out.size, scalar0: p.scalar0 ?? 0, scalar1: p.scalar1 ?? 0, rngCounter: p.rngCounter ?? 0, rngKey: p.rngKey ?? 0, shape: pad([...shape]),
  };
  const buffers: Record<string, BufferRef> = { out: out.ref };
  inputs.forEach((t, k) => {
    buffers[`x${k}_buf`] = t.ref;
    if (bcast) uniforms[`s${k}`] = pad(broadcastStrides(t.shape, shape));
  });
  launch(mapKernel, { expr, arity: inputs.length, ndim: bcast ? shape.length : 0, bcast, lib: p.lib }, {
    buffers, uniforms, grid: grid1d(out.size, MAP_WG), label: `map:${p.op ?? expr}`,
  });
  return out;
}

/** A tensor filled with `value` (no tape). */
export function full(shape: readonly number[], value: number): Tensor {
  return mapRaw('u.scalar0', [], shape, { scalar0: value, op: 'fill' });
}

function scalarLike(v: TensorLike): Tensor {
  return typeof v === 'number' ? full([], v) : v;
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
  const ta = scalarLike(a), tb = scalarLike(b);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  return record(op, {}, [ta, tb], mapRaw(BINARY_EXPR[op], [ta, tb], shape, { op }));
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

function compare(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const ta = scalarLike(a), tb = scalarLike(b);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  return record('compare', { op }, [ta, tb], mapRaw(`select(0.0, 1.0, x0 ${COMPARE_EXPR[op]} x1)`, [ta, tb], shape, { op }));
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
  const tc = scalarLike(cond), ta = scalarLike(a), tb = scalarLike(b);
  const shape = broadcastShapes('where', tc.shape, ta.shape, tb.shape);
  return record('where', {}, [tc, ta, tb], mapRaw('select(x2, x1, x0 != 0.0)', [tc, ta, tb], shape, { op: 'where' }));
}
