/**
 * @file Writes a synthetic face set in CelebA's layout (Node/Deno), so any CelebA tool — including this
 * project's loader — trains on exactly the same data:
 *   img_align_celeba/000001.png …     faces on a CelebA-shaped canvas (178×218 by default), framed so that
 *                                     CelebA's centre crop is exactly the renderer's view
 *   list_attr_celeba.txt              CelebA's format and 40 attributes; the 4 switches (and the hair/
 *                                     beard facts the renderer knows) are set, all others −1
 *   list_eval_partition.txt           `name 0|1|2` (contiguous train / val / test, like CelebA's)
 *   masks/<Attribute>/000001.png      ground-truth region of each attribute (not in CelebA)
 *   synth_config.json                 the options, for reproducing the set
 * The list files are written last and atomically, so a folder with them is complete.
 */

import { CELEBA_ATTRIBUTES, SAGAN_ATTRIBUTES, type SaganAttribute } from './attrs.ts';
import { ATTR_FILE, formatAttrList, formatPartition, IMAGE_DIR, MASK_DIR, PARTITION_FILE } from './celeba.ts';
import { celebaLabels, celebaTarget, renderFaceWithMasks, sampleAttributes, sampleFace } from './faces.ts';
import { localFiles } from './fs.ts';
import { encodePng, type Image8 } from '../../engine/index.ts';
import * as jpeg from 'jpeg-js';

export interface SynthOptions {
  count: number;
  /** Set seed; face i is sampleFace(seed, i) with switches sampleAttributes(seed, i, frequencies). Default 0. */
  seed?: number;
  /** Canvas; default CelebA's 178×218. The view is always celebaCrop(width, height). */
  width?: number;
  height?: number;
  /** P(attribute = +1) per attribute; default 0.5 each. (No_Beard = +1 means no beard.) */
  frequencies?: Partial<Record<SaganAttribute, number>>;
  /** Image format; default 'png' (lossless). 'jpg' mimics CelebA's files (quality default 95). */
  format?: 'png' | 'jpg';
  quality?: number;
  /** Write masks/<Attribute>/…; default true. */
  masks?: boolean;
  /** Fractions for train / val / test in file order; default [0.8, 0.1, 0.1]. */
  partition?: readonly [number, number, number];
  /** Called after each image. */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthSummary {
  dir: string;
  count: number;
  /** Images with each attribute = +1. */
  positives: Record<SaganAttribute, number>;
  seconds: number;
}

/** CelebA-style zero-padded file stem: 000001 … (wider when count ≥ 10⁶). */
export function synthStem(i: number, count: number): string {
  return String(i + 1).padStart(Math.max(6, String(count).length), '0');
}

/** JPEG bytes via jpeg-js' encoder (it wants RGBA). */
function encodeJpegRgb(img: Image8, quality: number): Uint8Array {
  const n = img.width * img.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = img.data[i * 3]!;
    rgba[i * 4 + 1] = img.data[i * 3 + 1]!;
    rgba[i * 4 + 2] = img.data[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  const out = jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Writes `opts.count` synthetic faces into `dir` (created if needed) in CelebA's layout. */
export async function synthesizeCelebA(dir: string, opts: SynthOptions, files = localFiles): Promise<SynthSummary> {
  const t0 = performance.now();
  const { count } = opts;
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`count must be a positive integer, got ${count}`);
  const seed = opts.seed ?? 0;
  const width = opts.width ?? 178, height = opts.height ?? 218;
  const format = opts.format ?? 'png';
  const quality = opts.quality ?? 95;
  const withMasks = opts.masks ?? true;
  const part = opts.partition ?? [0.8, 0.1, 0.1];
  if (part.some((p) => p < 0) || Math.abs(part[0] + part[1] + part[2] - 1) > 1e-9) throw new RangeError('partition fractions must be ≥ 0 and sum to 1');
  for (const [a, p] of Object.entries(opts.frequencies ?? {})) {
    if (!(SAGAN_ATTRIBUTES as readonly string[]).includes(a)) throw new RangeError(`frequencies: '${a}' is not one of ${SAGAN_ATTRIBUTES.join(', ')}`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`frequencies.${a} = ${p} is not a probability`);
  }

  await files.mkdir(`${dir}/${IMAGE_DIR}`);
  if (withMasks) for (const a of SAGAN_ATTRIBUTES) await files.mkdir(`${dir}/${MASK_DIR}/${a}`);
  const target = celebaTarget(width, height);
  const ext = format === 'png' ? 'png' : 'jpg';
  const rows: { name: string; values: Int8Array }[] = [];
  const positives = Object.fromEntries(SAGAN_ATTRIBUTES.map((a) => [a, 0])) as Record<SaganAttribute, number>;
  let pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const face = sampleFace(seed, i);
    const attrs = sampleAttributes(seed, i, opts.frequencies);
    const { image, masks } = renderFaceWithMasks(face, attrs, target, { attributes: withMasks ? SAGAN_ATTRIBUTES : [] });
    const stem = synthStem(i, count);
    const name = `${stem}.${ext}`;
    pending.push(files.writeFile(`${dir}/${IMAGE_DIR}/${name}`, format === 'png' ? encodePng(image) : encodeJpegRgb(image, quality)));
    if (withMasks) {
      for (const a of SAGAN_ATTRIBUTES) pending.push(files.writeFile(`${dir}/${MASK_DIR}/${a}/${stem}.png`, encodePng(masks[a])));
    }
    const labels = celebaLabels(face, attrs);
    rows.push({ name, values: Int8Array.from(CELEBA_ATTRIBUTES, (a) => labels[a] ?? -1) });
    for (const a of SAGAN_ATTRIBUTES) if (attrs[a]) positives[a]++;
    // Bounded write-behind: rendering continues while the OS writes, without unbounded memory.
    if (pending.length >= 64) {
      await Promise.all(pending);
      pending = [];
    }
    opts.onProgress?.(i + 1, count);
  }
  await Promise.all(pending);

  const nTrain = Math.round(count * part[0]);
  const nVal = Math.round(count * (part[0] + part[1])) - nTrain;
  const split = (i: number): 0 | 1 | 2 => (i < nTrain ? 0 : i < nTrain + nVal ? 1 : 2);
  const config = {
    generator: 'sagan-webgpu synthetic faces (src/sagan/data/faces.ts)',
    version: 1,
    count, seed, width, height, format, quality: format === 'jpg' ? quality : undefined,
    frequencies: Object.fromEntries(SAGAN_ATTRIBUTES.map((a) => [a, opts.frequencies?.[a] ?? 0.5])),
    masks: withMasks,
    partition: part,
    positives,
  };
  await files.writeFileAtomic(`${dir}/synth_config.json`, JSON.stringify(config, null, 2) + '\n');
  await files.writeFileAtomic(`${dir}/${PARTITION_FILE}`, formatPartition(rows.map((r, i) => ({ name: r.name, split: split(i) }))));
  await files.writeFileAtomic(`${dir}/${ATTR_FILE}`, formatAttrList(CELEBA_ATTRIBUTES, rows));
  return { dir, count, positives, seconds: (performance.now() - t0) / 1000 };
}
