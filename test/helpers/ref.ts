/**
 * @file A float64 NDArray reference for the engine's ops, written independently of the engine:
 * plain loops over multi-indices, no strides tricks, no shared code with src/. Elementwise ops with
 * NumPy broadcasting, reductions over any axes (keepDim), batched matmul with broadcast batch
 * dimensions, and the layout ops (reshape, permute, expand, slice, pad, concat, transpose).
 * Values are `F64` ({ data, shape }), the currency of test/helpers/gradcheck.ts.
 */
import type { F64 } from './gradcheck.ts';

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function nd(data: ArrayLike<number>, shape: readonly number[]): F64 {
  if (data.length !== size(shape)) throw new Error(`ref: ${data.length} values for shape [${shape}]`);
  return { data: Float64Array.from(data), shape: [...shape] };
}

/** Multi-index of flat position `i` in row-major `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Flat position of multi-index `idx` in row-major `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d] + idx[d];
  return p;
}

/** NumPy broadcast shape; throws on a mismatch. */
export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < nd; i++) {
    let v = 1;
    for (const s of shapes) {
      const d = s[s.length - nd + i] ?? 1;
      if (d === 1) continue;
      if (v !== 1 && v !== d) throw new Error(`ref: cannot broadcast [${shapes.map((x) => x.join(',')).join('] [')}]`);
      v = d;
    }
    out.push(v);
  }
  return out;
}

/** Element of `a` seen at index `outIdx` of a broadcast result (trailing alignment, size-1 dims read 0). */
function readBroadcast(a: F64, outIdx: readonly number[]): number {
  const lead = outIdx.length - a.shape.length;
  const idx = a.shape.map((n, d) => (n === 1 ? 0 : outIdx[lead + d]));
  return a.data[ravel(idx, a.shape)];
}

/** out[i] = f(xs[0][i], xs[1][i], …) with broadcasting. */
export function elementwise(xs: F64[], f: (...v: number[]) => number): F64 {
  const shape = broadcastShape(...xs.map((x) => x.shape));
  const n = size(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(...xs.map((x) => readBroadcast(x, idx)));
  }
  return { data, shape };
}

export const map = (a: F64, f: (x: number) => number): F64 => elementwise([a], f);

/** Reduction over `axes` (all when undefined; negative allowed). */
export function reduce(a: F64, axes: number | number[] | undefined, keepDim: boolean, init: number, f: (acc: number, x: number) => number): F64 {
  const r = a.shape.length;
  const ax = axes === undefined ? a.shape.map((_, i) => i) : (Array.isArray(axes) ? axes : [axes]).map((d) => (d < 0 ? d + r : d));
  const keptShape = a.shape.map((n, d) => (ax.includes(d) ? 1 : n));
  const acc = new Float64Array(size(keptShape)).fill(init);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, d) => (ax.includes(d) ? 0 : v));
    const o = ravel(idx, keptShape);
    acc[o] = f(acc[o], a.data[i]);
  }
  const shape = keepDim ? keptShape : a.shape.filter((_, d) => !ax.includes(d));
  return { data: acc, shape };
}

export const sum = (a: F64, axes?: number | number[], keepDim = false) => reduce(a, axes, keepDim, 0, (s, x) => s + x);
export const max = (a: F64, axes?: number | number[], keepDim = false) => reduce(a, axes, keepDim, -Infinity, Math.max);
export function mean(a: F64, axes?: number | number[], keepDim = false): F64 {
  const s = sum(a, axes, keepDim);
  const n = a.data.length / Math.max(s.data.length, 1);
  return map(s, (x) => x / n);
}

/** Batched matmul: [..., M, K] @ [..., K, N] with broadcast batch dimensions (both operands ≥ 2-D). */
export function matmul(a: F64, b: F64): F64 {
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  if (K !== K2) throw new Error(`ref matmul: ${K} vs ${K2}`);
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = size(batch);
  const data = new Float64Array(nb * M * N);
  const aBatch = a.shape.slice(0, -2), bBatch = b.shape.slice(0, -2);
  const batchOf = (shape: number[], idx: number[]) => {
    const lead = idx.length - shape.length;
    return ravel(shape.map((n, d) => (n === 1 ? 0 : idx[lead + d])), shape);
  };
  for (let p = 0; p < nb; p++) {
    const idx = unravel(p, batch);
    const ao = batchOf(aBatch, idx) * M * K, bo = batchOf(bBatch, idx) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[ao + i * K + k] * b.data[bo + k * N + j];
        data[p * M * N + i * N + j] = s;
      }
    }
  }
  return { data, shape: [...batch, M, N] };
}

export function reshape(a: F64, shape: readonly number[]): F64 {
  const s = [...shape];
  const k = s.indexOf(-1);
  if (k >= 0) s[k] = a.data.length / size(s.filter((_, i) => i !== k));
  if (size(s) !== a.data.length) throw new Error(`ref reshape: [${a.shape}] -> [${shape}]`);
  return { data: a.data.slice(), shape: s };
}

/** out.shape[i] = a.shape[dims[i]]. */
export function permute(a: F64, dims: readonly number[]): F64 {
  const r = a.shape.length;
  const ds = dims.map((d) => (d < 0 ? d + r : d));
  const shape = ds.map((d) => a.shape[d]);
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) {
    const oi = unravel(i, shape);
    const ai = new Array<number>(r);
    ds.forEach((d, k) => (ai[d] = oi[k]));
    data[i] = a.data[ravel(ai, a.shape)];
  }
  return { data, shape };
}

export function transpose(a: F64, d0 = -2, d1 = -1): F64 {
  const r = a.shape.length;
  const [x, y] = [d0, d1].map((d) => (d < 0 ? d + r : d));
  return permute(a, a.shape.map((_, i) => (i === x ? y : i === y ? x : i)));
}

/** Broadcast to `shape` (−1 keeps a dimension). */
export function expand(a: F64, shape: readonly number[]): F64 {
  const lead = shape.length - a.shape.length;
  const s = shape.map((v, i) => (v === -1 ? a.shape[i - lead] : v));
  const data = new Float64Array(size(s));
  for (let i = 0; i < data.length; i++) data[i] = readBroadcast(a, unravel(i, s));
  return { data, shape: s };
}

/** a[starts:ends] per dimension (full extent where not given; negative counts from the end, clamped). */
export function slice(a: F64, starts: readonly number[], ends?: readonly number[]): F64 {
  const norm = (v: number, n: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const st = a.shape.map((n, d) => norm(starts[d] ?? 0, n));
  const en = a.shape.map((n, d) => Math.max(norm(ends?.[d] ?? n, n), st[d]));
  const shape = st.map((s, d) => en[d] - s);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = a.data[ravel(unravel(i, shape).map((v, d) => v + st[d]), a.shape)];
  return { data, shape };
}

/** Zero padding; widths apply to the trailing dimensions when shorter than the rank. */
export function pad(a: F64, before: readonly number[], after: readonly number[]): F64 {
  const r = a.shape.length;
  const b = a.shape.map((_, d) => before[d - (r - before.length)] ?? 0);
  const e = a.shape.map((_, d) => after[d - (r - after.length)] ?? 0);
  const shape = a.shape.map((n, d) => n + b[d] + e[d]);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < a.data.length; i++) data[ravel(unravel(i, a.shape).map((v, d) => v + b[d]), shape)] = a.data[i];
  return { data, shape };
}

export function concat(xs: F64[], axis = 0): F64 {
  const r = xs[0].shape.length;
  const ax = axis < 0 ? axis + r : axis;
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  const data = new Float64Array(size(shape));
  let off = 0;
  for (const x of xs) {
    for (let i = 0; i < x.data.length; i++) {
      const idx = unravel(i, x.shape);
      idx[ax] += off;
      data[ravel(idx, shape)] = x.data[i];
    }
    off += x.shape[ax];
  }
  return { data, shape };
}
