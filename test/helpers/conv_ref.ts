/**
 * @file Float64 references for the convolution and normalisation ops, written with plain loops
 * straight from the definitions (PyTorch semantics, NCHW), independent of the engine's kernels:
 *   conv2d           y[n,o,Y,X]   = b[o] + Σ x[n,c, Y·s−p+ky, X·s−p+kx] · w[o,c,ky,kx]
 *   convTranspose2d  y[n,o,Y,X]  += x[n,c,i,j] · w[c,o,ky,kx]  for Y = i·s−p+ky, X = j·s−p+kx (scatter)
 *   weight gradient  G[o,c,ky,kx] = Σ d[n,o,Y,X] · x[n,c, Y·s−p+ky, X·s−p+kx]
 *   instanceNorm2d   y = (x − mean) / sqrt(var + eps) per (n, c) plane, biased variance, then ·γ + β
 */
import type { F64 } from './gradcheck.ts';

export function conv2dRef(x: F64, w: F64, b: F64 | null, stride: number, pad: number): F64 {
  const [N, C, H, W] = x.shape;
  const [O, C2, KH, KW] = w.shape;
  if (C !== C2) throw new Error(`conv2dRef: channels ${C} vs ${C2}`);
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  const y = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let Y = 0; Y < OH; Y++) for (let X = 0; X < OW; X++) {
    let s = b ? b.data[o] : 0;
    for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
      const iy = Y * stride - pad + ky, ix = X * stride - pad + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      s += x.data[((n * C + c) * H + iy) * W + ix] * w.data[((o * C + c) * KH + ky) * KW + kx];
    }
    y[((n * O + o) * OH + Y) * OW + X] = s;
  }
  return { data: y, shape: [N, O, OH, OW] };
}

export function convTranspose2dRef(x: F64, w: F64, b: F64 | null, stride: number, pad: number, opH: number, opW = opH): F64 {
  const [N, C, H, W] = x.shape;
  const [C2, O, KH, KW] = w.shape;
  if (C !== C2) throw new Error(`convTranspose2dRef: channels ${C} vs ${C2}`);
  const OH = (H - 1) * stride - 2 * pad + KH + opH;
  const OW = (W - 1) * stride - 2 * pad + KW + opW;
  const y = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    if (b) for (let k = 0; k < OH * OW; k++) y[(n * O + o) * OH * OW + k] = b.data[o];
    for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
      const v = x.data[((n * C + c) * H + i) * W + j];
      for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
        const Y = i * stride - pad + ky, X = j * stride - pad + kx;
        if (Y < 0 || Y >= OH || X < 0 || X >= OW) continue;
        y[((n * O + o) * OH + Y) * OW + X] += v * w.data[((c * O + o) * KH + ky) * KW + kx];
      }
    }
  }
  return { data: y, shape: [N, O, OH, OW] };
}

/** ∂/∂w of Σ d ⊙ conv2d(x, w) for a kernel of size kh × kw. */
export function conv2dWeightGradRef(x: F64, d: F64, stride: number, pad: number, KH: number, KW: number): F64 {
  const [N, C, H, W] = x.shape;
  const [N2, O, OH, OW] = d.shape;
  if (N !== N2) throw new Error('conv2dWeightGradRef: batch differs');
  const g = new Float64Array(O * C * KH * KW);
  for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let Y = 0; Y < OH; Y++) for (let X = 0; X < OW; X++) {
      const iy = Y * stride - pad + ky, ix = X * stride - pad + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      s += d.data[((n * O + o) * OH + Y) * OW + X] * x.data[((n * C + c) * H + iy) * W + ix];
    }
    g[((o * C + c) * KH + ky) * KW + kx] = s;
  }
  return { data: g, shape: [O, C, KH, KW] };
}

export function instanceNorm2dRef(x: F64, weight: F64 | null, bias: F64 | null, eps = 1e-5): F64 {
  const [N, C, H, W] = x.shape;
  const P = H * W;
  const y = new Float64Array(x.data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    const base = (n * C + c) * P;
    let mean = 0;
    for (let k = 0; k < P; k++) mean += x.data[base + k];
    mean /= P;
    let v = 0;
    for (let k = 0; k < P; k++) v += (x.data[base + k] - mean) ** 2;
    v /= P;
    const inv = 1 / Math.sqrt(v + eps);
    for (let k = 0; k < P; k++) {
      const xh = (x.data[base + k] - mean) * inv;
      y[base + k] = xh * (weight ? weight.data[c] : 1) + (bias ? bias.data[c] : 0);
    }
  }
  return { data: y, shape: [N, C, H, W] };
}
