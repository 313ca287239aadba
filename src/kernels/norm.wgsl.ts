/**
 * @file Fused instance-norm kernels, one workgroup per (n, c) plane of H·W values:
 *  - forward:  y = (x − μ)·r,  μ = mean x,  r = 1/√(mean (x − μ)² + ε)   (biased variance, PyTorch's)
 *  - backward: dx = r·(u − mean u − x̂·mean(u·x̂)),  x̂ = (x − μ)·r, u = ∂L/∂y
 * Statistics take two passes over the plane (mean, then centred sums — no E[x²] − E[x]² cancellation);
 * each pass is a strided per-thread sum and a tree in workgroup memory.
 */
import { kernel } from './kernel.ts';

/** Threads per plane: enough to stream a large plane, few for small ones (idle lanes still cost on CPU drivers). */
export function normWorkgroup(hw: number): number {
  return Math.min(256, Math.max(16, 2 ** Math.ceil(Math.log2(Math.ceil(hw / 8)))));
}

const reduce2 = (wg: number) => /* wgsl */ `
var<workgroup> ra: array<f32, ${wg}>;
var<workgroup> rb: array<f32, ${wg}>;
// Sums (a, b) over the workgroup; every thread gets the totals.
fn reduce2(lid: u32, a: f32, b: f32) -> vec2<f32> {
  ra[lid] = a;
  rb[lid] = b;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { ra[lid] = ra[lid] + ra[lid + s]; rb[lid] = rb[lid] + rb[lid + s]; }
    workgroupBarrier();
  }
  let r = vec2<f32>(ra[0], rb[0]);
  workgroupBarrier();
  return r;
}
`;

const HEAD = /* wgsl */ `
struct U { hw: u32, planes: u32, eps: f32 }
@group(0) @binding(0) var<uniform> u: U;
`;

/** Element type, per-plane count and horizontal sum of the plane loops: vec4 when H·W is a multiple of 4. */
const lanes = (vec: boolean) => ({ T: vec ? 'vec4<f32>' : 'f32', H: vec ? 'u.hw / 4u' : 'u.hw', sum: (e: string) => (vec ? `dot(${e}, vec4<f32>(1.0))` : e) });

/**
 * `vec`: the plane is read and written as vec4s (H·W a multiple of 4) — on lavapipe every load runs lane
 * by lane, so a vec4 costs about two scalar loads for four values. `relu`: the output is max(x̂, 0), the
 * ReLU that follows every instance norm in SaGAN's generator, without a dispatch of its own.
 */
export const instanceNormKernel = kernel<{ wg: number; vec: boolean; relu: boolean }>('instance_norm', ({ wg, vec, relu }) => {
  const { T, H, sum } = lanes(vec);
  return HEAD + /* wgsl */ `
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read_write> y: array<${T}>;
${reduce2(wg)}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let plane = wid.y * nwg.x + wid.x;
  let live = plane < u.planes;   // the barriers below need every thread, even past the last plane
  let H = ${H};
  let base = plane * H;
  let n = f32(u.hw);
  var s = ${T}(0.0);
  if (live) { for (var i = lid.x; i < H; i += ${wg}u) { s += x[base + i]; } }
  let mu = reduce2(lid.x, ${sum('s')}, 0.0).x / n;
  var q = ${T}(0.0);
  if (live) { for (var i = lid.x; i < H; i += ${wg}u) { let d = x[base + i] - mu; q += d * d; } }
  let r = inverseSqrt(reduce2(lid.x, ${sum('q')}, 0.0).x / n + u.eps);
  if (live) { for (var i = lid.x; i < H; i += ${wg}u) { y[base + i] = ${relu ? `max((x[base + i] - mu) * r, ${T}(0.0))` : '(x[base + i] - mu) * r'}; } }
}
`;
});

/**
 * `relu`: the incoming gradient is the fused ReLU's input gradient, g masked to where the norm's output
 * y (binding y) is positive — the ReLU's backward read in place instead of a dispatch of its own.
 */
export const instanceNormGradKernel = kernel<{ wg: number; vec: boolean; relu: boolean }>('instance_norm_grad', ({ wg, vec, relu }) => {
  const { T, H, sum } = lanes(vec);
  return HEAD + /* wgsl */ `
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read> g_buf: array<${T}>;
@group(0) @binding(3) var<storage, read_write> dx: array<${T}>;
${relu ? `@group(0) @binding(4) var<storage, read> y: array<${T}>;` : ''}
fn g(i: u32) -> ${T} { return ${relu ? `select(${T}(0.0), g_buf[i], y[i] > ${T}(0.0))` : 'g_buf[i]'}; }
${reduce2(wg)}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let plane = wid.y * nwg.x + wid.x;
  let live = plane < u.planes;
  let H = ${H};
  let base = plane * H;
  let n = f32(u.hw);
  var sx = ${T}(0.0);
  var sg = ${T}(0.0);
  if (live) { for (var i = lid.x; i < H; i += ${wg}u) { sx += x[base + i]; sg += g(base + i); } }
  let m = reduce2(lid.x, ${sum('sx')}, ${sum('sg')}) / n;   // (μ, mean g)
  var q = ${T}(0.0);
  var gq = ${T}(0.0);
  if (live) {
    for (var i = lid.x; i < H; i += ${wg}u) { let d = x[base + i] - m.x; q += d * d; gq += g(base + i) * d; }
  }
  let v = reduce2(lid.x, ${sum('q')}, ${sum('gq')}) / n;    // (σ², mean g·(x − μ))
  let r = inverseSqrt(v.x + u.eps);
  let b = v.y * r;                      // mean(g·x̂)
  if (live) {
    for (var i = lid.x; i < H; i += ${wg}u) {
      let xh = (x[base + i] - m.x) * r;
      dx[base + i] = r * (g(base + i) - m.y - xh * b);
    }
  }
}
`;
});
