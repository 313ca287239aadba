/**
 * @file Creating tensors: from values (one upload), constants (a fill kernel, no upload), ranges, and
 * seeded random numbers generated on the GPU by a counter-based hash — element i of a draw depends only
 * on (seed, offset + i), with integer arithmetic, so every runtime produces the same bits for uniforms;
 * normals use our own ln and cos (+ − × ÷ only), so they agree across drivers to a few ulps.
 */
import { Tensor, checkShape, sizeOf } from '../tensor.ts';
import { upload } from '../queue.ts';
import { full as fill, mapRaw } from './elementwise.ts';
import { fmt } from './shape.ts';

export type NestedArray = number | NestedArray[];

function flattenNested(v: NestedArray, shape: number[], depth = 0, out: number[] = []): number[] {
  if (typeof v === 'number') {
    if (depth !== shape.length && shape.length) throw new Error('tensor: ragged nested array');
    out.push(v);
    return out;
  }
  if (shape.length === depth) shape.push(v.length);
  else if (shape[depth] !== v.length) throw new Error(`tensor: ragged nested array (length ${v.length} vs ${shape[depth]} at depth ${depth})`);
  for (const x of v) flattenNested(x, shape, depth + 1, out);
  return out;
}

/** A tensor from values: a flat array/Float32Array with a shape, or nested arrays (shape inferred). */
export function tensor(values: ArrayLike<number> | NestedArray, shape?: readonly number[]): Tensor {
  let data: Float32Array;
  let s: number[];
  if (typeof values === 'number' || (Array.isArray(values) && values.some((v) => Array.isArray(v)))) {
    const inferred: number[] = [];
    data = new Float32Array(flattenNested(values as NestedArray, inferred));
    s = typeof values === 'number' ? [] : inferred;
  } else {
    data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    s = shape ? checkShape('tensor', shape) : [data.length];
  }
  if (shape && sizeOf(shape) !== data.length) throw new Error(`tensor: ${data.length} values do not fill shape ${fmt(shape)} (${sizeOf(shape)} elements)`);
  if (shape) s = checkShape('tensor', shape);
  const t = Tensor.empty(s);
  upload(t.buffer, 0, data);
  return t;
}

export function full(shape: readonly number[], value: number): Tensor {
  return fill(checkShape('full', shape), value);
}
export const zeros = (shape: readonly number[]) => full(shape, 0);
export const ones = (shape: readonly number[]) => full(shape, 1);
export const zerosLike = (t: Tensor) => full(t.shape, 0);
export const onesLike = (t: Tensor) => full(t.shape, 1);

/** start, start+step, … below stop (like torch.arange). */
export function arange(start: number, stop?: number, step = 1): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return mapRaw('u.scalar0 + fi * u.scalar1', [], [n], { scalar0: start, scalar1: step, op: 'arange' });
}

// ---- random --------------------------------------------------------------------------------------

/** PCG-style 32-bit hash (Jarzynski & Olano 2020), used in WGSL and mirrored here for seeds. */
function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

const RNG_LIB = /* wgsl */ `
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
// Two independent 24-bit uniforms in (0, 1] from (key, counter).
fn unif(key: u32, c: u32) -> f32 { return (f32(pcg(pcg(c) ^ key) >> 8u) + 1.0) * 5.9604644775390625e-8; }
fn unif2(key: u32, c: u32) -> f32 { return (f32(pcg(pcg(c) ^ key ^ 0x9e3779b9u) >> 8u) + 1.0) * 5.9604644775390625e-8; }
// ln u for u in (0, 1] with + − × ÷ only: WGSL's log/cos may be off by ~1e-4 on some drivers
// (SwiftShader's cos), and normals must match across runtimes. u = m·2^e, m in [0.5, 1);
// ln m = 2·atanh(s), s = (m − 1)/(m + 1) in [−1/3, 0): the odd series to s^15 is < 1e-8 off.
fn ln_unit(u: f32) -> f32 {
  let fe = frexp(u);
  let s = (fe.fract - 1.0) / (fe.fract + 1.0);
  let s2 = s * s;
  let p = 1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0))))));
  return 2.0 * s * p + f32(fe.exp) * 0.6931471805599453;
}
// cos(2πu): fold u to a in [0, 1/4] (cos(2πa) = −cos(2π(1/2 − a))), then the Taylor series of cos
// on [0, π/2] to x^14 (error < 1e-9).
fn cos_2pi(u: f32) -> f32 {
  var a = abs(u - round(u));
  var sgn = 1.0;
  if (a > 0.25) { a = 0.5 - a; sgn = -1.0; }
  let x = 6.283185307179586 * a;
  let x2 = x * x;
  let c = 1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0 * (1.0 - x2 / 90.0 * (1.0 - x2 / 132.0 * (1.0 - x2 / 182.0))))));
  return sgn * c;
}
`;

/** The global generator: a seed and a running counter (saved in checkpoints for exact resume). */
const rng = { seed: 0x5eed, offset: 0 };

export function manualSeed(seed: number): void {
  rng.seed = seed >>> 0;
  rng.offset = 0;
}
export function getRngState(): { seed: number; offset: number } {
  return { ...rng };
}
export function setRngState(s: { seed: number; offset: number }): void {
  rng.seed = s.seed >>> 0;
  rng.offset = s.offset;
}

export interface RandomOptions {
  /** Draw from this seed (counter 0) instead of the global generator. */
  seed?: number;
}

function draw(shape: readonly number[], expr: string, opts: RandomOptions): Tensor {
  checkShape('random', shape);
  const n = sizeOf(shape);
  let seed: number, offset: number;
  if (opts.seed !== undefined) {
    seed = opts.seed >>> 0;
    offset = 0;
  } else {
    seed = rng.seed;
    offset = rng.offset;
    rng.offset = (rng.offset + n) % 2 ** 32;
  }
  // The counter is u32: a draw wraps after 2^32 elements of one seed's stream.
  return mapRaw(expr, [], shape, { rngCounter: offset >>> 0, rngKey: pcg(seed ^ 0x6a09e667), lib: RNG_LIB, op: 'random' });
}

/** Uniform on [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return draw(shape, 'unif(u.rngKey, u.rngCounter + i) - 5.9604644775390625e-8', opts);
}

/** Standard normal (Box–Muller on two uniforms of the same counter). */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return draw(shape, 'sqrt(-2.0 * ln_unit(unif(u.rngKey, u.rngCounter + i))) * cos_2pi(unif2(u.rngKey, u.rngCounter + i))', opts);
}
