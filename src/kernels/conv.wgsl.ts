/**
 * @file Convolution kernels (NCHW): the forward of conv2d and of convTranspose2d ("gather" form),
 * which are also each other's input gradient, and the weight packing they share.
 *
 * Implicit GEMM out[o, pos] = Σ_k W[o, k]·X[k, pos] with k = (c, ky, kx), pos = (n, y, x), never
 * materialising the im2col matrix. Each thread owns a register block of TM output channels × RY rows
 * × RX columns of the output (TM·RY·RX accumulators, TM/4 vec4 per position); a workgroup owns WG
 * such blocks of one channel group. Per input channel c the thread
 *  - reads the input patch its block touches once, ((RY−1)·S+KH) × ((RX−1)·S+KW) values (masked at
 *    the zero padding), and
 *  - reads each weight of the channel group as a vec4 of 4 output channels, from weights packed to
 *    [Ci, KH, KW, Co↑TM] (zero-padded to whole channel groups: no masks, aligned vec4 loads),
 * then does TM·RY·RX·KH·KW multiply-adds from registers. On CPU WebGPU (lavapipe) a load costs about
 * as much per lane as ten FMAs, whether its address is uniform or not, so this reuse — each input
 * value used TM·(taps that see it) times, each weight vec4 used RY·RX times — is what sets the speed;
 * on GPUs it is the classic register tile, with the patch in L1.
 * Kernel size, stride, padding, tile sizes and the workgroup size are compile-time constants: every
 * tap loop is unrolled and every offset is a constant.
 *
 * convTranspose2d is computed as a gather split by output parity class (y + pad) mod S: in one class
 * only taps ky ≡ (y + pad) (mod S) reach the output, so each class is a dense stride-1 convolution
 * with ⌈KH/S⌉ × ⌈KW/S⌉ taps over the input — no multiplications by inserted zeros.
 */
import { kernel } from './registry.ts';

export interface ConvSpec {
  /** conv: out[y] = Σ x[y·S − pad + ky]·w[ky];  convT: out[y] = Σ_{y = i·S − pad + ky} x[i]·w[ky]. */
  mode: 'conv' | 'convT';
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  /** Output channels per thread (a multiple of 4). */
  tm: number;
  /** Output rows and columns per thread (in the parity class for convT). */
  ry: number;
  rx: number;
  /** Threads per workgroup. */
  wg: number;
  bias: boolean;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export const convKernel = kernel<ConvSpec>('conv', ({ mode, kh, kw, stride: S, pad, tm, ry, rx, wg, bias }) => {
  const C = mode === 'conv';
  // Taps per output in each dimension: all of them for a conv, ⌈K/S⌉ for one class of a convT.
  const ty = C ? kh : Math.ceil(kh / S);
  const tx = C ? kw : Math.ceil(kw / S);
  // Patch of input rows/columns the block reads, and which patch entry output r with tap t reads.
  const AR = C ? (ry - 1) * S + kh : ry + ty - 1;
  const AC = C ? (rx - 1) * S + kw : rx + tx - 1;
  const pr = (r: number, t: number) => (C ? r * S + t : r - t + ty - 1);
  const pc = (r: number, t: number) => (C ? r * S + t : r - t + tx - 1);
  const Q = range(tm / 4), RY = range(ry), RX = range(rx);
  // Packed weight wp[c][ky][kx][o]; convT's taps of class (cy, cx) are ky = cy + S·t.
  const wIdx = (a: number, b: number, q: number) => (C
    ? `wc + ${a * kw + b}u * u.Cop4 + og4 + ${q}u`
    : `wc + wcls + ${S * a * kw + S * b}u * u.Cop4 + og4 + ${q}u`);
  let body = '';
  for (let a = 0; a < AR; a++) for (let j = 0; j < AC; j++) {
    body += `    let v${a}_${j} = vec4<f32>(select(0.0, x[xc + ro${a} + u32(ix${j})], rk${a} && ck${j}));\n`;
  }
  for (let a = 0; a < ty; a++) for (let b = 0; b < tx; b++) {
    const tap = C ? 'true' : `tapY${a} && tapX${b}`;
    for (const q of Q) body += `    let w${q}_${a}_${b} = select(vec4<f32>(0.0), wp[${wIdx(a, b, q)}], ${tap});\n`;
    for (const r of RY) for (const s of RX) for (const q of Q) {
      body += `    a${r}_${s}_${q} = fma(v${pr(r, a)}_${pc(s, b)}, w${q}_${a}_${b}, a${r}_${s}_${q});\n`;
    }
  }
  const outRow = (r: number) => (C ? `oy0 + ${r}u` : `oy0 + ${r * S}u`);
  const outCol = (s: number) => (C ? `ox0 + ${s}u` : `ox0 + ${s * S}u`);
  let store = '';
  for (const r of RY) for (const s of RX) {
    store += `  if (live && ${outRow(r)} < u.OH && ${outCol(s)} < u.OW) {\n    let p = yb + (${outRow(r)}) * u.OW + ${outCol(s)};\n`;
    for (const q of Q) for (let e = 0; e < 4; e++) {
      store += `    if (o0 + ${4 * q + e}u < u.Co) { y[p + ${4 * q + e}u * u.OH * u.OW] = a${r}_${s}_${q}[${e}]; }\n`;
    }
    store += `  }\n`;
  }
  const init = (q: number) => (bias ? `vec4<f32>(${range(4).map((e) => `b[min(o0 + ${4 * q + e}u, u.Co - 1u)]`).join(', ')})` : 'vec4<f32>(0.0)');
  return /* wgsl */ `
struct U {
  N: u32, Ci: u32, H: u32, W: u32, Co: u32, OH: u32, OW: u32,
  // packed channels / 4; row blocks per image (per class), column blocks; position workgroups; channel groups
  Cop4: u32, YB: u32, XB: u32, P: u32, G: u32,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wp: array<vec4<f32>>;
${bias ? '@group(0) @binding(3) var<storage, read> b: array<f32>;' : ''}
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let L = wid.y * nwg.x + wid.x;
  let cg = min(L / u.P, u.G - 1u);
  let o0 = cg * ${tm}u;
  let og4 = cg * ${tm / 4}u;
  let t = (L % u.P) * ${wg}u + lid.x;
  let bx = t % u.XB;
  let rr = t / u.XB;
  let n = min(rr / u.YB, u.N - 1u);
  let live = L < u.P * u.G && rr < u.N * u.YB;
${C ? `  let oy0 = (rr % u.YB) * ${ry}u;
  let ox0 = bx * ${rx}u;
  let iyb = i32(oy0 * ${S}u) - ${pad};
  let ixb = i32(ox0 * ${S}u) - ${pad};`
    : `  // Parity class (cy, cx) and the first q of the class with y = q·S + cy − pad ≥ 0.
  let cy = wid.z / ${S}u;
  let cx = wid.z % ${S}u;
  let qy = (${pad + S - 1}u - cy) / ${S}u + (rr % u.YB) * ${ry}u;
  let qx = (${pad + S - 1}u - cx) / ${S}u + bx * ${rx}u;
  let oy0 = qy * ${S}u + cy - ${pad}u;
  let ox0 = qx * ${S}u + cx - ${pad}u;
  let iyb = i32(qy) - ${ty - 1};
  let ixb = i32(qx) - ${tx - 1};
  let wcls = (cy * ${kw}u + cx) * u.Cop4;
${range(ty).map((a) => `  let tapY${a} = cy + ${S * a}u < ${kh}u;`).join('\n')}
${range(tx).map((b) => `  let tapX${b} = cx + ${S * b}u < ${kw}u;`).join('\n')}`}
${range(AR).map((a) => `  let rk${a} = u32(iyb + ${a}) < u.H;\n  let ro${a} = u32(iyb + ${a}) * u.W;`).join('\n')}
${range(AC).map((j) => `  let ix${j} = ixb + ${j};\n  let ck${j} = u32(ix${j}) < u.W;`).join('\n')}
${RY.map((r) => RX.map((s) => Q.map((q) => `  var a${r}_${s}_${q} = ${init(q)};`).join('\n')).join('\n')).join('\n')}
  for (var c = 0u; c < u.Ci; c++) {
    let xc = (n * u.Ci + c) * u.H * u.W;
    let wc = c * ${kh * kw}u * u.Cop4;
${body}  }
  let yb = (n * u.Co + o0) * u.OH * u.OW;
${store}}
`;
});

/** Packs a conv weight [Co, Ci, KH, KW] or a convT weight [Ci, Co, KH, KW] to [Ci, KH, KW, Cop] (zeros for o ≥ Co). */
export const convPackKernel = kernel<{ mode: 'conv' | 'convT' }>('convPack', ({ mode }) => /* wgsl */ `
struct U { n: u32, Ci: u32, Co: u32, Cop: u32, KK: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wp: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= u.n) { return; }
  let o = i % u.Cop;
  let r = i / u.Cop;        // c · KK + tap
  let c = r / u.KK;
  let tap = r % u.KK;
  let src = ${mode === 'conv' ? '(min(o, u.Co - 1u) * u.Ci + c) * u.KK + tap' : '(c * u.Co + min(o, u.Co - 1u)) * u.KK + tap'};
  wp[i] = select(0.0, w[src], o < u.Co);
}
`);
