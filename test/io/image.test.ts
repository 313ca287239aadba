/**
 * @file Image helpers: CelebA's crop rule, crop + resize (area averaging down, bilinear up), the byte ↔
 * [−1, 1] mapping and tensor ↔ image round trips on plain NCHW Float32Arrays.
 */
import { describe, expect, it } from 'vitest';
import {
  batchToImages, imagesToBatch, imageToTensor, resizeImage, tensorToImage, toGrey, toRgb,
} from '../../src/engine/io/image.ts';
import { celebaCrop } from '../../src/sagan/data/crop.ts';
import type { Image8 } from '../../src/engine/io/types.ts';
import { Rng } from '../../src/sagan/data/rng.ts';

function rand(w: number, h: number, c: 1 | 2 | 3 | 4, seed: number): Image8 {
  const r = new Rng(seed);
  return { width: w, height: h, channels: c, data: Uint8Array.from({ length: w * h * c }, () => r.int(256)) };
}

describe('celebaCrop', () => {
  it("is CelebA's 170×170 at (4, 24) for 178×218 aligned images", () => {
    expect(celebaCrop(178, 218)).toEqual({ x: 4, y: 24, width: 170, height: 170 });
  });
  it('crops the centred square of side round(min(w, h)·170/178) for other sizes', () => {
    expect(celebaCrop(89, 109)).toEqual({ x: 2, y: 12, width: 85, height: 85 });
    expect(celebaCrop(128, 128)).toEqual({ x: 3, y: 3, width: 122, height: 122 });
    expect(celebaCrop(300, 200)).toEqual({ x: 54, y: 4, width: 191, height: 191 });
    expect(celebaCrop(1, 1)).toEqual({ x: 0, y: 0, width: 1, height: 1 });
  });
});

describe('imageToTensor / tensorToImage', () => {
  it('maps bytes linearly onto [−1, 1] in CHW order, and back exactly', () => {
    const img: Image8 = { width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 255, 51, 102, 204, 255]) };
    const t = imageToTensor(img);
    // R = [0, 102], G = [255, 204], B = [51, 255]
    expect(Array.from(t, (v) => +v.toFixed(5))).toEqual([-1, -0.2, 1, 0.6, -0.6, 1]);
    expect(tensorToImage(t, 3, 1, 2).data).toEqual(img.data);
  });
  it('round-trips random images of 1 and 3 channels, with custom ranges, clamping overshoot', () => {
    for (const c of [1, 3] as const) {
      const img = rand(7, 5, c, c);
      expect(tensorToImage(imageToTensor(img), c, 5, 7).data).toEqual(img.data);
      expect(tensorToImage(imageToTensor(img, { range: [0, 1] }), c, 5, 7, 0, [0, 1]).data).toEqual(img.data);
    }
    expect([...tensorToImage(Float32Array.from([-3, 3, 0]), 1, 1, 3).data]).toEqual([0, 255, 128]);
  });
  it('writes into a batch slot at an offset', () => {
    const a = rand(4, 4, 3, 1), b = rand(4, 4, 3, 2);
    const { data, shape } = imagesToBatch([a, b]);
    expect(shape).toEqual([2, 3, 4, 4]);
    const back = batchToImages(data, shape);
    expect(back[0]!.data).toEqual(a.data);
    expect(back[1]!.data).toEqual(b.data);
    const out = new Float32Array(3 * 16 * 2);
    imageToTensor(b, { out, offset: 48 });
    expect(out.subarray(48)).toEqual(data.subarray(48));
    expect(() => imageToTensor(b, { out: new Float32Array(10) })).toThrow(RangeError);
  });
  it('rejects a crop outside the image', () => {
    expect(() => imageToTensor(rand(10, 10, 3, 1), { crop: { x: 5, y: 0, width: 6, height: 6 } })).toThrow(/outside/);
  });
});

describe('resize', () => {
  it('area-averages on integer downscales (each output = mean of its block)', () => {
    const img = rand(12, 8, 3, 9);
    const t = imageToTensor(img, { width: 3, height: 2, range: [0, 255] });
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 3; x++) {
          let s = 0;
          for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += img.data[((y * 4 + dy) * 12 + x * 4 + dx) * 3 + c]!;
          expect(t[(c * 2 + y) * 3 + x]).toBeCloseTo(s / 16, 3);
        }
      }
    }
  });
  it('area-averages on fractional downscales: overlap-weighted, mean-preserving (170 → 128)', () => {
    const img = rand(170, 170, 1, 4);
    const t = imageToTensor(img, { width: 128, height: 128, range: [0, 255] });
    const mean = (a: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += a[i]!;
      return s / a.length;
    };
    expect(mean(t)).toBeCloseTo(mean(img.data), 2);
    // Output pixel 0 covers source [0, 1.328125): pixel 0 whole, pixel 1 for 0.328125.
    const s = 170 / 128;
    const row = (y: number, x: number) => img.data[y * 170 + x]!;
    const wx = [1, s - 1];
    let want = 0;
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) want += wx[a]! * wx[b]! * row(a, b);
    expect(t[0]).toBeCloseTo(want / (s * s), 3);
  });
  it('interpolates bilinearly when enlarging (pixel centres aligned, edges clamped)', () => {
    const img: Image8 = { width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 200]) };
    const t = imageToTensor(img, { width: 4, height: 1, range: [0, 255] });
    // Output centres at source x = −0.25, 0.25, 0.75, 1.25 → clamp, 1/4, 3/4, clamp.
    expect(Array.from(t)).toEqual([0, 50, 150, 200]);
  });
  it('keeps constant images constant in both directions and crops before resizing', () => {
    const img: Image8 = { width: 30, height: 40, channels: 3, data: new Uint8Array(30 * 40 * 3).fill(90) };
    for (const [w, h] of [[7, 9], [64, 50], [30, 13]]) {
      expect(resizeImage(img, w!, h!).data.every((v) => v === 90)).toBe(true);
    }
    const ramp: Image8 = { width: 10, height: 1, channels: 1, data: Uint8Array.from({ length: 10 }, (_, i) => i * 10) };
    expect([...resizeImage(ramp, 2, 1, { x: 4, y: 0, width: 4, height: 1 }).data]).toEqual([45, 65]);
  });
});

describe('channel conversion', () => {
  it('toRgb replicates grey and drops alpha; toGrey uses Rec. 601 luma', () => {
    const ga: Image8 = { width: 1, height: 1, channels: 2, data: Uint8Array.from([40, 7]) };
    expect([...toRgb(ga).data]).toEqual([40, 40, 40]);
    const rgba: Image8 = { width: 1, height: 1, channels: 4, data: Uint8Array.from([255, 0, 0, 9]) };
    expect([...toRgb(rgba).data]).toEqual([255, 0, 0]);
    expect([...toGrey(rgba).data]).toEqual([76]);
  });
});
