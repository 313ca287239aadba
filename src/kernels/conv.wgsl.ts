/**
 * @file Convolution kernels (NCHW): the forward of conv2d and of convTranspose2d ("gather" form),
 * which are also each other's input gradient, and the weight packing they share.
 *
 * Implicit GEMM out[o, pos] = Σ_k W[o, k]·X[k, pos] with k = (c, ky, kx), pos = (n, y, x), never
 * materialising the im2col matrix. Each thread owns a register block of TM output channels × RY rows
 * × RX columns of the output (TM·RY·RX accumulators, TM/4 vec4 per position); a workgroup owns WG
 * such blocks of one channel group. Per input channel c and kernel row ky the thread reads, for each of
 * its RY output rows, the input row segment its RX columns see through all KW taps, (RX−1)·S+KW values
 * (masked at the zero padding), and the KW weights of its TM channels as vec4s of 4 output channels,
 * from weights packed to [G, Ci, KH, KW, TM] (zero-padded to whole channel groups: aligned vec4 loads,
 * no masks). So each input value loaded is used TM·KW/S times and each weight vec4 RY·RX times.
 * When rows are a multiple of 4 long and a block's first input column is too (RX·S % 4 == 0), a conv
 * reads its row segments as aligned vec4s (a vec4 costs about two scalar loads on lavapipe).
 * On CPU WebGPU (lavapipe) a storage load whose address is not a compile-time constant runs lane by
 * lane (a branch per lane, a bounds check per component: about ten FMAs' time per lane), even when the
 * address is the same in every lane, as the weights' are; so this reuse sets the speed. Where the
 * adapter has subgroups of one fixed width (`sg`, lavapipe: 8), the lanes share the weight loads
 * instead: lane l loads vec4s l, l + sg, … of the step's weights and subgroupBroadcast (a register
 * extract there) hands each to every lane — 1/sg of the loads (measured: 1.4–2× faster convs).
 * On GPUs it is the classic register tile, with the patch in L1, and plain (uniform) weight loads.
 * Kernel size, stride, padding, tile sizes and the workgroup size are compile-time constants: the
 * column taps and the block are unrolled with constant offsets; the kernel rows are a loop with a
 * uniform bound (unrolled too, 7×7 kernels take minutes to compile in lavapipe's LLVM).
 *
 * convTranspose2d is computed as a gather split by output parity class (y + pad) mod S: in one class
 * only taps ky ≡ (y + pad) (mod S) reach the output, so each class is a dense stride-1 convolution
 * with ⌈KH/S⌉ × ⌈KW/S⌉ taps over the input — no multiplications by inserted zeros.
 */
import { kernel, packed } from './kernel.ts';

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
  /** A LeakyReLU of this slope (≥ 0) applied to each output as it is stored (the critic's conv → LeakyReLU). */
  leaky?: number;
  /** conv only: read input rows as aligned vec4s (needs W % 4 == 0 and RX·S % 4 == 0). */
  xvec: boolean;
  /** Fixed subgroup width to share weight loads over (0: every thread loads every weight itself). */
  sg: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/*
 * Names in the generated WGSL (one thread's tile is TM output channels × RY output rows × RX output
 * columns; TM channels are held as TM/4 vec4s, "quads" q, channels 4q … 4q+3):
 *   acc_r{r}_c{c}_q{q}  accumulator: output row r, column c of the block, channel quad q (RY·RX·TM/4 of them)
 *   in_r{r}_{j}         input column j of the row segment block row r reads at this tap row, splat to vec4
 *   seg_r{r}_{k}        (xvec) vec4 k of that row segment, loaded aligned
 *   w_q{q}_t{t}         the weight vec4 of channel quad q at horizontal tap t
 *   wShare{i}           (sg) the i-th weight vec4 this lane loads for the subgroup; wShareAt{i}/wShareOk{i}:
 *                       its offset in the step's weights and whether it exists
 *   rowAt{r}, rowOk{r}  start of input row iy{r} in x and whether it lies inside the image (else zero padding)
 *   ix{j}, colOk{j}     input column j of the segment and whether it lies inside the image
 *   tapOk{t}            (convT) tap t exists in this parity class
 */
/** The stored value: v, or LeakyReLU(v) with the same select as the elementwise op (so the same bits). */
const activate = (leaky: number | undefined) => /* wgsl */ `
fn act(v: f32) -> f32 { return ${leaky === undefined ? 'v' : `select(v * f32(${leaky}), v, v > 0.0)`}; }`;

export const convKernel = kernel<ConvSpec>('conv', ({ mode, kh, kw, stride: S, pad, tm, ry, rx, wg, bias, leaky, xvec, sg }) => {
  const C = mode === 'conv';
  // Horizontal taps per output: all KW for a conv, ⌈KW/S⌉ for one class of a convT.
  const tapsX = C ? kw : Math.ceil(kw / S);
  // Input columns one row of the block reads (held in registers), and which one output column c reads through tap t.
  const segCols = C ? (rx - 1) * S + kw : rx + tapsX - 1;
  const colOf = (c: number, t: number) => (C ? c * S + t : c - t + tapsX - 1);
  const quads = range(tm / 4), rows = range(ry), cols = range(rx);
  // vec4 range of the row segment (xvec): columns −pad … segCols−1−pad relative to ox0·S.
  const firstVec = Math.floor(-pad / 4), lastVec = Math.floor((segCols - 1 - pad) / 4);
  let body = '';
  for (const r of rows) {
    // Input row of output row r at vertical tap t (conv: ky = t; convT: ky = cy + S·t).
    body += `      let iy${r} = ${C ? `iyb + ${r * S}` : `iyb + ${r}`} ${C ? '+' : '-'} i32(t);\n`;
    body += `      let rowAt${r} = xc + u32(iy${r}) * u.W;\n      let rowOk${r} = u32(iy${r}) < u.H;\n`;
    if (xvec) {
      // Column ixb + j lies in vec4 m + ⌊(j − pad)/4⌋, lane (j − pad) mod 4, with m = ox0·S/4 exact.
      for (let k = firstVec; k <= lastVec; k++) {
        body += `      let seg_r${r}_${k - firstVec} = select(vec4<f32>(0.0), x4[rowAt${r} / 4u + u32(m + ${k})], rowOk${r} && vecOk${k - firstVec});\n`;
      }
      for (let j = 0; j < segCols; j++) body += `      let in_r${r}_${j} = vec4<f32>(seg_r${r}_${Math.floor((j - pad) / 4) - firstVec}[${(((j - pad) % 4) + 4) % 4}]);\n`;
    } else {
      for (let j = 0; j < segCols; j++) body += `      let in_r${r}_${j} = vec4<f32>(select(0.0, x[rowAt${r} + u32(ix${j})], rowOk${r} && colOk${j}));\n`;
    }
  }
  // The weights one (c, kernel row) step needs: vec4 j = t·TM/4 + q (tap t, channels 4q…4q+3), at
  // wk + (conv: t, convT: S·t)·TM/4 + q of the packed [G, Ci, KH, KW, TM] weights. With subgroups the
  // step's stepVecs vec4s are spread over the lanes, sharesPerLane per lane.
  const quadsPerTap = tm / 4, stepVecs = tapsX * quadsPerTap, sharesPerLane = sg ? Math.ceil(stepVecs / sg) : 0;
  if (sg) for (let i = 0; i < sharesPerLane; i++) body += `      let wShare${i} = select(vec4<f32>(0.0), wp[wk + wShareAt${i}], wShareOk${i});\n`;
  for (let t = 0; t < tapsX; t++) {
    for (const q of quads) {
      const j = t * quadsPerTap + q;
      const load = sg ? `subgroupBroadcast(wShare${Math.floor(j / sg)}, ${j % sg}u)` : `wp[wk + ${(C ? t : S * t) * quadsPerTap + q}u]`;
      body += `      let w_q${q}_t${t} = ${C || sg ? load : `select(vec4<f32>(0.0), ${load}, tapOk${t})`};\n`;
    }
    for (const r of rows) for (const c of cols) for (const q of quads) {
      body += `      acc_r${r}_c${c}_q${q} = fma(in_r${r}_${colOf(c, t)}, w_q${q}_t${t}, acc_r${r}_c${c}_q${q});\n`;
    }
  }
  const outRow = (r: number) => (C ? `oy0 + ${r}u` : `oy0 + ${r * S}u`);
  const outCol = (c: number) => (C ? `ox0 + ${c}u` : `ox0 + ${c * S}u`);
  let store = '';
  for (const r of rows) for (const c of cols) {
    store += `  if (live && ${outRow(r)} < u.OH && ${outCol(c)} < u.OW) {\n    let p = yb + (${outRow(r)}) * u.OW + ${outCol(c)};\n`;
    for (const q of quads) for (let e = 0; e < 4; e++) {
      store += `    if (o0 + ${4 * q + e}u < u.Co) { y[p + ${4 * q + e}u * u.OH * u.OW] = act(acc_r${r}_c${c}_q${q}[${e}]); }\n`;
    }
    store += `  }\n`;
  }
  const init = (q: number) => (bias ? `vec4<f32>(${range(4).map((e) => `b[min(o0 + ${4 * q + e}u, u.Co - 1u)]`).join(', ')})` : 'vec4<f32>(0.0)');
  return /* wgsl */ `${sg ? 'enable subgroups;' : ''}
// ${mode}: each thread accumulates ${tm} output channels × ${ry} row(s) × ${rx} column(s) (acc_r{row}_c{col}_q{channel quad}).
struct U {
  N: u32, Ci: u32, H: u32, W: u32, Co: u32, OH: u32, OW: u32,
  // row blocks per image (per class), column blocks; position workgroups; channel groups
  YB: u32, XB: u32, P: u32, G: u32,
  // kernel height (a uniform, so that the tap loop is not unrolled: see the file header)
  KH: u32,
}
@group(0) @binding(0) var<uniform> u: U;
${xvec ? '@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;' : '@group(0) @binding(1) var<storage, read> x: array<f32>;'}
@group(0) @binding(2) var<storage, read> wp: array<vec4<f32>>;
${bias ? '@group(0) @binding(3) var<storage, read> b: array<f32>;' : ''}
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
${activate(leaky)}

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>${sg ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {
  let L = wid.y * nwg.x + wid.x;
  let cg = min(L / u.P, u.G - 1u);
  let o0 = cg * ${tm}u;
  let wg0 = cg * u.Ci * ${kh * kw * quadsPerTap}u;
  let t0 = (L % u.P) * ${wg}u + lid.x;
  let bx = t0 % u.XB;
  let rr = t0 / u.XB;
  let n = min(rr / u.YB, u.N - 1u);
  let live = L < u.P * u.G && rr < u.N * u.YB;
${C ? `  let oy0 = (rr % u.YB) * ${ry}u;
  let ox0 = bx * ${rx}u;
  let iyb = i32(oy0 * ${S}u) - ${pad};
  let ixb = i32(ox0 * ${S}u) - ${pad};
  let taps = u.KH;
  let wcls = 0u;
${range(sharesPerLane).map((i) => `  let wShareAt${i} = sgid + ${sg * i}u;\n  let wShareOk${i} = wShareAt${i} < ${stepVecs}u;`).join('\n')}`
    : `  // Parity class (cy, cx): outputs y = q·S + cy − pad, q from the first with y ≥ 0; taps ky = cy + S·t.
  let cy = wid.z / ${S}u;
  let cx = wid.z % ${S}u;
  let qy = (${pad + S - 1}u - cy) / ${S}u + (rr % u.YB) * ${ry}u;
  let qx = (${pad + S - 1}u - cx) / ${S}u + bx * ${rx}u;
  let oy0 = qy * ${S}u + cy - ${pad}u;
  let ox0 = qx * ${S}u + cx - ${pad}u;
  let iyb = i32(qy);
  let ixb = i32(qx) - ${tapsX - 1};
  let taps = (u.KH + ${S - 1}u - cy) / ${S}u;
  let wcls = cx * ${quadsPerTap}u;
${range(sharesPerLane).map((i) => `  let wShareIdx${i} = sgid + ${sg * i}u;\n  let wShareAt${i} = wShareIdx${i} / ${quadsPerTap}u * ${S * quadsPerTap}u + wShareIdx${i} % ${quadsPerTap}u;\n  let wShareOk${i} = wShareIdx${i} < ${stepVecs}u && cx + wShareIdx${i} / ${quadsPerTap}u * ${S}u < ${kw}u;`).join('\n')}
${range(tapsX).map((t) => `  let tapOk${t} = cx + ${S * t}u < ${kw}u;`).join('\n')}`}
${xvec ? `  let m = i32(ox0 * ${S}u / 4u);\n${range(lastVec - firstVec + 1).map((k) => `  let vecOk${k} = u32(m + ${k + firstVec}) < u.W / 4u;`).join('\n')}`
    : range(segCols).map((j) => `  let ix${j} = ixb + ${j};\n  let colOk${j} = u32(ix${j}) < u.W;`).join('\n')}
${rows.map((r) => cols.map((c) => quads.map((q) => `  var acc_r${r}_c${c}_q${q} = ${init(q)};`).join('\n')).join('\n')).join('\n')}
  for (var c = 0u; c < u.Ci; c++) {
    let xc = (n * u.Ci + c) * u.H * u.W;
    for (var t = 0u; t < taps; t++) {
      let wk = wg0 + (c * ${kh * kw}u + ${C ? 't' : `(cy + ${S}u * t)`} * ${kw}u) * ${quadsPerTap}u + wcls;
${body}    }
  }
  let yb = (n * u.Co + o0) * u.OH * u.OW;
${store}}
`;
});


/**
 * A conv whose kernel covers its whole (unpadded) input — one output position, like the critic's class
 * head — is a dot product per (n, o): y[n, o] = Σ_k x[n, k]·w[o, k] (+ b[o]) over k = (c, ky, kx), both
 * contiguous in NCHW / [Co, Ci, KH, KW]. One workgroup per (n, o) splits the sum over its lanes
 * (vec4 loads when K % 4 == 0) and adds the lanes' sums in workgroup memory: the tiled kernel above
 * would give this shape one workgroup looping over every input channel.
 */
export const convDotKernel = kernel<{ vec: boolean; bias: boolean; leaky?: number }>('convDot', ({ vec, bias, leaky }) => /* wgsl */ `
struct U { N: u32, Co: u32, K: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<${vec ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(2) var<storage, read> w: array<${vec ? 'vec4<f32>' : 'f32'}>;
${bias ? '@group(0) @binding(3) var<storage, read> b: array<f32>;' : ''}
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
var<workgroup> part: array<f32, 64>;
${activate(leaky)}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = min(wid.y * nwg.x + wid.x, u.N * u.Co - 1u);   // = n · Co + o
  let n = i / u.Co;
  let o = i % u.Co;
  let K = u.K${vec ? ' / 4u' : ''};
  var s = ${vec ? 'vec4<f32>(0.0)' : '0.0'};
  for (var k = lid.x; k < K; k += 64u) { s = fma(x[n * K + k], w[o * K + k], s); }
  part[lid.x] = ${vec ? 's.x + s.y + s.z + s.w' : 's'};
  workgroupBarrier();
  for (var h = 32u; h > 0u; h = h / 2u) {
    if (lid.x < h) { part[lid.x] += part[lid.x + h]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { y[i] = act(part[0]${bias ? ' + b[o]' : ''}); }
}
`);

/**
 * Packs conv weights [Co, Ci, KH, KW] or convT weights [Ci, Co, KH, KW] to [G, Ci, KH, KW, TM]: channel
 * group by channel group, so that the weights one (group, c, kernel row) step reads are contiguous
 * (zeros for o ≥ Co). Several weights per dispatch (workgroup row z = slot j packs w{j} into wp{j}). After an optimiser step every conv weight's packs are stale; the first
 * conv that needs one packs all the stale ones it has seen (src/engine/ops/conv.ts), a few dispatches
 * instead of one per weight and mode (73 of an `npm start` iteration).
 */
export const convPackManyKernel = kernel<{ modes: ('conv' | 'convT')[] }>('convPackMany', ({ modes }) => {
  const decls = modes.map((_, j) => `@group(0) @binding(${2 * j + 1}) var<storage, read> w${j}: array<f32>;
@group(0) @binding(${2 * j + 2}) var<storage, read_write> wp${j}: array<f32>;`).join('\n');
  const bodies = modes.map((mode, j) => {
    const q = `u.p[${j}]`; // slot j's n, Ci, Co, TM (its KK is u.kk[j / 4][j % 4])
    return `  if (wid.z == ${j}u && i < ${q}.x) {
    let Ci = ${q}.y; let Co = ${q}.z; let TM = ${q}.w; let KK = u.kk${packed(j)};
    let r = i / TM;
    let tap = r % KK;
    let c = (r / KK) % Ci;
    let o = r / (KK * Ci) * TM + i % TM;
    let src = ${mode === 'conv' ? '(min(o, Co - 1u) * Ci + c) * KK + tap' : '(c * Co + min(o, Co - 1u)) * KK + tap'};
    wp${j}[i] = select(0.0, w${j}[src], o < Co);
  }`;
  }).join('\n');
  return /* wgsl */ `
struct U {
  p: array<vec4<u32>, ${modes.length}>,
  kk: array<vec4<u32>, ${Math.ceil(modes.length / 4)}>,
}
@group(0) @binding(0) var<uniform> u: U;
${decls}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
${bodies}
}
`;
});
