/**
 * @file The convolution weight gradient G[o,c,ky,kx] = Σ_{n,Y,X} d[n,o,Y,X] · x[n,c, Y·S−pad+ky, X·S−pad+kx]
 * (NCHW; d has the conv's output size), and the sum of its split-K partial results.
 *
 * A GEMM G[o, (c,ky,kx)] = Σ_pos d[o, pos] · X[(c,ky,kx), pos] whose reduction runs over the output
 * positions. Each thread owns TM output channels × one (c, ky) × all KW taps kx (TM·KW accumulators,
 * vec4 over 4 channels). Per block of RY × RX output positions it reads TM·RY·RX values of d (as vec4
 * along the row when the row length allows aligned loads) and, for each of its RY rows, the input
 * row segment the RX positions see through all KW taps, (RX−1)·S+KW values; then it does
 * TM·RY·RX·KW multiply-adds from registers (each d value used KW times, each input value TM·KW/S).
 * Every lane of a channel group reads the same d values: where the adapter has fixed-width subgroups,
 * lane l loads d's vec4s l, l + sg, … and subgroupBroadcast hands them out (see conv.wgsl.ts for why
 * this pays on lavapipe).
 * The reduction is split over the output rows (grid z): each split writes its partial sums, and
 * `convWgradSumKernel` adds the splits (WGSL has no float atomics).
 * Loops over positions have uniform bounds and are not unrolled; KW, RY, RX and TM are.
 */
import { kernel, comp } from './kernel.ts';

export interface ConvWgradSpec {
  kw: number;
  stride: number;
  pad: number;
  /** Output channels per thread (a multiple of 4). */
  tm: number;
  ry: number;
  rx: number;
  wg: number;
  /** Read d as vec4 along rows (needs OW % 4 == 0 and RX == 4). */
  dvec: boolean;
  /**
   * dvec only: fixed subgroup width whose lanes share the loads of d (0: each thread loads all of it).
   * Needs every subgroup inside one channel group (KH·Ci a multiple of it): then all its lanes read
   * the same d values.
   */
  sg: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export const convWgradKernel = kernel<ConvWgradSpec>('convWgrad', ({ kw, stride: S, pad, tm, ry, rx, wg, dvec, sg }) => {
  const AC = (rx - 1) * S + kw;
  const M = range(tm), Q = range(tm / 4), KX = range(kw), RY = range(ry), RX = range(rx);
  let step = '';
  // d at the block's positions (zero past the map's edge), then regrouped as vec4 over 4 channels.
  // Shared (sg): row-vec4 j = r·TM + m is loaded by lane j mod sg (as dl⌊j/sg⌋) and broadcast.
  const NL = sg ? Math.ceil((ry * tm) / sg) : 0;
  for (let i = 0; i < NL; i++) step += `      let dl${i} = select(vec4<f32>(0.0), d4[(db + dchl${i} + drow${i} * u.OW) / 4u], Y0 + drow${i} < u.OH);\n`;
  for (const r of RY) for (const m of M) {
    const j = r * tm + m;
    if (sg) step += `      let e${r}_${m} = subgroupBroadcast(dl${Math.floor(j / sg)}, ${j % sg}u);\n`;
    else if (dvec) step += `      let e${r}_${m} = select(vec4<f32>(0.0), d4[(db + dch${m} + ${r}u * u.OW) / 4u], dr${r});\n`;
    else step += `      let e${r}_${m} = vec4<f32>(${RX.map((s) => `d[db + dch${m} + ${r}u * u.OW + ${s}u]`).join(', ')}${rx < 4 ? ', 0.0'.repeat(4 - rx) : ''});\n`;
  }
  for (const r of RY) for (const s of RX) for (const q of Q) {
    const lanes = range(4).map((e) => `e${r}_${4 * q + e}.${comp[s]}`).join(', ');
    step += `      let d${r}_${s}_${q} = select(vec4<f32>(0.0), vec4<f32>(${lanes}), dr${r} && dc${s});\n`;
  }
  for (const r of RY) {
    step += `      let iy${r} = iyb + ${r * S};\n      let ro${r} = xc + u32(iy${r}) * u.W;\n      let rk${r} = u32(iy${r}) < u.H;\n`;
    for (let j = 0; j < AC; j++) step += `      let v${r}_${j} = vec4<f32>(select(0.0, x[ro${r} + u32(ix0 + ${j})], rk${r} && u32(ix0 + ${j}) < u.W));\n`;
  }
  for (const b of KX) for (const q of Q) {
    let e = `g${b}_${q}`;
    for (const r of RY) for (const s of RX) e = `fma(d${r}_${s}_${q}, v${r}_${s * S + b}, ${e})`;
    step += `      g${b}_${q} = ${e};\n`;
  }
  let store = '';
  for (const q of Q) for (let e = 0; e < 4; e++) {
    store += `  if (live && o0 + ${4 * q + e}u < u.Co) {\n`;
    for (const b of KX) store += `    part[(gb + ${4 * q + e}u * u.CKK + ${b}u) * u.splits + wid.z] = g${b}_${q}[${e}];\n`;
    store += `  }\n`;
  }
  return /* wgsl */ `${sg ? 'enable subgroups;' : ''}
struct U {
  N: u32, Ci: u32, H: u32, W: u32, Co: u32, OH: u32, OW: u32, OHW: u32, KH: u32, CKK: u32,
  // row blocks per image, column blocks, row blocks per split, splits, channel groups
  YB: u32, XB: u32, RPS: u32, splits: u32, G: u32,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
${dvec ? '@group(0) @binding(2) var<storage, read> d4: array<vec4<f32>>;' : '@group(0) @binding(2) var<storage, read> d: array<f32>;'}
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>${sg ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {
  let t = (wid.y * nwg.x + wid.x) * ${wg}u + lid.x;
  let ky = t % u.KH;
  let c = (t / u.KH) % u.Ci;
  let og = min(t / (u.KH * u.Ci), u.G - 1u);
  let live = t < u.KH * u.Ci * u.G;
  let o0 = og * ${tm}u;
  // Offsets of the thread's output channels in d; channels past Co read channel Co − 1 (never stored).
${M.map((m) => `  let dch${m} = min(o0 + ${m}u, u.Co - 1u) * u.OHW;`).join('\n')}
${range(NL).map((i) => `  let drow${i} = min((sgid + ${sg * i}u) / ${tm}u, ${ry - 1}u);\n  let dchl${i} = min(o0 + (sgid + ${sg * i}u) % ${tm}u, u.Co - 1u) * u.OHW;`).join('\n')}
${KX.map((b) => Q.map((q) => `  var g${b}_${q} = vec4<f32>(0.0);`).join('\n')).join('\n')}
  let rEnd = min((wid.z + 1u) * u.RPS, u.N * u.YB);
  for (var rb = wid.z * u.RPS; rb < rEnd; rb++) {
    let n = rb / u.YB;
    let Y0 = (rb % u.YB) * ${ry}u;
    let iyb = i32(Y0 * ${S}u + ky) - ${pad};
${RY.map((r) => `    let dr${r} = Y0 + ${r}u < u.OH;`).join('\n')}
    let xc = (n * u.Ci + c) * u.H * u.W;
    for (var xb = 0u; xb < u.XB; xb++) {
      let X0 = xb * ${rx}u;
      let ix0 = i32(X0 * ${S}u) - ${pad};
${RX.map((s) => `      let dc${s} = X0 + ${s}u < u.OW;`).join('\n')}
      let db = n * u.Co * u.OHW + Y0 * u.OW + X0;
${step}    }
  }
  let gb = (o0 * u.Ci + c) * u.KH * ${kw}u + ky * ${kw}u;
${store}}
`;
});

/** out[i] = Σ_s part[i·splits + s]. */
export const convWgradSumKernel = kernel('convWgradSum', () => /* wgsl */ `
struct U { n: u32, splits: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (i >= u.n) { return; }
  var s = 0.0;
  for (var k = 0u; k < u.splits; k++) { s += part[i * u.splits + k]; }
  out[i] = s;
}
`);
