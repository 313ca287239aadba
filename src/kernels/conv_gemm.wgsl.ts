/**
 * @file The GPU-shaped convolution kernels: conv2d, convTranspose2d and the weight gradient as one
 * tiled implicit GEMM, C[m, n] = Σ_k A[m, k]·B[k, n], with A and B gathered from the tensors as the
 * tiles are loaded (no im2col matrix in memory):
 *   conv   m = o, n = (img, Y, X), k = (c, ky, kx):  A = w[o, c, ky, kx] (PyTorch's layout as it is),
 *          B = x[img, c, Y·S − p + ky, X·S − p + kx]
 *   convT  one output parity class per grid z (as in conv.wgsl.ts: outputs Y = qy·S + cy − p see only
 *          taps ky = cy + S·t, at input row qy − t): m = o, n = (img, qy, qx), k = (c, ty, tx),
 *          A = w[c, o, cy + S·ty, cx + S·tx], B = x[img, c, qy − ty, qx − tx]
 *   wgrad  m = o, n = (c, ky, kx), k = (img, Y, X):  A = d[img, o, Y, X], B = x[img, c, Y·S − p + ky, X·S − p + kx];
 *          the reduction (every output position of the batch) is split over grid z when the output
 *          alone gives too few workgroups (split-K), each split writing partial sums that
 *          convWgradSumKernel adds in a fixed order.
 * A workgroup owns a BM × BN tile of C and walks k in steps of BK: its threads load the step's
 * BM × BK slice of A and BK × BN slice of B into workgroup memory (consecutive threads read
 * consecutive addresses: k-consecutive for A and for the wgrad's B, n-consecutive — neighbouring
 * output columns — for the convs' B), then each thread multiplies a TM × TN register block out of
 * it, its rows and columns strided by the thread grid so that its stores coalesce too.
 * Geometry is compiled in (the index arithmetic divides by constants); the batch size is a uniform.
 * This is the classic shape for GPUs; on CPU adapters (lavapipe) the register-blocked kernels of
 * conv.wgsl.ts / conv_wgrad.wgsl.ts are faster and stay the default (src/engine/ops/conv.ts).
 */
import { kernel } from './kernel.ts';

export interface ConvGemmSpec {
  mode: 'conv' | 'convT' | 'wgrad';
  ci: number;
  co: number;
  h: number;
  w: number;
  /** Output (conv, convT) or d (wgrad) height and width. */
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  /** The tile: BM × BN of C per workgroup, BK of k per step, TM × TN per thread. */
  tile: GemmTile;
  bias: boolean;
  /** A LeakyReLU of this slope (≥ 0) applied as each output is stored (conv only). */
  leaky?: number;
  /** wgrad: write partial sums per split (grid z) for convWgradSumKernel; false: the result itself. */
  split: boolean;
}

export interface GemmTile {
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
}

/** Threads per workgroup of a tile. */
export const gemmThreads = (t: GemmTile) => (t.bm / t.tm) * (t.bn / t.tn);

/** Whether a tile's loads divide evenly among its threads (the generated loops assume so). */
export function gemmTileValid(t: GemmTile): boolean {
  const T = gemmThreads(t);
  return Number.isInteger(T) && T <= 256 && t.bm % t.tm === 0 && t.bn % t.tn === 0 &&
    T % t.bk === 0 && t.bm % (T / t.bk) === 0 && t.bn % (T / t.bk) === 0 && // A, and the wgrad's B
    T % t.bn === 0 && t.bk % (T / t.bn) === 0; // the convs' B
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Kernel taps per input channel that reach an output (a convT's parity class: ⌈KH/S⌉ × ⌈KW/S⌉), and their columns. */
export function gemmTaps(s: Pick<ConvGemmSpec, 'mode' | 'kh' | 'kw' | 'stride'>): { taps: number; tx: number } {
  const ty = s.mode === 'convT' ? Math.ceil(s.kh / s.stride) : s.kh;
  const tx = s.mode === 'convT' ? Math.ceil(s.kw / s.stride) : s.kw;
  return { taps: ty * tx, tx };
}

export const convGemmKernel = kernel<ConvGemmSpec>('convGemm', (s) => {
  const { mode, ci, co, h, w, oh, ow, kh, kw, stride: S, pad, tile, bias, leaky, split } = s;
  const { bm: BM, bn: BN, bk: BK, tm: TM, tn: TN } = tile;
  if (!gemmTileValid(tile)) throw new Error(`convGemm: tile ${JSON.stringify(tile)} does not divide its loads evenly`);
  const T = gemmThreads(tile), TXN = BN / TN, TYM = BM / TM;
  // Row strides of the tiles in workgroup memory, one word longer than a row: the A tile (and the
  // wgrad's B tile) is written by threads a row apart, which would otherwise all hit one bank.
  const AS = BM + 1, BS = BN + 1;
  const { taps, tx: TX } = gemmTaps(s);
  const QH = Math.ceil(oh / S), QW = Math.ceil(ow / S);
  const HW = h * w, OHW = oh * ow, KK = kh * kw;
  const W = mode === 'wgrad';
  // ---- A: BM × BK, thread loads rows tid / BK + i·(T / BK) at column tid % BK ----
  const aRows = BM / (T / BK);
  let loadA = `    let ak = k0 + tid % ${BK}u;\n    let akOk = ak < kEnd;\n`;
  if (mode === 'convT') loadA += `    let ac = ak / ${taps}u;\n    let aky = cy + ${S}u * ((ak % ${taps}u) / ${TX}u);\n    let akx = cx + ${S}u * (ak % ${TX}u);\n    let atapOk = aky < ${kh}u && akx < ${kw}u;\n`;
  if (W) loadA += `    let aimg = ak / ${OHW}u;\n    let apos = ak % ${OHW}u;\n`;
  for (const i of range(aRows)) {
    const m = `(m0 + tid / ${BK}u + ${i * (T / BK)}u)`;
    const at = `(tid / ${BK}u + ${i * (T / BK)}u) + (tid % ${BK}u) * ${AS}u`;
    const addr = mode === 'conv' ? `${m} * ${ci * KK}u + ak`
      : mode === 'convT' ? `((ac * ${co}u + ${m}) * ${kh}u + aky) * ${kw}u + akx`
        : `(aimg * ${co}u + ${m}) * ${OHW}u + apos`;
    const ok = `akOk && ${m} < ${co}u${mode === 'convT' ? ' && atapOk' : ''}`;
    loadA += `    As[${at}] = select(0.0, a[${addr}], ${ok});\n`;
  }
  // ---- B: BK × BN ----
  let loadB = '', fixedB = '';
  if (!W) {
    // Thread loads column tid % BN (its output position, decoded once) at rows tid / BN + i·(T / BN).
    const bRows = BK / (T / BN);
    fixedB += `  let bn = n0 + tid % ${BN}u;\n`;
    if (mode === 'conv') {
      fixedB += `  let bimg = bn / ${OHW}u;\n  let byb = i32((bn % ${OHW}u) / ${ow}u * ${S}u) - ${pad};\n  let bxb = i32(bn % ${ow}u * ${S}u) - ${pad};\n  let bnOk = bn < u.NC;\n`;
    } else {
      fixedB += `  let bimg = bn / ${QH * QW}u;\n  let bqy = i32(qy0 + (bn % ${QH * QW}u) / ${QW}u);\n  let bqx = i32(qx0 + bn % ${QW}u);\n  let bnOk = bn < u.NC;\n`;
    }
    fixedB += `  let bx = bimg * ${ci * HW}u;\n`;
    for (const i of range(bRows)) {
      const kr = `tid / ${BN}u + ${i * (T / BN)}u`;
      loadB += `    let bk${i} = k0 + ${kr};\n`;
      if (mode === 'conv') {
        loadB += `    let bc${i} = bk${i} / ${KK}u;\n    let biy${i} = byb + i32((bk${i} % ${KK}u) / ${kw}u);\n    let bix${i} = bxb + i32(bk${i} % ${kw}u);\n`;
      } else {
        loadB += `    let bc${i} = bk${i} / ${taps}u;\n    let bty${i} = (bk${i} % ${taps}u) / ${TX}u;\n    let btx${i} = bk${i} % ${TX}u;\n` +
          `    let biy${i} = bqy - i32(bty${i});\n    let bix${i} = bqx - i32(btx${i});\n`;
      }
      const tapOk = mode === 'convT' ? ` && cy + ${S}u * bty${i} < ${kh}u && cx + ${S}u * btx${i} < ${kw}u` : '';
      loadB += `    Bs[(${kr}) * ${BS}u + tid % ${BN}u] = select(0.0, b[bx + bc${i} * ${HW}u + u32(biy${i}) * ${w}u + u32(bix${i})], ` +
        `bnOk && bk${i} < kEnd && u32(biy${i}) < ${h}u && u32(bix${i}) < ${w}u${tapOk});\n`;
    }
  } else {
    // wgrad: thread loads reduction row tid % BK (an output position, decoded once per step) at columns tid / BK + i·(T / BK).
    const bCols = BN / (T / BK);
    loadB += `    let bimg = ak / ${OHW}u;\n    let byb = i32(apos / ${ow}u * ${S}u) - ${pad};\n    let bxb = i32(apos % ${ow}u * ${S}u) - ${pad};\n`;
    for (const i of range(bCols)) {
      const nc = `tid / ${BK}u + ${i * (T / BK)}u`;
      loadB += `    let bn${i} = n0 + ${nc};\n    let bc${i} = bn${i} / ${KK}u;\n    let biy${i} = byb + i32((bn${i} % ${KK}u) / ${kw}u);\n    let bix${i} = bxb + i32(bn${i} % ${kw}u);\n`;
      loadB += `    Bs[(tid % ${BK}u) * ${BS}u + ${nc}] = select(0.0, b[(bimg * ${ci}u + bc${i}) * ${HW}u + u32(biy${i}) * ${w}u + u32(bix${i})], ` +
        `akOk && bn${i} < ${ci * KK}u && u32(biy${i}) < ${h}u && u32(bix${i}) < ${w}u);\n`;
    }
  }
  // ---- the product: per k of the step, TM values of A and TN of B from workgroup memory ----
  let product = '';
  for (let kk = 0; kk < BK; kk++) {
    for (const i of range(TM)) product += `    let a${kk}_${i} = As[${kk * AS}u + trow + ${i * TYM}u];\n`;
    for (const j of range(TN)) product += `    let b${kk}_${j} = Bs[${kk * BS}u + tcol + ${j * TXN}u];\n`;
    for (const i of range(TM)) for (const j of range(TN)) product += `    acc${i}_${j} = fma(a${kk}_${i}, b${kk}_${j}, acc${i}_${j});\n`;
  }
  // ---- stores ----
  let store = '';
  for (const j of range(TN)) {
    store += `  let on${j} = n0 + tcol + ${j * TXN}u;\n`;
    if (mode === 'conv') store += `  let op${j} = (on${j} / ${OHW}u) * ${co * OHW}u + on${j} % ${OHW}u;\n  let ok${j} = on${j} < u.NC;\n`;
    if (mode === 'convT') {
      store += `  let sy${j} = (qy0 + (on${j} % ${QH * QW}u) / ${QW}u) * ${S}u + cy - ${pad}u;\n  let sx${j} = (qx0 + on${j} % ${QW}u) * ${S}u + cx - ${pad}u;\n`;
      store += `  let op${j} = (on${j} / ${QH * QW}u) * ${co * OHW}u + sy${j} * ${ow}u + sx${j};\n  let ok${j} = on${j} < u.NC && sy${j} < ${oh}u && sx${j} < ${ow}u;\n`;
    }
  }
  for (const i of range(TM)) {
    store += `  let om${i} = m0 + trow + ${i * TYM}u;\n  if (om${i} < ${co}u) {\n`;
    if (bias) store += `    let bias${i} = bias[om${i}];\n`;
    for (const j of range(TN)) {
      if (W) {
        const at = split ? `(om${i} * ${ci * KK}u + on${j}) * u.splits + wid.z` : `om${i} * ${ci * KK}u + on${j}`;
        store += `    if (on${j} < ${ci * KK}u) { y[${at}] = acc${i}_${j}; }\n`;
      } else {
        store += `    if (ok${j}) { y[op${j} + om${i} * ${OHW}u] = act(acc${i}_${j}${bias ? ` + bias${i}` : ''}); }\n`;
      }
    }
    store += `  }\n`;
  }
  return /* wgsl */ `
// ${mode} as a ${BM}×${BN} (×${BK}) tiled GEMM, ${TM}×${TN} outputs per thread, ${T} threads.
struct U {
  // batch; GEMM columns (conv, convT: output positions of the batch; wgrad: Ci·KH·KW), reduction length
  // and its share per split (wgrad: N·OH·OW), splits, column tiles
  N: u32, NC: u32, K: u32, KC: u32, splits: u32, nTiles: u32,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
var<workgroup> As: array<f32, ${BK * AS}>;
var<workgroup> Bs: array<f32, ${BK * BS}>;
fn act(v: f32) -> f32 { return ${leaky === undefined ? 'v' : `select(v * f32(${leaky}), v, v > 0.0)`}; }

@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.x;
  let L = wid.y * nwg.x + wid.x;
  let m0 = L / u.nTiles * ${BM}u;
  let n0 = L % u.nTiles * ${BN}u;
  let tcol = tid % ${TXN}u;
  let trow = tid / ${TXN}u;
${mode === 'convT' ? `  // Parity class (cy, cx): output rows Y = qy·S + cy − p from the first qy with Y ≥ 0.
  let cy = wid.z / ${S}u;
  let cx = wid.z % ${S}u;
  let qy0 = (${pad + S - 1}u - cy) / ${S}u;
  let qx0 = (${pad + S - 1}u - cx) / ${S}u;` : ''}
  let kBeg = ${W ? 'wid.z * u.KC' : '0u'};
  let kEnd = ${W ? 'min(kBeg + u.KC, u.K)' : 'u.K'};
${fixedB}${range(TM).map((i) => range(TN).map((j) => `  var acc${i}_${j} = 0.0;`).join('\n')).join('\n')}
  for (var k0 = kBeg; k0 < kEnd; k0 += ${BK}u) {
${loadA}${loadB}    workgroupBarrier();
${product}    workgroupBarrier();
  }
${store}}
`;
});
