/**
 * @file PNG for the engine's 8-bit images (Node, Deno and browsers alike; synchronous).
 *  - Decoding is the `fast-png` package (maintained; every colour type, bit depths 1–16, Adam7, palette
 *    and colour-key transparency, CRCs). This file only maps its output to Image8 (8-bit samples,
 *    palette → RGB(A), tRNS colour keys → an alpha channel) and its errors to ImageDecodeError.
 *  - Encoding stays ours: fast-png writes every row unfiltered, which made our face images and sample
 *    grids 27% larger than libpng's per-row adaptive filter choice below (measured on 8 synthetic 128²
 *    faces: 258 kB vs 329 kB, same speed) — see the README's dependency table.
 */

import { zlibSync } from 'fflate';
import { decode as fastDecode, type DecodedPng } from 'fast-png';
import { ImageDecodeError, type Image8 } from './types.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected), as PNG chunks use; table built once. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Paeth predictor (PNG spec §9.4): whichever of a (left), b (up), c (up-left) is closest to a + b − c. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Applies filter f (1 Sub, 2 Up, 3 Average, 4 Paeth) to one row into `out`; returns Σ|signed byte|, or
 * stops at `limit` (the best score so far) and returns it. One loop per filter and the first pixel
 * (no left neighbour) peeled off, so the hot loops carry no branches on the filter or position.
 */
function filterRow(f: number, cur: Uint8Array, prev: Uint8Array, C: number, out: Uint8Array, limit: number): number {
  const n = cur.length;
  let score = 0;
  const put = (i: number, pred: number) => {
    const v = (cur[i]! - pred) & 0xff;
    out[i] = v;
    score += v < 128 ? v : 256 - v;
  };
  for (let i = 0; i < C && i < n; i++) put(i, f === 1 ? 0 : f === 3 ? prev[i]! >> 1 : prev[i]!); // Paeth(0, b, 0) = b
  if (f === 1) {
    for (let i = C; i < n && score < limit; i++) {
      const v = (cur[i]! - cur[i - C]!) & 0xff;
      out[i] = v;
      score += v < 128 ? v : 256 - v;
    }
  } else if (f === 2) {
    for (let i = C; i < n && score < limit; i++) {
      const v = (cur[i]! - prev[i]!) & 0xff;
      out[i] = v;
      score += v < 128 ? v : 256 - v;
    }
  } else if (f === 3) {
    for (let i = C; i < n && score < limit; i++) {
      const v = (cur[i]! - ((cur[i - C]! + prev[i]!) >> 1)) & 0xff;
      out[i] = v;
      score += v < 128 ? v : 256 - v;
    }
  } else {
    for (let i = C; i < n && score < limit; i++) {
      const a = cur[i - C]!, b = prev[i]!, c = prev[i - C]!;
      const p = b - c, q = a - c; // pa = |p + q − a| = |b − c|, pb = |a − c|, pc = |a + b − 2c|
      const pa = p < 0 ? -p : p, pb = q < 0 ? -q : q, pc = p + q < 0 ? -(p + q) : p + q;
      const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const v = (cur[i]! - pred) & 0xff;
      out[i] = v;
      score += v < 128 ? v : 256 - v;
    }
  }
  return score;
}

export interface PngEncodeOptions {
  /** zlib level 0–9; default 6 (the usual size/speed knee). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/**
 * Encodes an 8-bit image. Each row gets the filter (None, Sub, Up, Average, Paeth) whose output has the
 * smallest sum of |signed bytes| — libpng's heuristic; it usually beats any single fixed filter.
 */
export function encodePng(img: Image8, opts: PngEncodeOptions = {}): Uint8Array {
  const { width: w, height: h, channels: C, data } = img;
  if (!(w >= 1 && h >= 1 && Number.isInteger(w) && Number.isInteger(h))) {
    throw new RangeError(`encodePng: bad size ${w}×${h}`);
  }
  if (data.length !== w * h * C) throw new RangeError(`encodePng: ${data.length} bytes for ${w}×${h}×${C}`);
  const colorType = C === 1 ? 0 : C === 2 ? 4 : C === 3 ? 2 : 6;
  const stride = w * C;
  const raw = new Uint8Array(h * (stride + 1));
  const cand = new Uint8Array(stride);
  const zero = new Uint8Array(stride);
  for (let y = 0; y < h; y++) {
    const cur = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : zero;
    const dst = y * (stride + 1) + 1;
    // One tight loop per filter (a per-byte switch was the encoder's hot spot). Score = Σ|signed byte|.
    let best = 0;
    let bestScore = 0;
    for (let i = 0; i < stride; i++) {
      const v = cur[i]!;
      bestScore += v < 128 ? v : 256 - v;
    }
    raw.set(cur, dst);
    if (bestScore === 0) continue; // all-zero row (masks): None is optimal
    for (let f = 1; f < 5; f++) {
      const score = filterRow(f, cur, prev, C, cand, bestScore);
      if (score < bestScore) {
        bestScore = score;
        best = f;
        raw.set(cand, dst);
      }
    }
    raw[dst - 1] = best;
  }
  const idat = zlibSync(raw, { level: opts.level ?? 6 });

  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace

  const chunks: [string, Uint8Array][] = [['IHDR', ihdr], ['IDAT', idat], ['IEND', new Uint8Array(0)]];
  let total = 8;
  for (const [, d] of chunks) total += 12 + d.length;
  const out = new Uint8Array(total);
  out.set(SIGNATURE, 0);
  const odv = new DataView(out.buffer);
  let p = 8;
  for (const [type, d] of chunks) {
    odv.setUint32(p, d.length);
    for (let i = 0; i < 4; i++) out[p + 4 + i] = type.charCodeAt(i);
    out.set(d, p + 8);
    odv.setUint32(p + 8 + d.length, crc32(out, p + 4, p + 8 + d.length));
    p += 12 + d.length;
  }
  return out;
}

/**
 * Decodes a PNG to 8-bit samples. Output channels: grey 1, grey+alpha 2, RGB 3, RGBA 4. Palette images
 * become RGB, or RGBA when a tRNS chunk gives entries alpha; a tRNS colour key on a grey or RGB image
 * becomes an alpha channel (0 where a pixel equals the key, else 255). 16-bit samples are rounded to
 * 8 bits (v / 257); sub-byte grey is scaled to 0–255.
 */
export function decodePng(bytes: Uint8Array): Image8 {
  checkFraming(bytes);
  let png: DecodedPng;
  try {
    png = fastDecode(bytes, { checkCrc: true });
  } catch (e) {
    throw new ImageDecodeError(`corrupt PNG: ${explain((e as Error).message)}`);
  }
  const { width: w, height: h, depth } = png;
  if (png.palette) return fromPalette(png);
  const C = png.channels as 1 | 2 | 3 | 4;
  const n = w * h * C;
  const data = new Uint8Array(n);
  if (depth === 16) {
    for (let i = 0; i < n; i++) data[i] = Math.round(png.data[i]! / 257);
  } else if (depth === 8) {
    data.set(png.data.subarray(0, n));
  } else {
    // Sub-byte grey stays packed in fast-png's output: unpack each row and scale to 0–255.
    const perByte = 8 / depth, max = (1 << depth) - 1, rowBytes = Math.ceil(w / perByte);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const b = png.data[y * rowBytes + Math.floor(x / perByte)]!;
        const v = (b >> (8 - depth * (1 + (x % perByte)))) & max;
        data[y * w + x] = Math.round((v * 255) / max);
      }
    }
  }
  const key = png.transparency;
  if (!key || (C !== 1 && C !== 3)) return { width: w, height: h, channels: C, data };
  return withColourKey(png, data, C, key);
}

/** Adds the alpha channel a tRNS colour key defines, comparing the file's own samples (before 8-bit scaling). */
function withColourKey(png: DecodedPng, data: Uint8Array, C: 1 | 3, key: Uint16Array): Image8 {
  const { width: w, height: h, depth } = png;
  const px = w * h;
  const out = new Uint8Array(px * (C + 1));
  const max = (1 << Math.min(depth, 8)) - 1;
  // Raw sample of pixel i, channel c at the file's depth (sub-byte grey: re-derived from the 8-bit value).
  const raw = depth === 16 ? (i: number, c: number) => png.data[i * C + c]!
    : depth === 8 ? (i: number, c: number) => data[i * C + c]!
      : (i: number) => Math.round((data[i]! * max) / 255);
  for (let i = 0; i < px; i++) {
    let transparent = true;
    for (let c = 0; c < C; c++) {
      out[i * (C + 1) + c] = data[i * C + c]!;
      if (raw(i, c) !== key[c]) transparent = false;
    }
    out[i * (C + 1) + C] = transparent ? 0 : 255;
  }
  return { width: w, height: h, channels: (C + 1) as 2 | 4, data: out };
}

function fromPalette(png: DecodedPng): Image8 {
  const { width: w, height: h, depth } = png;
  const pal = png.palette!;
  // With a tRNS chunk fast-png gives every palette entry a 4th value (alpha; 255 past the chunk's end).
  const C = pal[0]?.length === 4 ? 4 : 3;
  const perByte = 8 / depth, rowBytes = Math.ceil(w / perByte), mask = (1 << depth) - 1;
  const data = new Uint8Array(w * h * C);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const b = png.data[y * rowBytes + Math.floor(x / perByte)]!;
      const idx = depth === 8 ? b : (b >> (8 - depth * (1 + (x % perByte)))) & mask;
      const col = pal[idx];
      if (!col) throw new ImageDecodeError(`corrupt PNG: palette index ${idx} at (${x}, ${y}) but the palette has ${pal.length} entries`);
      const o = (y * w + x) * C;
      data[o] = col[0]!;
      data[o + 1] = col[1]!;
      data[o + 2] = col[2]!;
      if (C === 4) data[o + 3] = col[3]!;
    }
  }
  return { width: w, height: h, channels: C, data };
}

/**
 * The chunk framing fast-png does not check: every chunk lies inside the file and the file ends with
 * IEND — so a cut-off download is "truncated", not a silently shorter image.
 */
function checkFraming(b: Uint8Array): void {
  const fail = (msg: string): never => {
    throw new ImageDecodeError(`corrupt PNG: ${msg}`);
  };
  if (b.length < 8 || SIGNATURE.some((v, i) => b[i] !== v)) fail('wrong signature (not a PNG file)');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 8;
  while (p < b.length) {
    if (p + 12 > b.length) fail(`truncated: a chunk header at byte ${p} is cut off`);
    const len = dv.getUint32(p);
    if (p + 12 + len > b.length) fail(`truncated: chunk at byte ${p} claims ${len} bytes, the file ends first`);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    if (p === 8 && type !== 'IHDR') fail(`the first chunk is '${type}', expected IHDR`);
    if (type === 'IEND') return;
    p += 12 + len;
  }
  fail('truncated: no IEND chunk');
}

/** fast-png's messages, reworded where ours said more (kept as the error text users see). */
function explain(msg: string): string {
  if (/^Unsupported filter: undefined/.test(msg)) return 'truncated image data (the zlib stream ends before the last row)';
  const f = /^Unsupported filter: (\d+)/.exec(msg);
  if (f) return `unknown row filter type ${f[1]}`;
  const c = /^Unknown color type: (\d+)/.exec(msg);
  if (c) return `unsupported colour type ${c[1]}`;
  if (/decompress/i.test(msg)) return `bad zlib stream in IDAT (${msg})`;
  return msg;
}
