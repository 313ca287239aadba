/**
 * @file PNG codec tests: encode → decode round trips for every channel count and awkward sizes, decoding of
 * PNG variants our encoder never writes (palette + tRNS, tRNS colour keys, 16-bit, sub-byte grey, Adam7 interlacing) built
 * here by a minimal independent writer, and corrupt files → ImageDecodeError.
 */
import { describe, expect, it } from 'vitest';
import { zlibSync } from 'fflate';
import { decodePng, encodePng } from '../../src/engine/io/png.ts';
import { ImageDecodeError, type Image8 } from '../../src/engine/io/types.ts';
import { Rng } from '../../src/sagan/data/rng.ts';

function randomImage(w: number, h: number, c: 1 | 2 | 3 | 4, seed: number, smooth = false): Image8 {
  const r = new Rng(seed);
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        data[(y * w + x) * c + k] = smooth ? (x * 7 + y * 3 + k * 50 + r.int(4)) & 255 : r.int(256);
      }
    }
  }
  return { width: w, height: h, channels: c, data };
}

// ── a deliberately simple, independent PNG writer (filter 0 on every row) for decoder-only variants ──
const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc(out.subarray(4, 8 + body.length)));
  return out;
}
function png(w: number, h: number, depth: number, colorType: number, rows: Uint8Array, extra: [string, Uint8Array][] = [], interlace = 0): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr.set([depth, colorType, 0, 0, interlace], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  for (const [t, b] of extra) parts.push(chunk(t, b));
  parts.push(chunk('IDAT', zlibSync(rows)), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
/** Packs rows of samples (each row: values of `bits` bits) with a leading filter byte 0. */
function packRows(samples: number[][], bits: number): Uint8Array {
  const bytes: number[] = [];
  for (const row of samples) {
    bytes.push(0);
    if (bits >= 8) {
      for (const v of row) {
        if (bits === 16) bytes.push(v >> 8, v & 255);
        else bytes.push(v);
      }
    } else {
      let acc = 0, n = 0;
      for (const v of row) {
        acc = (acc << bits) | v;
        n += bits;
        if (n === 8) {
          bytes.push(acc);
          acc = 0;
          n = 0;
        }
      }
      if (n > 0) bytes.push(acc << (8 - n));
    }
  }
  return Uint8Array.from(bytes);
}

describe('PNG encode/decode', () => {
  it('round-trips every channel count at awkward sizes, bit-exactly', () => {
    for (const c of [1, 2, 3, 4] as const) {
      for (const [w, h] of [[1, 1], [1, 9], [13, 1], [17, 11], [64, 64]]) {
        for (const smooth of [false, true]) {
          const img = randomImage(w!, h!, c, w! * 100 + h! + c, smooth);
          const back = decodePng(encodePng(img));
          expect(back.width).toBe(w);
          expect(back.height).toBe(h);
          expect(back.channels).toBe(c);
          expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
        }
      }
    }
  });

  it('compresses smooth and constant images well (adaptive filters + zlib)', () => {
    const flat: Image8 = { width: 128, height: 128, channels: 3, data: new Uint8Array(128 * 128 * 3).fill(77) };
    expect(encodePng(flat).length).toBeLessThan(600); // of 49 152 raw bytes
    const grad = randomImage(128, 128, 3, 1, true);
    expect(encodePng(grad).length).toBeLessThan(grad.data.length / 2);
  });

  it('writes a well-formed file: signature, IHDR fields, IEND', () => {
    const b = encodePng(randomImage(5, 3, 4, 2));
    expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(String.fromCharCode(...b.subarray(12, 16))).toBe('IHDR');
    const dv = new DataView(b.buffer, b.byteOffset);
    expect(dv.getUint32(16)).toBe(5);
    expect(dv.getUint32(20)).toBe(3);
    expect(b[24]).toBe(8); // depth
    expect(b[25]).toBe(6); // RGBA
    expect(String.fromCharCode(...b.subarray(b.length - 8, b.length - 4))).toBe('IEND');
  });

  it('decodes palette images with transparency (tRNS) to RGBA, and without to RGB', () => {
    const plte = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const idx = [[0, 1, 2, 3], [3, 2, 1, 0]];
    for (const depth of [2, 4, 8]) {
      const rgb = decodePng(png(4, 2, depth, 3, packRows(idx, depth), [['PLTE', plte]]));
      expect(rgb.channels).toBe(3);
      expect([...rgb.data.subarray(0, 12)]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
      const rgba = decodePng(png(4, 2, depth, 3, packRows(idx, depth), [['PLTE', plte], ['tRNS', Uint8Array.from([0, 128])]]));
      expect(rgba.channels).toBe(4);
      expect([...rgba.data.subarray(0, 16)]).toEqual([255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 10, 20, 30, 255]);
    }
  });

  it('turns a tRNS colour key on grey and RGB images into an alpha channel (0 on the key, 255 elsewhere)', () => {
    const be16 = (...v: number[]) => Uint8Array.from(v.flatMap((x) => [x >> 8, x & 255]));
    // RGB 8-bit, key (10, 20, 30): only the exact match becomes transparent (not (10, 20, 31)).
    const rgb = decodePng(png(3, 1, 8, 2, packRows([[10, 20, 30, 10, 20, 31, 200, 0, 9]], 8), [['tRNS', be16(10, 20, 30)]]));
    expect(rgb.channels).toBe(4);
    expect([...rgb.data]).toEqual([10, 20, 30, 0, 10, 20, 31, 255, 200, 0, 9, 255]);
    // Grey 8-bit, key 77.
    const g8 = decodePng(png(3, 1, 8, 0, packRows([[77, 78, 77]], 8), [['tRNS', be16(77)]]));
    expect(g8.channels).toBe(2);
    expect([...g8.data]).toEqual([77, 0, 78, 255, 77, 0]);
    // 16-bit RGB: the key compares full 16-bit samples; 0x0102 and 0x0103 both round to 1 in 8 bits.
    // (3 pixels: fast-png 8.0 rejects an RGB key on images of fewer pixels than key samples.)
    const rgb16 = decodePng(png(3, 1, 16, 2, packRows([[0x0102, 0, 0, 0x0103, 0, 0, 0x0102, 0, 0]], 16), [['tRNS', be16(0x0102, 0, 0)]]));
    expect([...rgb16.data]).toEqual([1, 0, 0, 0, 1, 0, 0, 255, 1, 0, 0, 0]);
    // 2-bit grey: the key is a 2-bit sample (2 → 170 after scaling).
    const g2 = decodePng(png(4, 1, 2, 0, packRows([[0, 1, 2, 3]], 2), [['tRNS', be16(2)]]));
    expect([...g2.data]).toEqual([0, 255, 85, 255, 170, 0, 255, 255]);
  });

  it('decodes 16-bit (rounded to 8) and 1/2/4-bit grey (scaled to 0–255)', () => {
    const v16 = [[0, 257, 65535, 32896]];
    const g16 = decodePng(png(4, 1, 16, 0, packRows(v16, 16)));
    expect([...g16.data]).toEqual([0, 1, 255, 128]);
    const rgb16 = decodePng(png(1, 1, 16, 2, packRows([[65535, 0, 514]], 16)));
    expect([...rgb16.data]).toEqual([255, 0, 2]);
    expect([...decodePng(png(3, 1, 1, 0, packRows([[1, 0, 1]], 1))).data]).toEqual([255, 0, 255]);
    expect([...decodePng(png(4, 1, 2, 0, packRows([[0, 1, 2, 3]], 2))).data]).toEqual([0, 85, 170, 255]);
    expect([...decodePng(png(2, 1, 4, 0, packRows([[15, 5]], 4))).data]).toEqual([255, 85]);
    const ga = decodePng(png(2, 1, 8, 4, packRows([[9, 200, 10, 100]], 8)));
    expect(ga.channels).toBe(2);
    expect([...ga.data]).toEqual([9, 200, 10, 100]);
  });

  it('decodes Adam7-interlaced images', () => {
    const w = 11, h = 9;
    const img = randomImage(w, h, 3, 42);
    const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
    const bytes: number[] = [];
    for (const [x0, y0, dx, dy] of passes) {
      for (let y = y0!; y < h; y += dy!) {
        const row: number[] = [];
        for (let x = x0!; x < w; x += dx!) row.push(...img.data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));
        if (row.length) bytes.push(0, ...row);
      }
    }
    const dec = decodePng(png(w, h, 8, 2, Uint8Array.from(bytes), [], 1));
    expect(Buffer.from(dec.data).equals(Buffer.from(img.data))).toBe(true);
  });

  it('rejects corrupt files with ImageDecodeError saying why', () => {
    const good = encodePng(randomImage(8, 8, 3, 3));
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 4), /signature/],
      [Uint8Array.from([...good.subarray(0, 8), 1, 2, 3]), /truncated/],
      [good.subarray(0, good.length - 12), /IEND|truncated/],
      [(() => { const b = good.slice(); b[40] ^= 0xff; return b; })(), /CRC/],
      [(() => { const b = good.slice(); b[8 + 4] = 0x41; return b; })(), /IHDR|CRC/],
    ];
    for (const [bytes, why] of cases) {
      expect(() => decodePng(bytes)).toThrow(ImageDecodeError);
      expect(() => decodePng(bytes)).toThrow(why);
    }
    // Valid chunks, but the zlib stream is garbage / too short for the image.
    expect(() => decodePng(png(4, 4, 8, 2, Uint8Array.from([0, 1, 2])))).toThrow(/truncated|expected/);
    const ihdr = Uint8Array.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0]);
    const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    const badZlib = Uint8Array.from([...sig, ...chunk('IHDR', ihdr), ...chunk('IDAT', Uint8Array.from([1, 2, 3, 4, 5])), ...chunk('IEND', new Uint8Array(0))]);
    expect(() => decodePng(badZlib)).toThrow(/zlib/);
    expect(() => decodePng(png(2, 2, 8, 9, new Uint8Array(6)))).toThrow(/colour type/);
    expect(() => decodePng(png(2, 1, 8, 0, Uint8Array.from([7, 1, 2])))).toThrow(/filter type 7/);
  });
});
