/**
 * @file The shipped models at work: one grid with, per model, the rows input / attribute added /
 * attribute removed / mask over the same held-out synthetic faces (the faces after the model's training
 * set, so none was trained on). Runtime-neutral: takes checkpoint bytes, returns an image.
 */
import { imageGrid, tensorToImage, type Image8 } from '../engine/index.ts';
import { edit, generatorFromCheckpoint } from './edit.ts';
import { readCheckpoint } from './checkpoint.ts';
import { syntheticSet } from './eval/data.ts';

/** Rows input / +attribute / −attribute / mask for each model, `count` faces per row, cells upscaled to ≥ 96 px. */
export async function shippedEditsGrid(models: readonly { bytes: Uint8Array; source: string }[], count = 8): Promise<Image8> {
  const rows: Image8[][] = [];
  let scale = 1;
  for (const m of models) {
    const cfg = readCheckpoint(m.bytes, m.source).meta.config;
    const { G, model, attribute } = generatorFromCheckpoint(m.bytes, m.source);
    try {
      const S = model.size;
      scale = Math.max(scale, Math.round(96 / S));
      const set = syntheticSet({
        attribute, size: S, count, withMasks: false,
        dataSeed: typeof cfg.dataSeed === 'number' ? cfg.dataSeed : 2018,
        offset: typeof cfg.dataCount === 'number' ? cfg.dataCount : 4000,
      });
      const b = await set.load(0, count);
      const plus = await edit(G, b.images, count, 1);
      const minus = await edit(G, b.images, count, 0);
      const cells = (data: Float32Array, c: number, range: [number, number]) =>
        Array.from({ length: count }, (_, i) => tensorToImage(data, c, S, S, i * c * S * S, range));
      rows.push(cells(b.images, 3, [-1, 1]), cells(plus.edited, 3, [-1, 1]), cells(minus.edited, 3, [-1, 1]), cells(plus.mask, 1, [0, 1]));
    } finally {
      G.dispose();
    }
  }
  return imageGrid(rows, { scale });
}
