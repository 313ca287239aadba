/**
 * @file 2-D convolution (PyTorch semantics, NCHW): conv2d, convTranspose2d, and the weight gradient as
 * an op of its own.
 *
 * Three primitives, each differentiable in terms of the others (so gradients of gradients flow; the
 * rules are in `rules.ts`):
 *   conv2d(x, w)           y[n,o,Y,X] = Σ_{c,ky,kx} x[n,c, Y·s−p+ky, X·s−p+kx] · w[o,c,ky,kx]   (+ b[o])
 *   convTranspose2d(x, w)  y[n,o,Y,X] = Σ_{c,i,j,ky,kx : Y = i·s−p+ky, X = j·s−p+kx} x[n,c,i,j] · w[c,o,ky,kx]
 *   conv2dWeightGrad(x, d) G[o,c,ky,kx] = Σ_{n,Y,X} d[n,o,Y,X] · x[n,c, Y·s−p+ky, X·s−p+kx]
 * convTranspose2d with weight w is the adjoint (transpose) of conv2d with the same w, in x. Hence:
 *   conv2d:   dx = convT(g, w), dw = WG(x, g), db = Σ g
 *   convT:    dx = conv2d(g, w), dw = WG(g, x) (the same sum with the roles of the maps swapped), db = Σ g
 *   WG(x, d) (bilinear): dx = convT(d, G), dd = conv2d(x, G), for upstream gradient G.
 * The output padding of a transposed convolution used as an adjoint is whatever restores the size of
 * the original input (it may differ between height and width).
 */
import { Tensor } from '../tensor.ts';
import { record } from '../tape.ts';
import { launch, grid1d, type BufferRef } from '../launch.ts';
import { convKernel, convPackManyKernel, convDotKernel, type ConvSpec } from '../../kernels/conv.wgsl.ts';
import { fmt } from './shape.ts';
import { cpuAdapter, gpuDevice, subgroupWidth } from '../device.ts';
import type { Storage } from '../memory.ts';
import { convWgradKernel, convWgradSumKernel } from '../../kernels/conv_wgrad.wgsl.ts';
import { convGemmKernel, gemmTaps, type GemmTile } from '../../kernels/conv_gemm.wgsl.ts';
import { choose, type Trial } from '../tune.ts';
import { full } from './creation.ts';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
}
/** conv2d only: LeakyReLU (slope ≥ 0; 0 is a ReLU) applied in the conv's own store, without a dispatch of its own. */
export interface Conv2dActOptions extends Conv2dOptions {
  leakyRelu?: number;
}
export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns on one side of the output: one number, or [height, width]. */
  outputPadding?: number | readonly [number, number];
}

// ---- launch helpers (no tape) ---------------------------------------------------------------------

/**
 * Workgroups the weight gradient aims for, splitting its reduction over output rows when the channels
 * alone give fewer (each split costs a second dispatch that sums the parts). GPUs need many; on CPU
 * adapters (lavapipe, SwiftShader: cpuAdapter()) 8 keep 2–8 cores busy, and most layers then need no split at all:
 * the sums were 108 of 1,362 dispatches of an `npm start` iteration. A constant, not the core count, so
 * that training is bit-for-bit the same on every CPU machine (the summation order depends on it).
 */
const WGRAD_WORKGROUPS = 128;
const WGRAD_WORKGROUPS_CPU = 8;

/**
 * Register block per thread (channels × rows × columns) and threads per workgroup, for an output of
 * qh × qw positions per image (per parity class for convT; `classes` of them). Measured on lavapipe
 * with subgroup-shared weights (bench/conv.ts, every SaGAN layer): 16 channels × 1 row × 8 columns was
 * fastest or within noise of it everywhere (2 rows × 8 columns: up to 40% slower — the larger unrolled
 * block spills and compiles slower); small maps drop to 4 columns and 8 channels so that there are still
 * enough threads. Workgroups shrink (down to 8 threads, one subgroup) until a launch has at least
 * MIN_WORKGROUPS of them: lavapipe hands whole workgroups to its threads, so two big ones leave a core idle.
 */
function convTiles(co: number, qh: number, qw: number, n: number, classes = 1): { tm: number; ry: number; rx: number; wg: number } {
  const ry = 1;
  let rx = Math.min(qw, 8);
  let blocks = n * qh * Math.ceil(qw / rx);
  const tm = co <= 4 ? 4 : co >= 16 && blocks * Math.ceil(co / 16) >= 64 ? 16 : 8;
  const groups = Math.ceil(co / tm) * classes;
  if (rx > 4 && blocks * groups < 8 * MIN_WORKGROUPS) {
    rx = 4;
    blocks = n * qh * Math.ceil(qw / rx);
  }
  let wg = Math.min(64, Math.max(8, 2 ** Math.ceil(Math.log2(blocks))));
  while (wg > 8 && Math.ceil(blocks / wg) * groups < MIN_WORKGROUPS) wg /= 2;
  return { tm, ry, rx, wg };
}

const MIN_WORKGROUPS = 16;

interface Pack {
  mode: ConvSpec['mode'];
  tm: number;
  Ci: number;
  Co: number;
  KK: number;
  bytes: number;
}
interface PackUse extends Pack {
  w: BufferRef;
  device: GPUDevice;
}

/** Every weight storage a conv has packed, with its packs: what to repack when they go stale. */
const packUses = new Map<Storage, Map<string, PackUse>>();

/**
 * The packed weights of `w` for one conv kernel. When they are stale (after an optimiser step), every
 * stale pack of every weight seen so far is made now, as many per dispatch as the device's storage
 * buffers allow (the convs of the same step need them next): 73 pack dispatches of an `npm start`
 * iteration became a handful. A pack made for a weight that is written again before its use is simply
 * made again (`Storage.derive` checks versions), so this only saves dispatches, never serves stale data.
 */
function packWeights(w: Tensor, p: Pack): Storage {
  const key = `convPack:${p.mode}:${p.tm}:${w.shape.join('x')}`;
  let uses = packUses.get(w.storage);
  if (!uses) packUses.set(w.storage, (uses = new Map()));
  if (!uses.has(key)) uses.set(key, { ...p, w: w.ref, device: gpuDevice() });
  if (!w.storage.isDerived(key)) packStale();
  return w.storage.derive(key, p.bytes, () => {
    throw new Error(`conv: weight pack ${key} was not made`); // packStale made it
  });
}

function packStale(): void {
  const device = gpuDevice();
  const todo: { u: PackUse; out: Storage }[] = [];
  for (const [s, uses] of packUses) {
    if (s.refs === 0) {
      packUses.delete(s); // released: its buffer may serve another tensor now
      continue;
    }
    for (const [key, u] of uses) {
      if (u.device !== device) uses.delete(key);
      else if (!s.isDerived(key)) s.derive(key, u.bytes, (out) => todo.push({ u, out }));
    }
  }
  const per = Math.max(1, Math.min(PACKS_PER_DISPATCH, Math.floor(device.limits.maxStorageBuffersPerShaderStage / 2)));
  for (let k = 0; k < todo.length; k += per) {
    const group = todo.slice(k, k + per);
    const buffers: Record<string, BufferRef> = {};
    group.forEach(({ u, out }, j) => {
      buffers[`w${j}`] = u.w;
      buffers[`wp${j}`] = { buffer: out.buffer, bytes: u.bytes };
    });
    const [gx, gy] = grid1d(Math.max(...group.map(({ u }) => u.bytes / 4)), 256);
    launch(convPackManyKernel, { modes: group.map(({ u }) => u.mode) }, {
      buffers,
      uniforms: { p: group.flatMap(({ u }) => [u.bytes / 4, u.Ci, u.Co, u.tm]), kk: group.map(({ u }) => u.KK) },
      grid: [gx, gy, group.length],
      label: 'convPack',
    });
  }
}
/** Most packs per dispatch (each binds two buffers; fewer where the device's limit is lower). */
const PACKS_PER_DISPATCH = 16;

function directConvRaw(mode: ConvSpec['mode'], x: Tensor, w: Tensor, b: Tensor | null, stride: number, pad: number, out: Tensor, leaky: number | null): Tensor {
  const [N, Ci, H, W] = x.shape;
  const [, Co, OH, OW] = out.shape;
  const [kh, kw] = w.shape.slice(2);
  const S = mode === 'conv' ? 1 : stride;
  const QH = Math.ceil(OH / S), QW = Math.ceil(OW / S);
  const { tm, ry, rx, wg } = convTiles(Co, QH, QW, N, S * S);
  const G = Math.ceil(Co / tm);
  const YB = Math.ceil(QH / ry), XB = Math.ceil(QW / rx);
  const P = Math.ceil((N * YB * XB) / wg);
  // Weights packed for this kernel, cached on the weight's storage until it is written in place
  // (an optimiser step): a weight serves several convs per training step (D on real, fake and
  // interpolated images, their input gradients). Stale packs are made together (packWeights).
  const packBytes = G * Ci * kh * kw * tm * 4;
  const wp = packWeights(w, { mode, tm, Ci, Co, KK: kh * kw, bytes: packBytes });
  // Aligned vec4 row loads when every row and every block's first column start on a multiple of 4.
  const xvec = mode === 'conv' && W % 4 === 0 && (rx * stride) % 4 === 0;
  const sg = subgroupWidth();
  const spec: ConvSpec = { mode, kh, kw, stride, pad, tm, ry, rx, wg, bias: b !== null, xvec, sg: sg && wg % sg === 0 ? sg : 0 };
  if (leaky !== null) spec.leaky = leaky;
  const buffers: Record<string, BufferRef> = { [xvec ? 'x4' : 'x']: x.ref, wp: { buffer: wp.buffer, bytes: packBytes }, y: out.ref };
  if (b) buffers.b = b.ref;
  const [gx, gy] = grid1d(P * G, 1);
  launch(convKernel, spec, {
    buffers,
    uniforms: { N, Ci, H, W, Co, OH, OW, YB, XB, P, G, KH: kh },
    grid: [gx, gy, S * S],
  });
  return out;
}

/** Tiles of the weight-gradient kernel: channels per thread, output rows × columns per step, threads per workgroup. */
function wgradTiles(lanes: number, co: number, oh: number, ow: number, target: number): { tm: number; ry: number; rx: number; wg: number } {
  const tm = co <= 4 ? 4 : 8; // keep in step with the channel groups counted in wgradRaw
  const ry = Math.min(oh, 2);
  const rx = Math.min(ow, 4);
  // Workgroups as large as 64 threads while there are at least `target` of them; on CPU adapters smaller
  // ones (down to one subgroup of 8) rather than a split of the reduction and its extra dispatch.
  const wg = target === WGRAD_WORKGROUPS_CPU
    ? Math.min(64, Math.max(8, 2 ** Math.floor(Math.log2(Math.max(1, lanes / target)))))
    : Math.min(64, Math.max(8, 2 ** Math.ceil(Math.log2(lanes))));
  return { tm, ry, rx, wg };
}

function directWgradRaw(x: Tensor, d: Tensor, kh: number, kw: number, stride: number, pad: number, out: Tensor): Tensor {
  const [N, Ci, H, W] = x.shape, [, Co, OH, OW] = d.shape;
  // One thread per (channel group, input channel, kernel row).
  const G = Math.ceil(Co / (Co <= 4 ? 4 : 8));
  const lanes = G * Ci * kh;
  const target = cpuAdapter() ? WGRAD_WORKGROUPS_CPU : WGRAD_WORKGROUPS;
  const { tm, ry, rx, wg } = wgradTiles(lanes, Co, OH, OW, target);
  const YB = Math.ceil(OH / ry), XB = Math.ceil(OW / rx);
  const groups = Math.ceil(lanes / wg);
  // Split the sum over output rows until there are enough workgroups to keep every core busy.
  const splits = Math.max(1, Math.min(N * YB, Math.ceil(target / groups)));
  const RPS = Math.ceil((N * YB) / splits);
  const used = Math.ceil((N * YB) / RPS);
  const part = used === 1 ? out : Tensor.empty([Co * Ci * kh * kw, used]);
  const dvec = OW % 4 === 0 && rx === 4;
  const width = subgroupWidth();
  const sg = dvec && width && (kh * Ci) % width === 0 && wg % width === 0 ? width : 0;
  const [gx, gy] = grid1d(groups, 1);
  launch(convWgradKernel, { kw, stride, pad, tm, ry, rx, wg, dvec, sg }, {
    buffers: { x: x.ref, [dvec ? 'd4' : 'd']: d.ref, part: part.ref },
    uniforms: { N, Ci, H, W, Co, OH, OW, OHW: OH * OW, KH: kh, CKK: Ci * kh * kw, YB, XB, RPS, splits: used, G },
    grid: [gx, gy, used],
  });
  if (used > 1) sumSplits(part, out, used);
  return out;
}

/** out[i] = Σ_s part[i, s] (the splits of a weight gradient's reduction, in a fixed order); frees part. */
function sumSplits(part: Tensor, out: Tensor, splits: number): void {
  launch(convWgradSumKernel, undefined, {
    buffers: { part: part.ref, out: out.ref },
    uniforms: { n: out.size, splits },
    grid: grid1d(out.size, 64),
  });
  part.dispose();
}

// ---- the GPU-shaped path (conv_gemm.wgsl.ts) and the choice between the two ----------------------

/**
 * Tiles of the tiled-GEMM kernels (BM × BN of the output per workgroup, BK per step, TM × TN per
 * thread; 256 threads each): square ones (8×8 per thread: 16 loads from workgroup memory per 64 FMAs),
 * and skewed ones for few output channels (16, 32 rows) or few output positions. Which is fastest for a shape is measured (tune.ts), with the direct kernel beside them.
 */
export const GEMM_TILES: Record<string, GemmTile> = {
  gemm128x128: { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 },
  gemm64x128: { bm: 64, bn: 128, bk: 8, tm: 4, tn: 8 },
  gemm128x64: { bm: 128, bn: 64, bk: 8, tm: 8, tn: 4 },
  gemm64x64: { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 },
  gemm32x64: { bm: 32, bn: 64, bk: 16, tm: 2, tn: 4 },
  gemm64x32: { bm: 64, bn: 32, bk: 16, tm: 4, tn: 2 },
  gemm16x64: { bm: 16, bn: 64, bk: 16, tm: 1, tn: 4 },
  gemm32x32: { bm: 32, bn: 32, bk: 16, tm: 2, tn: 2 },
};
/** Every kernel a conv, convT or weight gradient can run: 'direct' (conv.wgsl.ts, conv_wgrad.wgsl.ts) and the tiles. */
export const CONV_KERNELS: readonly string[] = ['direct', ...Object.keys(GEMM_TILES)];
/**
 * What a GPU runs before a shape is measured (or without autotuning; CPU adapters always run
 * 'direct'): the largest tile, in GEMM_TILES' order, that leaves at most half its rows empty and —
 * unless split-K makes up the workgroups (the weight gradient) — still gives GEMM_MIN_TILES workgroups.
 */
function defaultGemm(rows: number, cols: number, splitK: boolean): string {
  for (const [name, t] of Object.entries(GEMM_TILES)) {
    if (rows <= t.bm / 2 && t.bm > 16) continue;
    if (!splitK && Math.ceil(rows / t.bm) * Math.ceil(cols / t.bn) < GEMM_MIN_TILES) continue;
    return name;
  }
  return 'gemm32x32';
}
/** Workgroups a conv's default tile should give at least (one per SM of a large GPU). */
const GEMM_MIN_TILES = 128;
/** Workgroups the weight gradient's split-K aims for on GPUs (two per SM of the largest ones). */
const GEMM_WGRAD_WORKGROUPS = 256;

function gemmConvRaw(mode: ConvSpec['mode'], x: Tensor, w: Tensor, b: Tensor | null, stride: number, pad: number, out: Tensor, leaky: number | null, tile: GemmTile): Tensor {
  const [N, Ci, H, W] = x.shape;
  const [, Co, OH, OW] = out.shape;
  const [kh, kw] = w.shape.slice(2);
  const S = mode === 'conv' ? 1 : stride;
  const NC = N * Math.ceil(OH / S) * Math.ceil(OW / S);
  const K = Ci * gemmTaps({ mode, kh, kw, stride }).taps;
  const nTiles = Math.ceil(NC / tile.bn);
  const buffers: Record<string, BufferRef> = { a: w.ref, b: x.ref, y: out.ref };
  if (b) buffers.bias = b.ref;
  launch(convGemmKernel, {
    mode, ci: Ci, co: Co, h: H, w: W, oh: OH, ow: OW, kh, kw, stride, pad, tile, bias: b !== null, split: false,
    ...(leaky !== null ? { leaky } : {}),
  }, {
    buffers,
    uniforms: { N, NC, K, KC: K, splits: 1, nTiles },
    grid: [...grid1d(Math.ceil(Co / tile.bm) * nTiles, 1), S * S],
    label: `convGemm:${mode}`,
  });
  return out;
}

function gemmWgradRaw(x: Tensor, d: Tensor, kh: number, kw: number, stride: number, pad: number, out: Tensor, tile: GemmTile): Tensor {
  const [N, Ci, H, W] = x.shape, [, Co, OH, OW] = d.shape;
  const NC = Ci * kh * kw, K = N * OH * OW;
  const nTiles = Math.ceil(NC / tile.bn), tiles = Math.ceil(Co / tile.bm) * nTiles;
  // Split-K: enough workgroups to fill a large GPU, each split at least 8 steps of the reduction.
  const want = Math.max(1, Math.min(Math.ceil(GEMM_WGRAD_WORKGROUPS / tiles), Math.floor(K / (8 * tile.bk))));
  const KC = Math.ceil(K / want / tile.bk) * tile.bk;
  const splits = Math.ceil(K / KC);
  const part = splits === 1 ? out : Tensor.empty([out.size, splits]);
  launch(convGemmKernel, { mode: 'wgrad', ci: Ci, co: Co, h: H, w: W, oh: OH, ow: OW, kh, kw, stride, pad, tile, bias: false, split: splits > 1 }, {
    buffers: { a: d.ref, b: x.ref, y: part.ref },
    uniforms: { N, NC, K, KC, splits, nTiles },
    grid: [...grid1d(tiles, 1), splits],
    label: 'convGemm:wgrad',
  });
  if (splits > 1) sumSplits(part, out, splits);
  return out;
}

/** Scratch operands of the given shapes (zeros) for timing candidates; `run` gets them in order. */
function trial(shapes: readonly (readonly number[] | null)[], run: (c: string, ts: (Tensor | null)[]) => void): () => Trial {
  return () => {
    const ts = shapes.map((s) => (s ? full(s, 0) : null));
    return { run: (c) => run(c, ts), dispose: () => ts.forEach((t) => t?.dispose()) };
  };
}

function convRaw(mode: ConvSpec['mode'], x: Tensor, w: Tensor, b: Tensor | null, stride: number, pad: number, out: Tensor, leaky: number | null = null): Tensor {
  const run = (c: string, x: Tensor, w: Tensor, b: Tensor | null, out: Tensor) => c === 'direct'
    ? directConvRaw(mode, x, w, b, stride, pad, out, leaky)
    : gemmConvRaw(mode, x, w, b, stride, pad, out, leaky, GEMM_TILES[c]);
  const key = () => `${mode}|x${x.shape.join('x')}|w${w.shape.join('x')}|y${out.shape.join('x')}|s${stride}p${pad}|b${b ? 1 : 0}|a${leaky}`;
  const [N, , OH, OW] = out.shape, S = mode === 'conv' ? 1 : stride;
  const which = choose(key, CONV_KERNELS, cpuAdapter() ? 'direct' : defaultGemm(out.shape[1], N * Math.ceil(OH / S) * Math.ceil(OW / S), false),
    trial([x.shape, w.shape, b?.shape ?? null, out.shape], (c, [x, w, b, y]) => run(c, x!, w!, b, y!)));
  return run(which, x, w, b, out);
}

function wgradRaw(x: Tensor, d: Tensor, kh: number, kw: number, stride: number, pad: number): Tensor {
  const out = Tensor.empty([d.shape[1], x.shape[1], kh, kw]);
  if (out.size === 0) return out;
  const run = (c: string, x: Tensor, d: Tensor, out: Tensor) => c === 'direct'
    ? directWgradRaw(x, d, kh, kw, stride, pad, out)
    : gemmWgradRaw(x, d, kh, kw, stride, pad, out, GEMM_TILES[c]);
  const key = () => `wgrad|x${x.shape.join('x')}|d${d.shape.join('x')}|k${kh}x${kw}|s${stride}p${pad}`;
  const which = choose(key, CONV_KERNELS, cpuAdapter() ? 'direct' : defaultGemm(out.shape[0], out.size / out.shape[0], true),
    trial([x.shape, d.shape, out.shape], (c, [x, d, o]) => run(c, x!, d!, o!)));
  return run(which, x, d, out);
}

export function conv2dRaw(x: Tensor, w: Tensor, b: Tensor | null, stride: number, pad: number, leaky: number | null = null): Tensor {
  const [N, , H, W] = x.shape;
  const [Co, , kh, kw] = w.shape;
  const OH = Math.floor((H + 2 * pad - kh) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - kw) / stride) + 1;
  const out = Tensor.empty([N, Co, OH, OW]);
  if (pad === 0 && H === kh && W === kw) {
    // The kernel covers the whole input: one dot product per (n, o).
    const K = w.size / Co;
    const buffers: Record<string, BufferRef> = { x: x.ref, w: w.ref, y: out.ref };
    if (b) buffers.b = b.ref;
    launch(convDotKernel, { vec: K % 4 === 0, bias: b !== null, ...(leaky !== null ? { leaky } : {}) }, { buffers, uniforms: { N, Co, K }, grid: grid1d(N * Co, 1) });
    return out;
  }
  return convRaw('conv', x, w, b, stride, pad, out, leaky);
}

export function convTranspose2dRaw(x: Tensor, w: Tensor, b: Tensor | null, stride: number, pad: number, opH: number, opW: number): Tensor {
  const [N, , H, W] = x.shape;
  const [, Co, kh, kw] = w.shape;
  const OH = (H - 1) * stride - 2 * pad + kh + opH;
  const OW = (W - 1) * stride - 2 * pad + kw + opW;
  return convRaw('convT', x, w, b, stride, pad, Tensor.empty([N, Co, OH, OW]));
}


// ---- differentiable ops ----------------------------------------------------------------------------
// (the primitives' public faces: shape checks at the call site, then the Raw launchers above)


function checkInt(op: string, name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new Error(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

function checkConv(op: string, x: Tensor, w: Tensor, b: Tensor | null, inDim: 0 | 1, outDim: 0 | 1): void {
  if (x.ndim !== 4) throw new Error(`${op}: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  if (w.ndim !== 4) throw new Error(`${op}: weight must be 4-D, got ${fmt(w.shape)}`);
  if (x.shape[1] !== w.shape[inDim]) {
    throw new Error(`${op}: input ${fmt(x.shape)} has ${x.shape[1]} channels but weight ${fmt(w.shape)} expects ${w.shape[inDim]}`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== w.shape[outDim])) throw new Error(`${op}: bias must be [${w.shape[outDim]}], got ${fmt(b.shape)}`);
}

/**
 * conv2d(x [N,Ci,H,W], w [Co,Ci,kH,kW], b [Co] | null) like torch.nn.functional.conv2d; with `leakyRelu`
 * (a slope ≥ 0) the output is LeakyReLU(conv), fused (nn.Sequential uses it for Conv2d → LeakyReLU).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: Conv2dActOptions = {}): Tensor {
  const stride = checkInt('conv2d', 'stride', opts.stride ?? 1, 1), padding = checkInt('conv2d', 'padding', opts.padding ?? 0, 0);
  const leaky = opts.leakyRelu ?? null;
  // The rule reads the activation's mask from the output: out > 0 exactly where the conv is, for slopes ≥ 0.
  if (leaky !== null && !(leaky >= 0)) throw new Error(`conv2d: leakyRelu slope must be ≥ 0 to be fused, got ${leaky}`);
  checkConv('conv2d', x, w, b, 1, 0);
  const [, , H, W] = x.shape, [, , kh, kw] = w.shape;
  if (H + 2 * padding < kh || W + 2 * padding < kw) throw new Error(`conv2d: kernel ${kh}×${kw} is larger than the padded input ${fmt(x.shape)} (padding ${padding})`);
  const out = conv2dRaw(x, w, b, stride, padding, leaky);
  return record('conv2d', { stride, padding, leakyRelu: leaky }, b ? [x, w, b] : [x, w], out);
}

/**
 * convTranspose2d(x [N,Ci,H,W], w [Ci,Co,kH,kW], b [Co] | null) like torch.nn.functional.conv_transpose2d;
 * `outputPadding` is one number or [height, width] (the adjoint of a conv may need different ones).
 */
export function convTranspose2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  const stride = checkInt('convTranspose2d', 'stride', opts.stride ?? 1, 1), padding = checkInt('convTranspose2d', 'padding', opts.padding ?? 0, 0);
  const op = opts.outputPadding ?? 0;
  const [opH, opW] = typeof op === 'number' ? [op, op] : op;
  for (const v of [opH, opW]) {
    checkInt('convTranspose2d', 'outputPadding', v, 0);
    if (v >= stride && v > 0) throw new Error(`convTranspose2d: outputPadding ${v} must be smaller than stride ${stride}`);
  }
  checkConv('convTranspose2d', x, w, b, 0, 1);
  const out = convTranspose2dRaw(x, w, b, stride, padding, opH, opW);
  if (out.shape[2] < 1 || out.shape[3] < 1) throw new Error(`convTranspose2d: output would be empty for input ${fmt(x.shape)}, weight ${fmt(w.shape)}, padding ${padding}`);
  return record('convTranspose2d', { stride, padding, outputPadding: [opH, opW] }, b ? [x, w, b] : [x, w], out);
}

/**
 * The weight gradient of conv2d as an op: G[o,c,ky,kx] = Σ_{n,Y,X} d[n,o,Y,X]·x[n,c,Y·s−p+ky,X·s−p+kx]
 * for x [N,Ci,H,W] and d [N,Co,OH,OW] (the conv's output positions).
 */
export function conv2dWeightGrad(x: Tensor, d: Tensor, kh: number, kw: number, stride: number, padding: number): Tensor {
  const [N, Ci, H, W] = x.shape, [N2, Co, OH, OW] = d.shape;
  if (N !== N2) throw new Error(`conv2dWeightGrad: batch of x ${fmt(x.shape)} and d ${fmt(d.shape)} differ`);
  if (Math.floor((H + 2 * padding - kh) / stride) + 1 !== OH || Math.floor((W + 2 * padding - kw) / stride) + 1 !== OW) {
    throw new Error(`conv2dWeightGrad: d ${fmt(d.shape)} is not the output size of a ${kh}×${kw} stride ${stride} padding ${padding} conv of x ${fmt(x.shape)}`);
  }
  return record('conv2dWeightGrad', { stride, padding, kh, kw }, [x, d], wgradRaw(x, d, kh, kw, stride, padding));
}
