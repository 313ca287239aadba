/**
 * @file Convolution weight gradient as an implicit GEMM with split-K:
 *   G[o, k] = Σ_q D[o, q] · Xcol[q, k],  q = (n, Y, X) over D's positions, k = (c, ky, kx),
 *   Xcol[q, k] = x[n, c, Y·S − pad + ky, X·S − pad + kx] (0 outside), never materialised.
 * Tiles as in the matmul kernel (64×64 per 16×16 workgroup, 4×4 per thread, q in slices of 16); the q
 * range is split over grid z so that small weights (few tiles, long sums) still fill the device; the
 * partial sums land in part[(o·K + k)·splits + z] and are summed by one row reduction.
 */
import { kernel } from './registry.ts';

export const WGRAD_TILE = 64;

export const convWeightGradKernel = kernel<{ kh: number; kw: number; stride: number }>('conv_wgrad', ({ kh, kw, stride }) => /* wgsl */ `
struct U { N: u32, Ci: u32, H: u32, W: u32, Co: u32, OH: u32, OW: u32, pad: u32, qPerSplit: u32, splits: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> d: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

var<workgroup> As: array<array<f32, 64>, 16>; // [q][o]
var<workgroup> Bs: array<array<f32, 64>, 16>; // [q][k]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let K = u.Ci * ${kh * kw}u;
  let P = u.OH * u.OW;
  let Q = u.N * P;
  let o0 = wid.y * 64u;
  let k0 = wid.x * 64u;
  let qBegin = wid.z * u.qPerSplit;
  let qEnd = min(Q, qBegin + u.qPerSplit);
  let tid = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var q0 = qBegin; q0 < qEnd; q0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * 256u;
      // D tile: 64 channels × 16 positions (consecutive threads: consecutive positions).
      let aq = e % 16u;
      let ao = e / 16u;
      let q = q0 + aq;
      let o = o0 + ao;
      let qn = q / P;
      let qp = q % P;
      As[aq][ao] = select(0.0, d[(qn * u.Co + o) * P + qp], q < qEnd && o < u.Co);
      // Xcol tile: 16 positions × 64 (c, ky, kx).
      let bq = e / 64u;
      let bk = e % 64u;
      let q2 = q0 + bq;
      let k = k0 + bk;
      let n = q2 / P;
      let p = q2 % P;
      let oy = p / u.OW;
      let ox = p % u.OW;
      let c = k / ${kh * kw}u;
      let ky = (k / ${kw}u) % ${kh}u;
      let kx = k % ${kw}u;
      let iy = i32(oy * ${stride}u + ky) - i32(u.pad);
      let ix = i32(ox * ${stride}u + kx) - i32(u.pad);
      let ok = q2 < qEnd && k < K && iy >= 0 && ix >= 0 && u32(iy) < u.H && u32(ix) < u.W;
      Bs[bq][bk] = select(0.0, x[((n * u.Ci + c) * u.H + u32(iy)) * u.W + u32(ix)], ok);
    }
    workgroupBarrier();
    for (var qq = 0u; qq < 16u; qq++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var r = 0u; r < 4u; r++) { a[r] = As[qq][lid.y + r * 16u]; }
      for (var c = 0u; c < 4u; c++) { b[c] = Bs[qq][lid.x + c * 16u]; }
      for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) { acc[r][c] = fma(a[r], b[c], acc[r][c]); }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let o = o0 + lid.y + r * 16u;
    for (var c = 0u; c < 4u; c++) {
      let k = k0 + lid.x + c * 16u;
      if (o < u.Co && k < K) { part[(o * K + k) * u.splits + wid.z] = acc[r][c]; }
    }
  }
}
`);
