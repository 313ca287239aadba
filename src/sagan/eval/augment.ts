/**
 * @file Data augmentation with a trained generator (SaGAN §3.3): each input image yields three images at
 * the model's resolution — the original (cropped and resized as in training), the attribute added
 * G(x, 1) and the attribute removed G(x, 0) — and a manifest line per written file.
 */
import { encodePng, tensorToImage } from '../../engine/index.ts';
import type { Generator } from '../model.ts';
import { edit } from '../edit.ts';

export type Variant = 'original' | 'added' | 'removed';

/** One manifest line (JSON lines): which source, which variant, where, and its attribute value. */
export interface ManifestEntry {
  source: string;
  variant: Variant;
  path: string;
  attribute: string;
  /** 1 / 0 for the edits; the source's label for the original (null when unknown, e.g. plain files). */
  value: number | null;
}

/** Input images for augmentation: a name (source path or file name), pixels, and the label if known. */
export interface AugmentBatch {
  sources: string[];
  /** [n, 3, S, S] in [−1, 1]. */
  images: Float32Array;
  labels: ArrayLike<number> | null;
  n: number;
}

/** File stem of a path: 'a/b/face.01.png' → 'face.01'. */
export function fileStem(path: string): string {
  return (path.split(/[\\/]/).pop() ?? path).replace(/\.[^.]*$/, '');
}

/**
 * Edits each batch both ways and writes `<stem>_original.png`, `<stem>_added.png`, `<stem>_removed.png`
 * under `outDir` (stems made unique with `_2`, `_3`, … when two sources share one). Returns the manifest.
 */
export async function augmentImages(G: Generator, attribute: string, batches: AsyncIterable<AugmentBatch>, outDir: string,
  write: (path: string, bytes: Uint8Array) => Promise<void>): Promise<ManifestEntry[]> {
  const S = G.config.size;
  const used = new Map<string, number>();
  const manifest: ManifestEntry[] = [];
  for await (const b of batches) {
    const added = await edit(G, b.images, b.n, 1);
    const removed = await edit(G, b.images, b.n, 0);
    for (let i = 0; i < b.n; i++) {
      const base = fileStem(b.sources[i]);
      const k = (used.get(base) ?? 0) + 1;
      used.set(base, k);
      const stem = k > 1 ? `${base}_${k}` : base;
      const variants: [Variant, Float32Array, number | null][] = [
        ['original', b.images, b.labels ? b.labels[i] : null],
        ['added', added.edited, 1],
        ['removed', removed.edited, 0],
      ];
      for (const [variant, data, value] of variants) {
        const path = `${outDir}/${stem}_${variant}.png`;
        await write(path, encodePng(tensorToImage(data, 3, S, S, i * 3 * S * S)));
        manifest.push({ source: b.sources[i], variant, path, attribute, value });
      }
    }
  }
  return manifest;
}

/** The manifest as JSON lines. */
export function manifestJsonl(entries: readonly ManifestEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
}
