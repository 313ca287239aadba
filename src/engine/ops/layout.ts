/**
 * @file Layout ops: reshape (a view), permute, expand, slice, pad, concat (copies through the one
 * strided-copy kernel), and the composites built from them (transpose, flatten, unsqueeze, squeeze).
 * Backward rules (the adjoint layout ops): `rules.ts`.
 */
import { Tensor, sizeOf } from '../tensor.ts';
import { record } from '../tape.ts';
import { launch, grid1d } from '../launch.ts';
import { copyKernel, COPY_WG } from '../../kernels/copy.wgsl.ts';
import { MAX_DIMS } from '../../kernels/map.wgsl.ts';
import { fmt, normAxes, stridesOf } from './shape.ts';
import { full } from './elementwise.ts';

const pad8 = (v: number[]) => [...v, ...new Array(MAX_DIMS - v.length).fill(0)];

/** Copies `src` (read with `srcStrides` from `srcOff`) over `shape` into `dst` (with `dstStrides` from `dstOff`). */
function stridedCopy(src: Tensor, srcOff: number, srcStrides: number[], dst: Tensor, dstOff: number, dstStrides: number[], shape: readonly number[]): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  if (shape.length > MAX_DIMS) throw new Error(`layout ops support at most ${MAX_DIMS} dimensions, got ${fmt(shape)}`);
  launch(copyKernel, { ndim: shape.length }, {
    buffers: { src: src.ref, out: dst.ref },
    uniforms: { n, srcOff, dstOff, shape: pad8([...shape]), sst: pad8(srcStrides), dst: pad8(dstStrides) },
    grid: grid1d(n, COPY_WG),
  });
}

/** Same data, new shape (one dimension may be −1). No copy: the result shares the storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg !== -1) {
    const rest = sizeOf(s.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`reshape: cannot reshape ${fmt(x.shape)} into ${fmt(shape)}`);
    s[neg] = x.size / rest;
  }
  if (s.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(s) !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)}`);
  }
  return record('reshape', { shape: s }, [x], x.view(s));
}

/** Reorders dimensions: out.shape[i] = x.shape[dims[i]] (a copy). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const d = normAxes('permute', x.ndim, dims);
  if (dims.length !== x.ndim || d.length !== x.ndim) throw new Error(`permute: dims [${dims.join(', ')}] is not a permutation of ${x.ndim} axes of ${fmt(x.shape)}`);
  const nd = dims.map((a) => (a < 0 ? a + x.ndim : a));
  const shape = nd.map((a) => x.shape[a]);
  const st = stridesOf(x.shape);
  const out = Tensor.empty(shape);
  stridedCopy(x, 0, nd.map((a) => st[a]), out, 0, stridesOf(shape), shape);
  return record('permute', { dims: nd }, [x], out);
}

/** Broadcasts to `shape` (PyTorch's expand; −1 keeps a dimension; new leading dims allowed). A copy. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  if (lead < 0) throw new Error(`expand: cannot expand ${fmt(x.shape)} to fewer dimensions ${fmt(shape)}`);
  const s = shape.map((v, i) => (v === -1 ? (i < lead ? NaN : x.shape[i - lead]) : v));
  const st = stridesOf(x.shape);
  const srcStrides = s.map((v, i) => {
    if (i < lead) return 0;
    const xd = x.shape[i - lead];
    if (xd === v) return st[i - lead];
    if (xd === 1) return 0;
    throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)} (dimension ${i}: ${xd} → ${v}; only size-1 dimensions expand)`);
  });
  if (s.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`expand: invalid target shape ${fmt(shape)}`);
  const out = Tensor.empty(s);
  stridedCopy(x, 0, srcStrides, out, 0, stridesOf(s), s);
  return record('expand', { shape: s }, [x], out);
}

/** x[starts[0]:ends[0], …] (missing trailing dims are taken whole; negative indices count from the end). */
export function slice(x: Tensor, starts: readonly number[], ends?: readonly number[]): Tensor {
  if (starts.length > x.ndim || (ends && ends.length > x.ndim)) throw new Error(`slice: more bounds than dimensions of ${fmt(x.shape)}`);
  const st: number[] = [], en: number[] = [];
  for (let d = 0; d < x.ndim; d++) {
    const n = x.shape[d];
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    st.push(norm(starts[d] ?? 0));
    en.push(Math.max(norm(ends?.[d] ?? n), st[d]));
  }
  const shape = st.map((s, d) => en[d] - s);
  const strides = stridesOf(x.shape);
  const out = Tensor.empty(shape);
  stridedCopy(x, st.reduce((a, s, d) => a + s * strides[d], 0), strides, out, 0, stridesOf(shape), shape);
  return record('slice', { starts: st, ends: en }, [x], out);
}

/** Zero padding: `before[d]` zeros before and `after[d]` after dimension d (missing leading dims: 0). */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  const lead = (v: readonly number[]) => [...new Array(x.ndim - v.length).fill(0), ...v];
  if (before.length > x.ndim || after.length > x.ndim) throw new Error(`pad: more pad widths than dimensions of ${fmt(x.shape)}`);
  const b = lead(before), a = lead(after);
  if ([...b, ...a].some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`pad: widths must be non-negative integers, got before [${before}] after [${after}]`);
  const shape = x.shape.map((n, d) => n + b[d] + a[d]);
  const out = full(shape, 0);
  const ost = stridesOf(shape);
  stridedCopy(x, 0, stridesOf(x.shape), out, b.reduce((acc, v, d) => acc + v * ost[d], 0), ost, x.shape);
  return record('pad', { before: b, after: a }, [x], out);
}

/** Joins tensors along `axis`; all other dimensions must agree. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const ref = xs[0];
  const ax = normAxes('concat', ref.ndim, axis)[0];
  for (const t of xs) {
    if (t.ndim !== ref.ndim || t.shape.some((v, d) => d !== ax && v !== ref.shape[d])) {
      throw new Error(`concat: shapes ${xs.map((x) => fmt(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const shape = [...ref.shape];
  shape[ax] = xs.reduce((s, t) => s + t.shape[ax], 0);
  const out = Tensor.empty(shape);
  const ost = stridesOf(shape);
  let off = 0;
  for (const t of xs) {
    stridedCopy(t, 0, stridesOf(t.shape), out, off * ost[ax], ost, t.shape);
    off += t.shape[ax];
  }
  return record('concat', { axis: ax }, xs, out);
}

// ---- composites (no rules of their own) ----------------------------------------------------------

/** Swaps two dimensions (default: the last two). */
export function transpose(x: Tensor, d0 = -2, d1 = -1): Tensor {
  const [a, b] = [d0, d1].map((d) => normAxes('transpose', x.ndim, d)[0]);
  const dims = Array.from({ length: x.ndim }, (_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, dims);
}

export function flatten(x: Tensor, start = 0): Tensor {
  const s = normAxes('flatten', x.ndim, start)[0];
  return reshape(x, [...x.shape.slice(0, s), -1]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.ndim + 1 : axis;
  if (a < 0 || a > x.ndim) throw new Error(`unsqueeze: axis ${axis} out of range for rank ${x.ndim}`);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normAxes('squeeze', x.ndim, axis)[0];
  if (x.shape[a] !== 1) return x;
  return reshape(x, x.shape.filter((_, i) => i !== a));
}
