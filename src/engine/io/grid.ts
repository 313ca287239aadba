/**
 * @file Image grids for training / evaluation snapshots: rows of cells (input | edited | mask | …) separated
 * by small gaps, as one RGB Image8 (encode it with encodePng). Cells come either as Image8s or straight
 * from NCHW Float32Arrays; 1-channel cells (attention masks) are shown as grey.
 */

import { tensorToImage } from './image.ts';
import type { Image8 } from './types.ts';

export interface GridOptions {
  /** Pixels between cells and around the border; default 2. */
  gap?: number;
  /** Gap / empty-cell colour, RGB bytes; default white. */
  background?: readonly [number, number, number];
  /** Integer upscaling of every cell, nearest neighbour (small images stay crisp); default 1. */
  scale?: number;
}

/** One grid column taken from an NCHW batch: row i shows sample i. */
export interface GridColumn {
  data: ArrayLike<number>;
  /** [N, C, H, W] with C = 1 (grey) or 3 (RGB). */
  shape: readonly number[];
  /** Values mapped to black … white; default [−1, 1] (images). Masks in [0, 1] pass [0, 1]. */
  range?: readonly [number, number];
}

/**
 * Lays out `rows[r][c]` (null = empty cell). Column c is as wide as its widest cell, row r as tall as its
 * tallest; cells sit at the top-left of their slot. Output size: W = gap + Σ(colWidth + gap), H likewise.
 */
export function imageGrid(rows: readonly (readonly (Image8 | null)[])[], opts: GridOptions = {}): Image8 {
  const gap = opts.gap ?? 2;
  const bg = opts.background ?? [255, 255, 255];
  const k = opts.scale ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`imageGrid: scale ${k} must be a positive integer`);
  if (k > 1) rows = rows.map((r) => r.map((cell) => (cell ? upscale(cell, k) : null)));
  const nCols = Math.max(0, ...rows.map((r) => r.length));
  const colW = new Array<number>(nCols).fill(0);
  const rowH = rows.map(() => 0);
  rows.forEach((r, ri) =>
    r.forEach((cell, ci) => {
      if (!cell) return;
      colW[ci] = Math.max(colW[ci]!, cell.width);
      rowH[ri] = Math.max(rowH[ri]!, cell.height);
    }),
  );
  const W = gap + colW.reduce((a, w) => a + w + gap, 0);
  const H = gap + rowH.reduce((a, h) => a + h + gap, 0);
  const out = new Uint8Array(Math.max(1, W) * Math.max(1, H) * 3);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = bg[0];
    out[i + 1] = bg[1];
    out[i + 2] = bg[2];
  }
  let y0 = gap;
  rows.forEach((r, ri) => {
    let x0 = gap;
    for (let ci = 0; ci < nCols; ci++) {
      const cell = r[ci];
      if (cell) blit(cell, out, Math.max(1, W), x0, y0);
      x0 += colW[ci]! + gap;
    }
    y0 += rowH[ri]! + gap;
  });
  return { width: Math.max(1, W), height: Math.max(1, H), channels: 3, data: out };
}

/** Nearest-neighbour upscaling by an integer factor. */
function upscale(img: Image8, k: number): Image8 {
  const C = img.channels, W = img.width * k, H = img.height * k;
  const data = new Uint8Array(W * H * C);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (Math.floor(y / k) * img.width + Math.floor(x / k)) * C, d = (y * W + x) * C;
      for (let c = 0; c < C; c++) data[d + c] = img.data[s + c]!;
    }
  }
  return { width: W, height: H, channels: C, data };
}

/** Copies an image into an RGB canvas at (x0, y0); grey is replicated, alpha dropped. */
function blit(img: Image8, dst: Uint8Array, dstW: number, x0: number, y0: number): void {
  const C = img.channels;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * C;
      const d = ((y0 + y) * dstW + x0 + x) * 3;
      if (C <= 2) {
        dst[d] = dst[d + 1] = dst[d + 2] = img.data[s]!;
      } else {
        dst[d] = img.data[s]!;
        dst[d + 1] = img.data[s + 1]!;
        dst[d + 2] = img.data[s + 2]!;
      }
    }
  }
}

/**
 * Grid from NCHW batches: one column per batch, one row per sample (rows = the smallest N, or `maxRows`;
 * `transpose` swaps the two).
 * Typical: tensorGrid([{data: x, shape}, {data: edited, shape}, {data: mask, shape: maskShape, range: [0, 1]}]).
 */
export function tensorGrid(columns: readonly GridColumn[], opts: GridOptions & { maxRows?: number; transpose?: boolean } = {}): Image8 {
  for (const col of columns) {
    if (col.shape.length !== 4) throw new RangeError(`tensorGrid: shape [${col.shape}] is not NCHW`);
    const c = col.shape[1]!;
    if (c !== 1 && c !== 3) throw new RangeError(`tensorGrid: ${c} channels (expected 1 or 3)`);
    if (col.data.length < col.shape.reduce((a, b) => a * b, 1)) throw new RangeError('tensorGrid: data shorter than shape');
  }
  let n = Math.min(...columns.map((c) => c.shape[0]!));
  if (opts.maxRows !== undefined) n = Math.min(n, opts.maxRows);
  const rows: Image8[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push(
      columns.map((col) => {
        const [, c, h, w] = col.shape as [number, number, number, number];
        return tensorToImage(col.data, c, h, w, i * c * h * w, col.range ?? [-1, 1]);
      }),
    );
  }
  // transpose: one row per batch, one column per sample (a wide strip).
  return imageGrid(opts.transpose ? columns.map((_, c) => rows.map((r) => r[c]!)) : rows, opts);
}
