/**
 * @file Batched matmul C[b] = A[b]·B[b], A [M,K], B [K,N], row-major. Register tiling: a 16×16
 * workgroup computes a 64×64 tile of C, each thread a 4×4 block, stepping through K in slices of 16
 * held in workgroup memory — each loaded value is used 4 times from registers and 64 times from the
 * tile, instead of once. A batch stride of 0 broadcasts an operand. Edges are masked, so any size works.
 */
import { kernel } from './kernel.ts';

export const MM_TILE = 64;

export const matmulKernel = kernel('matmul', () => /* wgsl */ `
struct U { M: u32, N: u32, K: u32, strideA: u32, strideB: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

const TS = 64u;
const BK = 16u;
var<workgroup> As: array<array<f32, 64>, 16>; // [k][m]
var<workgroup> Bs: array<array<f32, 64>, 16>; // [k][n]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.z;
  let aOff = b * u.strideA;
  let bOff = b * u.strideB;
  let cOff = b * u.M * u.N;
  let row0 = wid.y * TS;
  let col0 = wid.x * TS;
  let tid = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < u.K; k0 += BK) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * 256u;
      // A tile: 64 rows × 16 k; consecutive threads read consecutive k of one row.
      let am = e / BK;
      let ak = e % BK;
      let gm = row0 + am;
      let gk = k0 + ak;
      As[ak][am] = select(0.0, A[aOff + gm * u.K + gk], gm < u.M && gk < u.K);
      // B tile: 16 k × 64 columns; consecutive threads read consecutive columns.
      let bk = e / TS;
      let bn = e % TS;
      let gk2 = k0 + bk;
      let gn = col0 + bn;
      Bs[bk][bn] = select(0.0, B[bOff + gk2 * u.N + gn], gk2 < u.K && gn < u.N);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var r = 0u; r < 4u; r++) { a[r] = As[kk][lid.y + r * 16u]; }
      for (var c = 0u; c < 4u; c++) { bv[c] = Bs[kk][lid.x + c * 16u]; }
      for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) { acc[r][c] = fma(a[r], bv[c], acc[r][c]); }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let gm = row0 + lid.y + r * 16u;
    for (var c = 0u; c < 4u; c++) {
      let gn = col0 + lid.x + c * 16u;
      if (gm < u.M && gn < u.N) { C[cOff + gm * u.N + gn] = acc[r][c]; }
    }
  }
}
`);
