/**
 * @file Editing with a trained generator: images in, edited images and attention masks out — the
 * one implementation behind `sagan edit`, `npm start`'s grid and the web app. Inputs of any size are
 * cropped and resized the way the checkpoint's training data was (CelebA: the centred 170/178 square;
 * synthetic faces: the centred square), then scaled to [−1, 1].
 */
import { tensor, tidy, noGrad, readAll, full } from '../engine/index.ts';
import { imageToTensor, toRgb, type Image8, type Rect } from '../engine/index.ts';
import { celebaCrop } from './data/crop.ts';
import { Generator, type ModelConfig } from './model.ts';
import { readCheckpoint } from './checkpoint.ts';

/** The crop training used: CelebA's centred 170/178 square, or the centred square for synthetic data. */
export function trainingCrop(img: Image8, data: string): Rect {
  if (data !== 'synthetic') return celebaCrop(img.width, img.height);
  const side = Math.min(img.width, img.height);
  return { x: Math.floor((img.width - side) / 2), y: Math.floor((img.height - side) / 2), width: side, height: side };
}

/** Images → one [n, 3, S, S] batch in [−1, 1]. */
export function imagesToInput(imgs: Image8[], size: number, data: string): Float32Array {
  const out = new Float32Array(imgs.length * 3 * size * size);
  imgs.forEach((img, i) => {
    const rgb = toRgb(img);
    imageToTensor(rgb, { crop: trainingCrop(rgb, data), width: size, height: size, out, offset: i * 3 * size * size });
  });
  return out;
}

export interface EditResult {
  /** [n, 3, S, S] in [−1, 1]. */
  edited: Float32Array;
  /** [n, 1, S, S] in [0, 1] (all ones without attention). */
  mask: Float32Array;
}

/** G(x, target) for a batch; one readback. */
export async function edit(G: Generator, x: Float32Array, n: number, target: number | ArrayLike<number>): Promise<EditResult> {
  const S = G.config.size;
  if (x.length !== n * 3 * S * S) throw new Error(`edit: expected ${n}×3×${S}×${S} values, got ${x.length}`);
  const t = typeof target === 'number' ? new Float32Array(n).fill(target) : Float32Array.from(target);
  const outs = noGrad(() => tidy(() => {
    const r = G.call(tensor(x, [n, 3, S, S]), tensor(t, [n]));
    return [r.image, r.mask ?? full([n, 1, S, S], 1)];
  }));
  const [edited, mask] = await readAll(outs);
  outs.forEach((o) => o.dispose());
  return { edited, mask };
}

/** A generator from checkpoint bytes (weights only are needed; the average of G's weights when the run kept one), with its training config. */
export function generatorFromCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { G: Generator; model: ModelConfig; data: string; attribute: string } {
  const ck = readCheckpoint(bytes, source);
  const model = ck.meta.config.model;
  const G = new Generator(model);
  try {
    // A run that keeps an average of G's weights (train --g-ema) edits with the average.
    G.loadStateDict(Object.keys(ck.parts.Gema).length ? ck.parts.Gema : ck.parts.G);
  } catch (e) {
    G.dispose();
    throw new Error(`${source}: generator weights do not fit the model in its config: ${(e as Error).message}`);
  }
  return { G, model, data: String(ck.meta.config.data ?? 'synthetic'), attribute: String(ck.meta.config.attribute ?? '?') };
}
