/**
 * @file The fused Adam update of up to ADAM_GROUP parameters in one dispatch (workgroup row z updates
 * parameter z): reads p, g, m, v and writes p, m, v in place, with PyTorch's arithmetic
 * (torch.optim.Adam, single-tensor path):
 *   g ← g + λ·p                     (weight decay as L2 on the gradient)
 *   m ← m + (1 − β₁)·(g − m)        (exp_avg.lerp_(g, 1 − β₁))
 *   v ← β₂·v + (1 − β₂)·g²
 *   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * The bias corrections and 1 − β are computed in float64 on the CPU and passed as uniforms (as PyTorch
 * passes Python floats: 1 − β₂ rounded once, not f32(1) − f32(0.999), which is off by 1.3e-5). On the first step
 * (`fresh` = 1) m and v are read as 0, so the state needs no separate zero-fill.
 * Why grouped: one dispatch per parameter was 76 of an `npm start` iteration's dispatches. Up to four
 * parameters (16 storage buffers; fewer where the device's per-stage limit is lower) share one dispatch;
 * WGSL cannot index bindings, so the update is written out once per parameter slot.
 */
import { kernel, comp } from './kernel.ts';

export const ADAM_WG = 256;
/** Most parameters per dispatch: 4 storage buffers each, 16 in all (the engine lowers it to the device's limit). */
export const ADAM_GROUP = 4;

/** `count` parameter slots (1 … ADAM_GROUP). */
export const adamKernel = kernel<{ count: number }>('adam', ({ count }) => {
  const slots = Array.from({ length: count }, (_, j) => j);
  const decls = slots.map((j) => /* wgsl */ `
@group(0) @binding(${4 * j + 1}) var<storage, read> grad${j}: array<f32>;
@group(0) @binding(${4 * j + 2}) var<storage, read_write> param${j}: array<f32>;
@group(0) @binding(${4 * j + 3}) var<storage, read_write> expAvg${j}: array<f32>;
@group(0) @binding(${4 * j + 4}) var<storage, read_write> expAvgSq${j}: array<f32>;`).join('');
  const updates = slots.map((j) => {
    const c = comp[j];
    return /* wgsl */ `
  if (wid.z == ${j}u && i < u.n.${c}) {
    let p = param${j}[i];
    let g = grad${j}[i] + u.weightDecay * p;
    // select, not a multiply by 0: fresh state buffers hold arbitrary bits (possibly NaN).
    let m0 = select(expAvg${j}[i], 0.0, u.fresh.${c} == 1u);
    let v0 = select(expAvgSq${j}[i], 0.0, u.fresh.${c} == 1u);
    let m = m0 + u.oneMinusBeta1 * (g - m0);
    let v = u.beta2 * v0 + u.oneMinusBeta2 * g * g;
    expAvg${j}[i] = m;
    expAvgSq${j}[i] = v;
    param${j}[i] = p - u.stepSize.${c} * m / (sqrt(v) / u.bc2Sqrt.${c} + u.eps);
  }`;
  }).join('');
  return /* wgsl */ `
struct U {
  // Per parameter slot: size, first step, lr / (1 − β₁ᵗ), √(1 − β₂ᵗ).
  n: vec4<u32>,
  fresh: vec4<u32>,
  stepSize: vec4<f32>,
  bc2Sqrt: vec4<f32>,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  eps: f32,
  weightDecay: f32,
}
@group(0) @binding(0) var<uniform> u: U;
${decls}

@compute @workgroup_size(${ADAM_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * ${ADAM_WG}u + lid.x;
${updates}
}
`;
});
