/**
 * @file PNG encoder and decoder in pure TypeScript (zlib via `fflate`, which is synchronous and runs in Node,
 * Deno and browsers). The encoder writes 8-bit grey / grey+alpha / RGB / RGBA with per-row adaptive
 * filtering; the decoder reads every standard PNG: colour types 0, 2, 3, 4, 6, bit depths 1–16, Adam7
 * interlacing, palette transparency — and checks CRCs and sizes so a corrupt file is an error, not garbage.
 */

import { unzlibSync, zlibSync } from 'fflate';
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

/** Adam7 passes: (x0, y0, dx, dy). */
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

/**
 * Decodes a PNG to 8-bit samples. Output channels: grey 1, grey+alpha 2, RGB 3, RGBA 4; palette images become
 * RGB, or RGBA when a tRNS chunk gives entries alpha. 16-bit samples are rounded to 8 bits (v / 257);
 * sub-byte grey is scaled to 0–255. A tRNS colour key on grey/RGB images is ignored (no alpha channel made).
 */
export function decodePng(bytes: Uint8Array): Image8 {
  const fail = (msg: string): never => {
    throw new ImageDecodeError(`corrupt PNG: ${msg}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('bad signature');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  let first = true;
  while (p < bytes.length) {
    if (p + 12 > bytes.length) fail('truncated chunk header');
    const len = dv.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    if (len > 0x7fffffff || p + 12 + len > bytes.length) fail(`chunk ${type} runs past the end of the file`);
    const body = bytes.subarray(p + 8, p + 8 + len);
    if (crc32(bytes, p + 4, p + 8 + len) !== dv.getUint32(p + 8 + len)) fail(`CRC mismatch in chunk ${type}`);
    if (first && type !== 'IHDR') fail('first chunk is not IHDR');
    first = false;
    if (type === 'IHDR') {
      if (len !== 13) fail('IHDR has wrong length');
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      depth = body[8]!;
      colorType = body[9]!;
      interlace = body[12]!;
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) fail(`bad size ${width}×${height}`);
      const okDepths: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
      if (!okDepths[colorType]?.includes(depth)) fail(`colour type ${colorType} with bit depth ${depth}`);
      if (body[10] !== 0 || body[11] !== 0 || interlace > 1) fail('unknown compression, filter or interlace method');
    } else if (type === 'PLTE') {
      if (len % 3 !== 0 || len === 0) fail('PLTE length is not a multiple of 3');
      palette = body;
    } else if (type === 'tRNS') {
      trns = body;
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    } else if ((bytes[p + 4]! & 0x20) === 0) {
      fail(`unknown critical chunk ${type}`);
    }
    p += 12 + len;
  }
  if (!sawEnd) fail('missing IEND (file truncated?)');
  if (idat.length === 0) fail('no IDAT chunk');
  if (colorType === 3 && !palette) fail('palette image without PLTE');

  const samples = colorType === 0 ? 1 : colorType === 2 ? 3 : colorType === 3 ? 1 : colorType === 4 ? 2 : 4;
  const bitsPerPixel = samples * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3); // filter byte distance
  let zsize = 0;
  for (const c of idat) zsize += c.length;
  const z = new Uint8Array(zsize);
  let zp = 0;
  for (const c of idat) {
    z.set(c, zp);
    zp += c.length;
  }
  let raw: Uint8Array;
  try {
    raw = unzlibSync(z);
  } catch (e) {
    return fail(`zlib data: ${(e as Error).message}`);
  }

  const passes = interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) expected += ph * (1 + Math.ceil((pw * bitsPerPixel) / 8));
  }
  if (raw.length < expected) fail(`image data is ${raw.length} bytes, expected ${expected} (truncated?)`);

  // Decoded samples at full precision (16-bit kept until the end), one slot per sample.
  const outC: 1 | 2 | 3 | 4 = colorType === 3 ? (trns ? 4 : 3) : (samples as 1 | 2 | 3 | 4);
  const out = new Uint8Array(width * height * outC);
  const maxGrey = (1 << depth) - 1;
  let rp = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Uint8Array(stride);
    let cur = new Uint8Array(stride);
    for (let y = 0; y < ph; y++) {
      const f = raw[rp++]!;
      for (let i = 0; i < stride; i++) {
        const x = raw[rp + i]!;
        const a = i >= bpp ? cur[i - bpp]! : 0;
        const b = prev[i]!;
        let v: number;
        switch (f) {
          case 0: v = x; break;
          case 1: v = x + a; break;
          case 2: v = x + b; break;
          case 3: v = x + ((a + b) >> 1); break;
          case 4: v = x + paeth(a, b, i >= bpp ? prev[i - bpp]! : 0); break;
          default: return fail(`unknown filter type ${f} on row ${y}`);
        }
        cur[i] = v & 0xff;
      }
      rp += stride;
      const oy = y0 + y * dy;
      for (let xi = 0; xi < pw; xi++) {
        const o = (oy * width + x0 + xi * dx) * outC;
        if (depth === 8) {
          if (colorType === 3) {
            const idx = cur[xi]!;
            writePalette(out, o, idx);
          } else {
            for (let s = 0; s < samples; s++) out[o + s] = cur[xi * samples + s]!;
          }
        } else if (depth === 16) {
          for (let s = 0; s < samples; s++) {
            const v16 = (cur[(xi * samples + s) * 2]! << 8) | cur[(xi * samples + s) * 2 + 1]!;
            out[o + s] = Math.round(v16 / 257);
          }
        } else {
          // Sub-byte: pixels packed MSB-first.
          const bit = xi * depth;
          const v = (cur[bit >> 3]! >> (8 - depth - (bit & 7))) & maxGrey;
          if (colorType === 3) writePalette(out, o, v);
          else out[o] = Math.round((v * 255) / maxGrey);
        }
      }
      const t = prev;
      prev = cur;
      cur = t;
    }
  }
  return { width, height, channels: outC, data: out };

  function writePalette(dst: Uint8Array, o: number, idx: number): void {
    if (idx * 3 + 2 >= palette!.length) fail(`palette index ${idx} out of range`);
    dst[o] = palette![idx * 3]!;
    dst[o + 1] = palette![idx * 3 + 1]!;
    dst[o + 2] = palette![idx * 3 + 2]!;
    if (outC === 4) dst[o + 3] = idx < trns!.length ? trns![idx]! : 255;
  }
}
