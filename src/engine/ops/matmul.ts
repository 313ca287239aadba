/**
 * @file Batched matrix product with broadcast batch dimensions, like torch.matmul on ≥2-D tensors.
 * Backward rule (dA = g·Bᵀ, dB = Aᵀ·g): `rules.ts`.
 */
import { Tensor, sizeOf } from '../tensor.ts';
import { noGrad, record } from '../tape.ts';
import { launch } from '../launch.ts';
import { matmulKernel, MM_TILE } from '../../kernels/matmul.wgsl.ts';
import { broadcastShapes, fmt, sameShape } from './shape.ts';
import { expand } from './layout.ts';
import { tidy } from '../memory.ts';

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2) throw new Error(`matmul: both operands need ≥ 2 dimensions, got ${fmt(a.shape)} and ${fmt(b.shape)}. Fix: reshape vectors to [1, n] or [n, 1].`);
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${K} vs ${K2})`);
  // Named with both operands' shapes: the batch shapes alone ([2] vs [3]) do not say which call failed.
  const op = `matmul (batch dimensions of ${fmt(a.shape)} @ ${fmt(b.shape)})`;
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = sizeOf(batch);
  const out = Tensor.empty([...batch, M, N]);
  if (out.size === 0) return record('matmul', {}, [a, b], out);
  tidy(() => {
    // An operand whose batch is all ones is shared by every batch (stride 0); other broadcasts are materialised.
    const prep = (t: Tensor, rows: number, cols: number) => {
      const tb = t.shape.slice(0, -2);
      if (sizeOf(tb) === 1) return { t, stride: 0 };
      if (sameShape(tb, batch)) return { t, stride: rows * cols };
      return { t: noGrad(() => expand(t, [...batch, rows, cols])), stride: rows * cols };
    };
    const A = prep(a, M, K), B = prep(b, K, N);
    launch(matmulKernel, undefined, {
      buffers: { A: A.t.ref, B: B.t.ref, C: out.ref },
      uniforms: { M, N, K, strideA: A.stride, strideB: B.stride },
      grid: [Math.ceil(N / MM_TILE), Math.ceil(M / MM_TILE), nb],
    });
  });
  return record('matmul', {}, [a, b], out);
}
