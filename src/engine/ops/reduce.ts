/**
 * @file Reductions over any set of axes: sum and max (primitives), mean (the sum primitive with divisor
 * n). When the kept axes are one contiguous block (trailing reduced axes, or leading and trailing ones:
 * a bias gradient's sum over N, H, W) the kernel reads x in place as [outer, rows, inner]; otherwise the
 * reduced axes are moved last by a permute copy first. Backward rules: `rules.ts`.
 */
import { Tensor, sizeOf } from '../tensor.ts';
import { noGrad, record } from '../tape.ts';
import { launch, grid1d } from '../launch.ts';
import { reduceKernel, REDUCE_WG, type ReduceOp } from '../../kernels/reduce.wgsl.ts';
import { normAxes } from './shape.ts';
import { permute } from './layout.ts';
import { full } from './elementwise.ts';
import { tidy } from '../memory.ts';

function reduceRaw(op: ReduceOp, x: Tensor, axes: number[], keepDim: boolean, divisor = 1): Tensor {
  const kept = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => !axes.includes(i));
  const outShape = keepDim ? x.shape.map((n, i) => (axes.includes(i) ? 1 : n)) : kept.map((i) => x.shape[i]);
  const len = sizeOf(axes.map((a) => x.shape[a]));
  const rows = sizeOf(kept.map((i) => x.shape[i]));
  if (len === 0) {
    if (op === 'max') throw new Error(`max: cannot reduce over an empty dimension of [${x.shape.join(', ')}]`);
    return full(outShape, 0 / divisor); // a mean of nothing is NaN, as in PyTorch
  }
  const out = Tensor.empty(outShape);
  const run = (src: Tensor, inner: number) => {
    const perRow = len >= 64 || rows < 256 ? 'workgroup' : 'thread';
    launch(reduceKernel, { op, perRow, strided: rows > 1 && inner !== len }, {
      buffers: { x: src.ref, out: out.ref },
      uniforms: { rows, len, inner, divisor },
      grid: perRow === 'workgroup' ? grid1d(rows, 1) : grid1d(rows, REDUCE_WG),
    });
  };
  // Kept axes in one block [lo, hi): read in place; inner = what follows the block.
  const lo = kept.length ? kept[0] : x.ndim, hi = kept.length ? kept[kept.length - 1] + 1 : x.ndim;
  if (kept.length === hi - lo) run(x, sizeOf(x.shape.slice(hi)));
  else tidy(() => run(noGrad(() => permute(x, [...kept, ...axes])), len));
  return out;
}

/** Σ over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const ax = normAxes('sum', x.ndim, axes);
  return record('sum', { axes: ax, keepDim, divisor: 1 }, [x], reduceRaw('sum', x, ax, keepDim));
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
  // A sum whose kernel divides by n: one dispatch, where sum then div was two; same float operations.
  return record('sum', { axes: ax, keepDim, divisor: n }, [x], reduceRaw('sum', x, ax, keepDim, n));
}
