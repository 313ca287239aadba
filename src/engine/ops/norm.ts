/**
 * @file Instance normalisation (PyTorch's InstanceNorm2d: per sample and channel over H×W, biased
 * variance, ε = 1e-5, optional affine γ, β applied as a broadcast product and sum).
 * Two primitives, both fused kernels:
 *   instanceNorm(x)          x̂ = (x − μ)·r,                r = 1/√(σ² + ε)
 *   instanceNormGrad(x, u)   F = r·(u − ū − x̂·mean(u·x̂))   (= ∂L/∂x for u = ∂L/∂x̂)
 * F is linear in u with a symmetric operator (r times a projection), so ∂/∂u of Σ H·F is F(x, H).
 * Its x-derivative was derived by hand and is written with differentiable ops in `rules.ts`, so
 * third derivatives exist too; checked against finite differences.
 */
import { Tensor } from '../tensor.ts';
import { record } from '../tape.ts';
import { launch, grid1d, type BufferRef } from '../launch.ts';
import { instanceNormKernel, instanceNormGradKernel, normWorkgroup } from '../../kernels/norm.wgsl.ts';
import { add, mul, relu } from './elementwise.ts';
import { reshape } from './layout.ts';
import { fmt, sameShape } from './shape.ts';

/** Kernel specialisation for planes of hw values: vec4 loads when hw is a multiple of 4, threads for what each reads. */
function normSpec(hw: number): { wg: number; vec: boolean } {
  const vec = hw % 4 === 0;
  return { wg: normWorkgroup(vec ? hw / 4 : hw), vec };
}

function planes(op: string, x: Tensor): { planes: number; hw: number } {
  if (x.ndim !== 4) throw new Error(`${op}: expected [N, C, H, W], got ${fmt(x.shape)}`);
  return { planes: x.shape[0] * x.shape[1], hw: x.shape[2] * x.shape[3] };
}

function normPrim(x: Tensor, eps: number, relu: boolean): Tensor {
  const p = planes('instanceNorm2d', x);
  const out = Tensor.empty(x.shape);
  if (out.size) launch(instanceNormKernel, { ...normSpec(p.hw), relu }, { buffers: { x: x.ref, y: out.ref }, uniforms: { hw: p.hw, planes: p.planes, eps }, grid: grid1d(p.planes, 1) });
  return record('instanceNorm', { eps, relu }, [x], out);
}

/**
 * ∂L/∂x of the normalisation for u = ∂L/∂x̂ (a fused kernel; differentiable in x and u). With
 * `reluOut`, the output y of a norm fused with a ReLU, u is the gradient at the ReLU's output and is
 * masked to y > 0 inside the kernel (the ReLU's backward without a dispatch of its own).
 */
export function instanceNormGrad(x: Tensor, u: Tensor, eps = 1e-5, reluOut: Tensor | null = null): Tensor {
  const p = planes('instanceNormGrad', x);
  if (!sameShape(x.shape, u.shape)) throw new Error(`instanceNormGrad: x ${fmt(x.shape)} and gradient ${fmt(u.shape)} differ`);
  if (reluOut && !sameShape(x.shape, reluOut.shape)) throw new Error(`instanceNormGrad: x ${fmt(x.shape)} and the ReLU output ${fmt(reluOut.shape)} differ`);
  const out = Tensor.empty(x.shape);
  const buffers: Record<string, BufferRef> = { x: x.ref, g_buf: u.ref, dx: out.ref };
  if (reluOut) buffers.y = reluOut.ref;
  if (out.size) launch(instanceNormGradKernel, { ...normSpec(p.hw), relu: reluOut !== null }, { buffers, uniforms: { hw: p.hw, planes: p.planes, eps }, grid: grid1d(p.planes, 1) });
  return record('instanceNormGrad', { eps, relu: reluOut !== null }, reluOut ? [x, u, reluOut] : [x, u], out);
}

export interface InstanceNormOptions {
  eps?: number;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Apply a ReLU to the result (fused into the norm's kernel when there is no affine γ, β). */
  relu?: boolean;
}

/** InstanceNorm2d: (x − μ)/√(σ² + ε) per (n, c) plane, then ·γ + β per channel when given, then ReLU if asked. */
export function instanceNorm2d(x: Tensor, opts: InstanceNormOptions = {}): Tensor {
  const eps = opts.eps ?? 1e-5;
  planes('instanceNorm2d', x);
  const C = x.shape[1];
  for (const [name, t] of [['weight', opts.weight], ['bias', opts.bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new Error(`instanceNorm2d: ${name} must be [${C}] for input ${fmt(x.shape)}, got ${fmt(t.shape)}`);
  }
  const affine = Boolean(opts.weight || opts.bias);
  let y = normPrim(x, eps, Boolean(opts.relu) && !affine);
  if (opts.weight) y = mul(y, reshape(opts.weight, [1, C, 1, 1]));
  if (opts.bias) y = add(y, reshape(opts.bias, [1, C, 1, 1]));
  return opts.relu && affine ? relu(y) : y;
}
