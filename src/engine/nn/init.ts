/**
 * @file Parameter initialisation, drawn on the GPU from the engine's seeded generator (`manualSeed`
 * makes a model reproducible). PyTorch's default for Conv/Linear layers is
 * kaiming_uniform_(w, a=√5): gain = √(2 / (1 + a²)) = √(1/3), bound = gain·√3/√fan_in = 1/√fan_in,
 * and the bias is U(−1/√fan_in, 1/√fan_in) with the same fan_in. The alternative `{ normal: σ }`
 * draws weights from N(0, σ²) and zeroes biases (DCGAN/StarGAN-style discriminators).
 */
import type { Tensor } from '../tensor.ts';
import { tidy, keep } from '../memory.ts';
import { noGrad, requiresGrad } from '../tape.ts';
import { rand, randn, full } from '../ops/creation.ts';
import { mul, sub } from '../ops/elementwise.ts';

/** 'pytorch': PyTorch's defaults (above); { normal: σ }: weights N(0, σ²), biases 0. */
export type Init = 'pytorch' | { normal: number };

/** A long-lived leaf that takes gradients: out of every tidy scope, off the tape. */
export function parameter(t: Tensor): Tensor {
  return keep(requiresGrad(t));
}

/** U(−bound, bound) as 2·bound·U[0,1) − bound. */
export function uniform(shape: readonly number[], bound: number): Tensor {
  return noGrad(() => tidy(() => sub(mul(rand(shape), 2 * bound), bound)));
}

/** N(0, std²). */
export function normal(shape: readonly number[], std: number): Tensor {
  return noGrad(() => tidy(() => mul(randn(shape), std)));
}

/** Weight and optional bias parameters for a layer whose weight has the given fan-in. */
export function initWeightBias(init: Init, wShape: readonly number[], fanIn: number, biasSize: number | null): { weight: Tensor; bias: Tensor | null } {
  if (init !== 'pytorch' && !(typeof init === 'object' && Number.isFinite(init.normal) && init.normal >= 0)) {
    throw new Error(`init: expected 'pytorch' or { normal: σ ≥ 0 }, got ${JSON.stringify(init)}`);
  }
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const weight = parameter(init === 'pytorch' ? uniform(wShape, bound) : normal(wShape, init.normal));
  if (biasSize === null) return { weight, bias: null };
  const bias = parameter(init === 'pytorch' ? uniform([biasSize], bound) : full([biasSize], 0));
  return { weight, bias };
}
