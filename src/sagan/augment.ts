/**
 * @file Differentiable augmentation of everything the critic sees (DiffAugment, Zhao et al. 2020): real
 * images, edits and the gradient penalty's interpolates go through the same kind of random transform, and
 * gradients (first and second order) flow through it to the generator and into the penalty.
 *
 * Each transform is built from the engine's differentiable ops, with its random parameters drawn on the
 * CPU from an Rng the trainer seeds with (seed, data position, call) — so a resumed run draws exactly the
 * parameters an uninterrupted one would, and no readback is needed:
 *  - color: x ← x + β (β ~ U(−0.5, 0.5) per image); saturation x ← m_c + σ(x − m_c) with m_c the
 *    per-pixel channel mean, σ ~ U(0, 2); contrast x ← m + κ(x − m), m the image mean, κ ~ U(0.5, 1.5);
 *  - translation: shift by up to S/8 pixels in each axis, zero-filled, as x ← T_y · x · T_xᵀ with one-hot
 *    shift matrices per image (two batched matmuls: linear in x, so every derivative is exact);
 *  - cutout: zero a square of side S/2 at a random centre (a multiplied constant mask).
 */
import { Tensor, tensor, add, mul, sub, mean, matmul } from '../engine/index.ts';
import { Rng } from './data/rng.ts';

export const AUGMENTS = ['color', 'translation', 'cutout'] as const;
export type Augment = (typeof AUGMENTS)[number];

/** Parses a comma-separated policy ('' or 'none': no augmentation); throws naming an unknown part. */
export function parseAugmentPolicy(s: string): Augment[] {
  const parts = s.split(',').map((p) => p.trim()).filter((p) => p && p !== 'none');
  for (const p of parts) {
    if (!AUGMENTS.includes(p as Augment)) throw new Error(`augment: unknown transform '${p}'. Fix: use a comma-separated list of ${AUGMENTS.join(', ')} (or none)`);
  }
  return [...new Set(parts)] as Augment[];
}

/** x [n, c, S, S] through the policy's transforms, in the order color, translation, cutout. */
export function diffAugment(x: Tensor, policy: readonly Augment[], rng: Rng): Tensor {
  const [n, , S] = x.shape;
  let y = x;
  if (policy.includes('color')) {
    const draw = (a: number, b: number) => tensor(Float32Array.from({ length: n }, () => rng.range(a, b)), [n, 1, 1, 1]);
    y = add(y, draw(-0.5, 0.5));
    const mc = mean(y, 1, true);
    y = add(mc, mul(sub(y, mc), draw(0, 2)));
    const m = mean(y, [1, 2, 3], true);
    y = add(m, mul(sub(y, m), draw(0.5, 1.5)));
  }
  if (policy.includes('translation')) {
    const r = Math.max(1, Math.floor(S / 8));
    const shift = () => Float32Array.from({ length: n }, () => rng.int(2 * r + 1) - r);
    const dy = shift(), dx = shift();
    y = matmul(matmul(shiftMatrices(dy, S, false), y), shiftMatrices(dx, S, true));
  }
  if (policy.includes('cutout')) {
    const half = Math.floor(S / 4); // side S/2
    const m = new Float32Array(n * S * S).fill(1);
    for (let i = 0; i < n; i++) {
      const cy = rng.int(S), cx = rng.int(S);
      for (let yy = Math.max(0, cy - half); yy < Math.min(S, cy + half); yy++) {
        for (let xx = Math.max(0, cx - half); xx < Math.min(S, cx + half); xx++) m[i * S * S + yy * S + xx] = 0;
      }
    }
    y = mul(y, tensor(m, [n, 1, S, S]));
  }
  return y;
}

/**
 * [n, 1, S, S] one-hot matrices that shift image k by d[k] pixels (zero-filled): as left factors
 * (T·x)[i, ·] = x[i − d, ·] (rows), as right factors (transposed: T[j, i] = 1 for j = i − d) (x·T)[·, i] = x[·, i − d].
 */
function shiftMatrices(d: Float32Array, S: number, right: boolean): Tensor {
  const n = d.length, t = new Float32Array(n * S * S);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < S; i++) {
      const j = i - d[k];
      if (j >= 0 && j < S) t[k * S * S + (right ? j * S + i : i * S + j)] = 1;
    }
  }
  return tensor(t, [n, 1, S, S]);
}
