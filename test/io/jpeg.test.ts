/**
 * @file JPEG decoding and format sniffing: jpeg-js-encoded fixtures decode close to the source, corrupt or
 * unknown bytes become ImageDecodeError, and the async decoder falls back to pure JS off-browser.
 */
import { describe, expect, it } from 'vitest';
import * as jpeg from 'jpeg-js';
import { decodeJpeg } from '../../src/engine/io/jpeg.ts';
import { decodeImage, decodeImageAsync, sniffImageFormat } from '../../src/engine/io/image.ts';
import { encodePng } from '../../src/engine/io/png.ts';
import { ImageDecodeError, type Image8 } from '../../src/engine/io/types.ts';

/** A smooth RGB test card (JPEG's favourite content). */
function card(w: number, h: number): Image8 {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = Math.round((255 * x) / (w - 1));
      data[i + 1] = Math.round((255 * y) / (h - 1));
      data[i + 2] = Math.round(128 + 100 * Math.sin((x + y) / 9));
    }
  }
  return { width: w, height: h, channels: 3, data };
}
function encodeJpeg(img: Image8, quality: number): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    rgba.set(img.data.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data);
}
const meanAbs = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

describe('JPEG', () => {
  it('decodes to RGB close to the encoded source (round trip through jpeg-js)', () => {
    for (const [w, h, q, tol] of [[178, 218, 95, 2], [33, 17, 90, 3], [8, 8, 100, 1.5]] as const) {
      const src = card(w, h);
      const img = decodeJpeg(encodeJpeg(src, q));
      expect([img.width, img.height, img.channels]).toEqual([w, h, 3]);
      expect(meanAbs(img.data, src.data)).toBeLessThan(tol);
    }
  });

  it('rejects truncated, scrambled and empty data with ImageDecodeError', () => {
    const good = encodeJpeg(card(32, 32), 90);
    const scrambled = good.slice();
    for (let i = 200; i < 400; i++) scrambled[i] ^= 0x5a;
    for (const bad of [good.subarray(0, good.length - 2), good.subarray(0, 300), scrambled, new Uint8Array(0)]) {
      expect(() => decodeJpeg(bad)).toThrow(ImageDecodeError);
    }
    expect(() => decodeJpeg(good.subarray(0, 300))).toThrow(/corrupt JPEG/);
  });
});

describe('decodeImage (format sniffing)', () => {
  it('recognises PNG and JPEG by magic bytes and decodes both', () => {
    const src = card(20, 10);
    const png = encodePng(src);
    const jpg = encodeJpeg(src, 95);
    expect(sniffImageFormat(png)).toBe('png');
    expect(sniffImageFormat(jpg)).toBe('jpeg');
    expect(decodeImage(png).data).toEqual(src.data);
    expect(meanAbs(decodeImage(jpg).data, src.data)).toBeLessThan(3);
  });

  it('names what is wrong with other bytes', () => {
    expect(() => decodeImage(new Uint8Array(0))).toThrow(/empty file/);
    expect(() => decodeImage(new TextEncoder().encode('GIF89a....'))).toThrow(/not a PNG or JPEG/);
    expect(() => decodeImage(new TextEncoder().encode('GIF89a....'))).toThrow(ImageDecodeError);
  });

  it('decodeImageAsync falls back to the pure-JS codecs where there is no 2D OffscreenCanvas', async () => {
    const src = card(12, 7);
    const png = encodePng(src);
    expect((await decodeImageAsync(png)).data).toEqual(src.data);
    await expect(decodeImageAsync(new Uint8Array([1, 2, 3]))).rejects.toThrow(ImageDecodeError);
  });
});
