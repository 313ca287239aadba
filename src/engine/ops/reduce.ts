/**
 * @file Reductions over any set of axes: sum and max (primitives), mean (sum / n). The reduced axes
 * are moved last (a permute copy only when they are not already trailing), then each output is the
 * reduction of one contiguous row.
 * Backward: sum → g broadcast back; max → g split evenly among the tied maxima (PyTorch's amax).
 */
import { Tensor, sizeOf } from '../tensor.ts';
import { record, type Rule } from '../autograd.ts';
import { launch, grid1d } from '../launch.ts';
import { reduceKernel, REDUCE_WG, type ReduceOp } from '../../kernels/reduce.wgsl.ts';
import { normAxes } from './shape.ts';
import { permute, reshape, expand } from './layout.ts';
import { noGrad } from '../autograd.ts';
import { div, eq, full, mul } from './elementwise.ts';
import { tidy } from '../memory.ts';

function reduceRaw(op: ReduceOp, x: Tensor, axes: number[], keepDim: boolean): Tensor {
  const kept = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => !axes.includes(i));
  const outShape = keepDim ? x.shape.map((n, i) => (axes.includes(i) ? 1 : n)) : kept.map((i) => x.shape[i]);
  const len = sizeOf(axes.map((a) => x.shape[a]));
  const rows = sizeOf(kept.map((i) => x.shape[i]));
  if (len === 0) {
    if (op === 'max') throw new Error(`max: cannot reduce over an empty dimension of [${x.shape.join(', ')}]`);
    return full(outShape, 0);
  }
  const trailing = axes.every((a, i) => a === x.ndim - axes.length + i);
  const out = Tensor.empty(outShape);
  const run = (src: Tensor) => {
    const perRow = len >= 64 || rows < 256 ? 'workgroup' : 'thread';
    launch(reduceKernel, { op, perRow }, {
      buffers: { x: src.ref, out: out.ref },
      uniforms: { rows, len },
      grid: perRow === 'workgroup' ? grid1d(rows, 1) : grid1d(rows, REDUCE_WG),
    });
  };
  if (trailing) run(x);
  else tidy(() => run(noGrad(() => permute(x, [...kept, ...axes]))));
  return out;
}

/** Σ over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const ax = normAxes('sum', x.ndim, axes);
  return record('sum', { axes: ax, keepDim }, [x], reduceRaw('sum', x, ax, keepDim));
}

/** Maximum over `axes` (all when omitted), like torch.amax. */
export function max(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const ax = normAxes('max', x.ndim, axes);
  return record('max', { axes: ax, keepDim }, [x], reduceRaw('max', x, ax, keepDim));
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const ax = normAxes('mean', x.ndim, axes);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  return div(sum(x, ax, keepDim), n);
}

/** g (reduced shape) reshaped to keep the reduced axes as size 1, then broadcast back to `shape`. */
function spread(g: Tensor, shape: readonly number[], axes: number[]): Tensor {
  const kd = shape.map((n, i) => (axes.includes(i) ? 1 : n));
  return expand(reshape(g, kd), shape);
}

export const reduceRules: { [P in 'sum' | 'max']: Rule<P> } = {
  sum: (g, [x], _, { axes }) => [spread(g, x.shape, axes)],
  max: (g, [x], out, { axes }) => {
    const mask = eq(x, spread(out, x.shape, axes));
    const count = spread(reduceRaw('sum', mask, axes, false), x.shape, axes);
    return [div(mul(spread(g, x.shape, axes), mask), count)];
  },
};

/** Sums each row of a contiguous [rows, len] tensor into a tensor of `shape` (rows elements); no tape. */
export function reduceRows(x: Tensor, shape: readonly number[]): Tensor {
  return reduceRaw('sum', x, [1], false).view(shape);
}
