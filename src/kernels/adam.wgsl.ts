/**
 * @file The fused Adam update, one dispatch per parameter: reads p, g, m, v and writes p, m, v in place,
 * with PyTorch's arithmetic (torch.optim.Adam, single-tensor path):
 *   g ← g + λ·p                     (weight decay as L2 on the gradient)
 *   m ← m + (1 − β₁)·(g − m)        (exp_avg.lerp_(g, 1 − β₁))
 *   v ← β₂·v + (1 − β₂)·g²
 *   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * The bias corrections and 1 − β are computed in float64 on the CPU and passed as uniforms (as PyTorch
 * passes Python floats: 1 − β₂ rounded once, not f32(1) − f32(0.999), which is off by 1.3e-5). On the first step
 * (`fresh` = 1) m and v are read as 0, so the state needs no separate zero-fill.
 */
import { kernel } from './kernel.ts';

export const ADAM_WG = 256;

export const adamKernel = kernel('adam', () => /* wgsl */ `
struct U {
  n: u32,
  fresh: u32,
  stepSize: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  eps: f32,
  weightDecay: f32,
  bc2Sqrt: f32,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> expAvg: array<f32>;
@group(0) @binding(4) var<storage, read_write> expAvgSq: array<f32>;

@compute @workgroup_size(${ADAM_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * ${ADAM_WG}u + lid.x;
  if (i >= u.n) { return; }
  let p = param[i];
  let g = grad[i] + u.weightDecay * p;
  // select, not a multiply by 0: fresh state buffers hold arbitrary bits (possibly NaN).
  let m0 = select(expAvg[i], 0.0, u.fresh == 1u);
  let v0 = select(expAvgSq[i], 0.0, u.fresh == 1u);
  let m = m0 + u.oneMinusBeta1 * (g - m0);
  let v = u.beta2 * v0 + u.oneMinusBeta2 * g * g;
  expAvg[i] = m;
  expAvgSq[i] = v;
  param[i] = p - u.stepSize * m / (sqrt(v) / u.bc2Sqrt + u.eps);
}
`);
