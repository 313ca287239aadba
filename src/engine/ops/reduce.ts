/**
 * @file Reductions over any set of axes: sum and max (primitives), mean (sum / n). The reduced axes
 * are moved last (a permute copy only when they are not already trailing), then each output is the
 * reduction of one contiguous row. Backward rules: `rules.ts`.
 */
import { Tensor, sizeOf } from '../tensor.ts';
import { noGrad, record } from '../tape.ts';
import { launch, grid1d } from '../launch.ts';
import { reduceKernel, REDUCE_WG, type ReduceOp } from '../../kernels/reduce.wgsl.ts';
import { normAxes } from './shape.ts';
import { permute } from './layout.ts';
import { div, full } from './elementwise.ts';
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
