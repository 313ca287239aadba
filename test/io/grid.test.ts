/**
 * @file Image-grid layout: cell placement with gaps, column widths / row heights from the largest cell,
 * grey rendering of 1-channel masks, and grids straight from NCHW batches.
 */
import { describe, expect, it } from 'vitest';
import { imageGrid, tensorGrid } from '../../src/engine/io/grid.ts';
import type { Image8 } from '../../src/engine/io/types.ts';

const solid = (w: number, h: number, rgb: [number, number, number]): Image8 => {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { width: w, height: h, channels: 3, data };
};
const px = (img: Image8, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

describe('imageGrid', () => {
  it('places cells left-to-right, top-to-bottom with gaps around and between', () => {
    const a = solid(4, 3, [255, 0, 0]), b = solid(4, 3, [0, 255, 0]);
    const mask: Image8 = { width: 4, height: 3, channels: 1, data: new Uint8Array(12).fill(100) };
    const g = imageGrid([[a, b, mask], [b, null, a]], { gap: 2, background: [0, 0, 10] });
    expect([g.width, g.height, g.channels]).toEqual([2 + 3 * (4 + 2), 2 + 2 * (3 + 2), 3]);
    expect(px(g, 0, 0)).toEqual([0, 0, 10]); // border
    expect(px(g, 2, 2)).toEqual([255, 0, 0]); // row 0 col 0 top-left
    expect(px(g, 5, 4)).toEqual([255, 0, 0]); // … bottom-right
    expect(px(g, 6, 2)).toEqual([0, 0, 10]); // gap between columns
    expect(px(g, 8, 2)).toEqual([0, 255, 0]); // col 1 starts at 2 + 6
    expect(px(g, 14, 2)).toEqual([100, 100, 100]); // mask shown grey
    expect(px(g, 2, 7)).toEqual([0, 255, 0]); // row 1 starts at 2 + 5
    expect(px(g, 9, 8)).toEqual([0, 0, 10]); // empty cell = background
    expect(px(g, 14, 7)).toEqual([255, 0, 0]);
  });

  it('sizes columns and rows by their largest cell; defaults to white and gap 2', () => {
    const g = imageGrid([[solid(5, 2, [1, 1, 1]), solid(1, 1, [2, 2, 2])], [solid(3, 6, [3, 3, 3])]]);
    expect([g.width, g.height]).toEqual([2 + 5 + 2 + 1 + 2, 2 + 2 + 2 + 6 + 2]);
    expect(px(g, 0, 0)).toEqual([255, 255, 255]);
    expect(px(g, 9, 2)).toEqual([2, 2, 2]);
    expect(px(g, 2, 6)).toEqual([3, 3, 3]);
    expect(px(g, 5, 6)).toEqual([255, 255, 255]); // narrower cell: rest of its slot is background
  });
});

describe('tensorGrid', () => {
  it('lays out input | edited | mask columns from NCHW batches, masks in [0, 1] as grey', () => {
    const n = 3, h = 2, w = 2;
    const x = new Float32Array(n * 3 * h * w).fill(-1); // black
    const y = new Float32Array(n * 3 * h * w).fill(1); // white
    const m = new Float32Array(n * h * w);
    for (let i = 0; i < n; i++) m.fill(i / 2, i * h * w, (i + 1) * h * w); // 0, 0.5, 1
    const g = tensorGrid(
      [{ data: x, shape: [n, 3, h, w] }, { data: y, shape: [n, 3, h, w] }, { data: m, shape: [n, 1, h, w], range: [0, 1] }],
      { gap: 1, background: [9, 9, 9] },
    );
    expect([g.width, g.height]).toEqual([1 + 3 * 3, 1 + 3 * 3]);
    expect(px(g, 1, 1)).toEqual([0, 0, 0]);
    expect(px(g, 4, 1)).toEqual([255, 255, 255]);
    expect(px(g, 7, 1)).toEqual([0, 0, 0]);
    expect(px(g, 7, 4)).toEqual([128, 128, 128]);
    expect(px(g, 8, 8)).toEqual([255, 255, 255]);
    const two = tensorGrid([{ data: x, shape: [n, 3, h, w] }], { maxRows: 2, gap: 0 });
    expect([two.width, two.height]).toEqual([2, 4]);
  });
  it('transposes (one row per batch) and upscales cells by nearest neighbour', () => {
    const n = 3, h = 1, w = 2;
    const x = new Float32Array(n * 3 * h * w).fill(-1);
    x.fill(1, 3 * h * w, 3 * h * w + 1); // sample 1: red channel of its left pixel white
    const m = new Float32Array(n * h * w).fill(1);
    const g = tensorGrid([{ data: x, shape: [n, 3, h, w] }, { data: m, shape: [n, 1, h, w], range: [0, 1] }], { gap: 1, transpose: true, scale: 2 });
    expect([g.width, g.height]).toEqual([1 + 3 * (4 + 1), 1 + 2 * (2 + 1)]); // 3 samples across, 2 batches down
    expect(px(g, 6, 1)).toEqual([255, 0, 0]); // sample 1's left pixel, upscaled to a 2×2 block
    expect(px(g, 7, 2)).toEqual([255, 0, 0]);
    expect(px(g, 8, 1)).toEqual([0, 0, 0]); // its right pixel
    expect(px(g, 1, 4)).toEqual([255, 255, 255]); // the mask row
    expect(() => tensorGrid([{ data: x, shape: [n, 3, h, w] }], { scale: 1.5 })).toThrow(/scale/);
  });
  it('rejects shapes that are not NCHW with 1 or 3 channels', () => {
    expect(() => tensorGrid([{ data: new Float32Array(8), shape: [2, 4] }])).toThrow(/NCHW/);
    expect(() => tensorGrid([{ data: new Float32Array(8), shape: [1, 2, 2, 2] }])).toThrow(/channels/);
    expect(() => tensorGrid([{ data: new Float32Array(3), shape: [1, 3, 2, 2] }])).toThrow(/shorter/);
  });
});
