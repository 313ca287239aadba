/**
 * @file CelebA in its published layout — `list_attr_celeba.txt`, `img_align_celeba/` (JPEG or PNG),
 * optionally `list_eval_partition.txt` — as batches for SaGAN: one attribute as the label, CelebA's centre
 * crop, resize to the model size, values in [−1, 1], seeded shuffling, the re-implementation's split, and
 * prefetching so decoding overlaps the consumer's work. Also the writers of the two list formats (used by
 * the synthetic set) and the synthetic set's optional `masks/<Attribute>/<stem>.png` region masks.
 *
 * File access is injected (`readFile(path)`), so this module runs in browsers (e.g. over File objects) as
 * well as on Node/Deno (pass `localFiles.readFile` from ./fs.ts). Every malformed input becomes a
 * CelebAError naming the file and, where there is one, the line.
 */

import { decodeImage, imageToTensor, toGrey, toRgb, type Image8 } from '../../engine/index.ts';
import { celebaCrop } from './crop.ts';
import { hashInts, Rng, shuffleInPlace } from './rng.ts';

export const ATTR_FILE = 'list_attr_celeba.txt';
export const PARTITION_FILE = 'list_eval_partition.txt';
export const IMAGE_DIR = 'img_align_celeba';
/** Not part of CelebA: region masks written by the synthetic generator, one folder per attribute. */
export const MASK_DIR = 'masks';

/** A problem with the data, located: `file` and (1-based) `line` where the problem is or was listed. */
export class CelebAError extends Error {
  override name = 'CelebAError';
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, reason: string, cause?: unknown) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${reason}`, cause === undefined ? undefined : { cause });
    this.file = file;
    this.line = line;
  }
}

// ─── list files ─────────────────────────────────────────────────────────────────────────────────────────

export interface AttrList {
  /** Attribute names from line 2 (CelebA: the 40 of CELEBA_ATTRIBUTES). */
  attributes: string[];
  /** Image file names, in file order. */
  names: string[];
  /** 1-based line of each image in the file. */
  lines: Int32Array;
  /** values[i · attributes.length + a] ∈ {−1, +1}. */
  values: Int8Array;
}

function splitLines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
  return text.split(/\r?\n/);
}

/**
 * Parses list_attr_celeba.txt: line 1 the image count, line 2 the attribute names, then one line per image:
 * `name v1 … vK` with each v ∈ {1, −1}, separated by any run of spaces/tabs (CelebA pads with spaces).
 * Trailing blank lines are allowed; anything else irregular is a CelebAError naming `file` and the line.
 */
export function parseAttrList(text: string, file = ATTR_FILE): AttrList {
  const lines = splitLines(text);
  let last = lines.length;
  while (last > 0 && lines[last - 1]!.trim() === '') last--;
  if (last === 0) throw new CelebAError(file, 1, 'file is empty (expected the image count on line 1)');
  const countText = lines[0]!.trim();
  if (!/^\d+$/.test(countText)) throw new CelebAError(file, 1, `expected the image count, found '${countText.slice(0, 40)}'`);
  const count = Number(countText);
  if (last < 2) throw new CelebAError(file, 2, 'missing the line of attribute names');
  const attributes = lines[1]!.trim().split(/\s+/).filter((t) => t !== '');
  if (attributes.length === 0) throw new CelebAError(file, 2, 'no attribute names');
  const seenAttr = new Map<string, number>();
  attributes.forEach((a, i) => {
    if (/^[-+]?\d+$/.test(a)) throw new CelebAError(file, 2, `'${a}' is not an attribute name (is the header line missing?)`);
    if (seenAttr.has(a)) throw new CelebAError(file, 2, `attribute '${a}' appears twice (columns ${seenAttr.get(a)! + 1} and ${i + 1})`);
    seenAttr.set(a, i);
  });
  const K = attributes.length;
  const n = last - 2;
  const names: string[] = [];
  const lineNo = new Int32Array(n);
  const values = new Int8Array(n * K);
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const ln = i + 3;
    const raw = lines[i + 2]!;
    const tok = raw.trim().split(/\s+/).filter((t) => t !== '');
    if (tok.length === 0) throw new CelebAError(file, ln, 'empty line inside the list');
    if (tok.length !== K + 1) {
      throw new CelebAError(file, ln, `expected an image name and ${K} values, found ${tok.length} field${tok.length === 1 ? '' : 's'}`);
    }
    const name = tok[0]!;
    if (/^[-+]?\d+$/.test(name)) throw new CelebAError(file, ln, `'${name}' is not an image file name`);
    const prev = seen.get(name);
    if (prev !== undefined) throw new CelebAError(file, ln, `image '${name}' listed twice (first on line ${prev})`);
    seen.set(name, ln);
    for (let a = 0; a < K; a++) {
      const t = tok[a + 1]!;
      const v = t === '1' || t === '+1' ? 1 : t === '-1' ? -1 : 0;
      if (v === 0) throw new CelebAError(file, ln, `value '${t}' for ${attributes[a]} is not 1 or -1`);
      values[i * K + a] = v;
    }
    names.push(name);
    lineNo[i] = ln;
  }
  if (count !== n) throw new CelebAError(file, 1, `line 1 says ${count} images but the file lists ${n}`);
  return { attributes, names, lines: lineNo, values };
}

/**
 * Formats list_attr_celeba.txt exactly as CelebA does: the count, the names each followed by a space, then
 * per image `name` and every value right-aligned in a 2-character field after one space ("  1", " -1").
 */
export function formatAttrList(attributes: readonly string[], rows: readonly { name: string; values: ArrayLike<number> }[]): string {
  const out: string[] = [String(rows.length), attributes.map((a) => `${a} `).join('')];
  for (const r of rows) {
    if (r.values.length !== attributes.length) throw new RangeError(`${r.name}: ${r.values.length} values for ${attributes.length} attributes`);
    let line = r.name;
    for (let i = 0; i < r.values.length; i++) line += r.values[i]! > 0 ? '  1' : ' -1';
    out.push(line);
  }
  return out.join('\n') + '\n';
}

/** Parses list_eval_partition.txt: `name k`, k = 0 train, 1 validation, 2 test. */
export function parsePartition(text: string, file = PARTITION_FILE): Map<string, { split: 0 | 1 | 2; line: number }> {
  const lines = splitLines(text);
  let last = lines.length;
  while (last > 0 && lines[last - 1]!.trim() === '') last--;
  const out = new Map<string, { split: 0 | 1 | 2; line: number }>();
  for (let i = 0; i < last; i++) {
    const tok = lines[i]!.trim().split(/\s+/).filter((t) => t !== '');
    if (tok.length === 0) throw new CelebAError(file, i + 1, 'empty line inside the list');
    if (tok.length !== 2 || !/^[012]$/.test(tok[1]!)) {
      throw new CelebAError(file, i + 1, `expected 'name 0|1|2', found '${lines[i]!.trim().slice(0, 60)}'`);
    }
    if (out.has(tok[0]!)) throw new CelebAError(file, i + 1, `image '${tok[0]}' listed twice (first on line ${out.get(tok[0]!)!.line})`);
    out.set(tok[0]!, { split: Number(tok[1]) as 0 | 1 | 2, line: i + 1 });
  }
  return out;
}

/** Formats list_eval_partition.txt as CelebA does: `name k` per line. */
export function formatPartition(rows: readonly { name: string; split: 0 | 1 | 2 }[]): string {
  return rows.map((r) => `${r.name} ${r.split}`).join('\n') + '\n';
}

// ─── the dataset ────────────────────────────────────────────────────────────────────────────────────────

export type ReadFile = (path: string) => Promise<Uint8Array>;

export interface CelebAOptions {
  /** Folder holding list_attr_celeba.txt and img_align_celeba/. */
  root: string;
  /** The attribute used as label, e.g. 'Eyeglasses'. */
  attribute: string;
  /** Model resolution: images come out size×size. */
  size: number;
  /** Reads a whole file (Node/Deno: localFiles.readFile from ./fs.ts; browsers: from File objects). */
  readFile: ReadFile;
  /** Which part; default 'train'. 'val' exists only with splitBy 'partition'. */
  split?: 'train' | 'val' | 'test' | 'all';
  /**
   * 'count' (default, as the SaGAN re-implementation): the first `trainCount` lines are train, the rest test.
   * 'partition': CelebA's list_eval_partition.txt (0 train, 1 val, 2 test).
   */
  splitBy?: 'count' | 'partition';
  /** Default 200 000 (of CelebA's 202 599). */
  trainCount?: number;
  /** An empty split is a dataset of length 0 instead of an error (callers that fall back to another split). */
  allowEmpty?: boolean;
  /** Also load masks/<attribute>/<stem>.png (synthetic sets) as 1×size×size in [0, 1]. */
  masks?: boolean;
  /** Image decoder; default decodeImage (pure JS PNG/JPEG). Browsers may pass decodeImageAsync. */
  decode?: (bytes: Uint8Array) => Image8 | Promise<Image8>;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle seed; epoch e uses the permutation seeded by (seed, e). Default 0. */
  seed?: number;
  /** Default true. */
  shuffle?: boolean;
  /** Passes over the split; default 1. Infinity streams forever (training). */
  epochs?: number;
  /** Drop the last, smaller batch of each epoch; default true (fixed shapes for the GPU). */
  dropLast?: boolean;
  /** Batches decoded ahead of the one being consumed; default 2. */
  prefetch?: number;
}

export interface CelebABatch {
  /** N×3×size×size, in [−1, 1]. */
  images: Float32Array;
  /** N labels: 1 where the attribute is +1, else 0. */
  labels: Float32Array;
  /** N×1×size×size in [0, 1], when opened with masks: true. */
  masks?: Float32Array;
  names: string[];
  shape: [number, number, number, number];
  epoch: number;
  /** Batch index within the epoch. */
  index: number;
}

/** Lets pending timers / I/O callbacks (e.g. GPU completions) run between decodes. */
const yieldToEventLoop: () => Promise<void> =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? () => new Promise((r) => (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate(r))
    : () => new Promise((r) => setTimeout(r, 0));

const join = (...parts: string[]) => parts.filter((p) => p !== '').join('/').replace(/\/{2,}/g, '/');

/**
 * Opens a CelebA-layout folder: reads and validates the list file(s) and selects the split. Images are read
 * lazily, batch by batch (a missing or corrupt image is reported when it is reached, naming the image and
 * the list line that named it).
 */
export async function openCelebA(opts: CelebAOptions): Promise<CelebADataset> {
  if (!(Number.isInteger(opts.size) && opts.size >= 1)) throw new RangeError(`size must be a positive integer, got ${opts.size}`);
  const attrPath = join(opts.root, ATTR_FILE);
  const list = parseAttrList(await readText(opts.readFile, attrPath), attrPath);
  const col = list.attributes.indexOf(opts.attribute);
  if (col < 0) {
    throw new CelebAError(attrPath, 2, `unknown attribute '${opts.attribute}'; valid attributes: ${list.attributes.join(', ')}`);
  }
  const split = opts.split ?? 'train';
  const by = opts.splitBy ?? 'count';
  const n = list.names.length;
  let keep: number[] = [];
  if (by === 'count') {
    if (split === 'val') throw new RangeError("split 'val' needs splitBy: 'partition' (the count split has only train and test)");
    const tc = opts.trainCount ?? 200_000;
    if (!(Number.isInteger(tc) && tc >= 0)) throw new RangeError(`trainCount must be a non-negative integer, got ${tc}`);
    const [a, b] = split === 'train' ? [0, Math.min(tc, n)] : split === 'test' ? [Math.min(tc, n), n] : [0, n];
    for (let i = a; i < b; i++) keep.push(i);
  } else {
    const pPath = join(opts.root, PARTITION_FILE);
    const part = parsePartition(await readText(opts.readFile, pPath), pPath);
    const want = split === 'train' ? 0 : split === 'val' ? 1 : 2;
    for (let i = 0; i < n; i++) {
      const p = part.get(list.names[i]!);
      if (!p) throw new CelebAError(pPath, undefined, `image '${list.names[i]}' (${attrPath}:${list.lines[i]}) has no partition entry`);
      if (split === 'all' || p.split === want) keep.push(i);
    }
  }
  if (keep.length === 0 && !opts.allowEmpty) {
    throw new CelebAError(attrPath, undefined, `split '${split}' is empty (${n} images; ${by === 'count' ? `trainCount ${opts.trainCount ?? 200_000}` : 'per list_eval_partition.txt'})`);
  }
  const names = keep.map((i) => list.names[i]!);
  const lines = Int32Array.from(keep, (i) => list.lines[i]!);
  const labels = Float32Array.from(keep, (i) => (list.values[i * list.attributes.length + col]! > 0 ? 1 : 0));
  keep = [];
  return new CelebADataset(opts, split, attrPath, names, lines, labels);
}

async function readText(readFile: ReadFile, path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new CelebAError(path, undefined, `cannot read: ${(e as Error).message ?? String(e)}`, e);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new CelebAError(path, undefined, 'not a UTF-8 text file', e);
  }
}

export class CelebADataset {
  readonly root: string;
  readonly attribute: string;
  readonly size: number;
  readonly split: string;
  /** Image file names of the split, in list order. */
  readonly names: readonly string[];
  /** 0/1 label per image of the split. */
  readonly labels: Float32Array;
  private readonly lines: Int32Array;
  private readonly attrPath: string;
  private readonly opts: CelebAOptions;

  constructor(opts: CelebAOptions, split: string, attrPath: string, names: string[], lines: Int32Array, labels: Float32Array) {
    this.opts = opts;
    this.root = opts.root;
    this.attribute = opts.attribute;
    this.size = opts.size;
    this.split = split;
    this.attrPath = attrPath;
    this.names = names;
    this.lines = lines;
    this.labels = labels;
  }

  get length(): number {
    return this.names.length;
  }

  /** Images of the split whose attribute is +1. */
  get positives(): number {
    let p = 0;
    for (const l of this.labels) p += l;
    return p;
  }

  /** Batches per epoch. */
  batchCount(batchSize: number, dropLast = true): number {
    return dropLast ? Math.floor(this.length / batchSize) : Math.ceil(this.length / batchSize);
  }

  /** Path of image i of the split. */
  imagePath(i: number): string {
    return join(this.root, IMAGE_DIR, this.names[i]!);
  }

  /** Path of the synthetic mask of image i for this dataset's attribute. */
  maskPath(i: number): string {
    const stem = this.names[i]!.replace(/\.[^./]*$/, '');
    return join(this.root, MASK_DIR, this.attribute, `${stem}.png`);
  }

  /**
   * Image i of the split: CelebA centre crop (see celebaCrop), resized to size×size (area averaging when
   * shrinking, bilinear when enlarging), CHW in [−1, 1] — written into `out` at `offset` when given.
   */
  async loadImage(i: number, out?: Float32Array, offset = 0): Promise<Float32Array> {
    const img = toRgb(await this.decodeFile(this.imagePath(i), i));
    return imageToTensor(img, { crop: celebaCrop(img.width, img.height), width: this.size, height: this.size, out, offset });
  }

  /** Mask i (synthetic sets): same crop and resize, 1×size×size in [0, 1]. */
  async loadMask(i: number, out?: Float32Array, offset = 0): Promise<Float32Array> {
    const img = toGrey(await this.decodeFile(this.maskPath(i), i));
    return imageToTensor(img, { crop: celebaCrop(img.width, img.height), width: this.size, height: this.size, range: [0, 1], out, offset });
  }

  private async decodeFile(path: string, i: number): Promise<Image8> {
    const where = `listed in ${this.attrPath} line ${this.lines[i]}`;
    let bytes: Uint8Array;
    try {
      bytes = await this.opts.readFile(path);
    } catch (e) {
      throw new CelebAError(path, undefined, `cannot read image (${where}): ${(e as Error).message ?? String(e)}`, e);
    }
    try {
      const img = await (this.opts.decode ?? decodeImage)(bytes);
      if (!(img.width >= 1 && img.height >= 1)) throw new Error(`decoded to ${img.width}×${img.height}`);
      return img;
    } catch (e) {
      throw new CelebAError(path, undefined, `cannot decode image (${where}): ${(e as Error).message ?? String(e)}`, e);
    }
  }

  /** Loads the given split indices into one batch. */
  async loadBatch(indices: ArrayLike<number>, epoch = 0, index = 0, cancelled?: () => boolean): Promise<CelebABatch> {
    const n = indices.length, S = this.size;
    const images = new Float32Array(n * 3 * S * S);
    const labels = new Float32Array(n);
    const masks = this.opts.masks ? new Float32Array(n * S * S) : undefined;
    const names: string[] = [];
    for (let b = 0; b < n; b++) {
      if (cancelled?.()) break;
      const i = indices[b]!;
      await this.loadImage(i, images, b * 3 * S * S);
      if (masks) await this.loadMask(i, masks, b * S * S);
      labels[b] = this.labels[i]!;
      names.push(this.names[i]!);
      await yieldToEventLoop();
    }
    return { images, labels, masks, names, shape: [n, 3, S, S], epoch, index };
  }

  /**
   * Streams batches. Up to `prefetch` batches are decoded ahead, one after another, while the consumer
   * works on the current one; decoding yields to the event loop between images so the consumer's
   * callbacks (GPU completions) are not held up. Errors surface at the batch they belong to. Breaking out
   * of the loop stops the prefetching.
   */
  async *batches(opts: BatchOptions): AsyncGenerator<CelebABatch, void, undefined> {
    const bs = opts.batchSize;
    if (!(Number.isInteger(bs) && bs >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${bs}`);
    const dropLast = opts.dropLast ?? true;
    const perEpoch = this.batchCount(bs, dropLast);
    if (perEpoch === 0) {
      throw new RangeError(`split '${this.split}' has ${this.length} images: not one full batch of ${bs} (pass dropLast: false?)`);
    }
    const epochs = opts.epochs ?? 1;
    const prefetch = Math.max(0, opts.prefetch ?? 2);
    const shuffle = opts.shuffle ?? true;
    const seed = opts.seed ?? 0;
    const self = this;
    function* plan(): Generator<[Int32Array, number, number]> {
      for (let e = 0; e < epochs; e++) {
        const order = Int32Array.from({ length: self.length }, (_, i) => i);
        if (shuffle) shuffleInPlace(order, new Rng(hashInts(seed, e)));
        for (let b = 0; b < perEpoch; b++) yield [order.subarray(b * bs, Math.min(self.length, (b + 1) * bs)), e, b];
      }
    }
    const it = plan();
    let stopped = false;
    const queue: Promise<CelebABatch>[] = [];
    let chain: Promise<unknown> = Promise.resolve();
    const schedule = (): void => {
      const next = it.next();
      if (next.done) return;
      const [idx, e, b] = next.value;
      const p = chain.then(() => this.loadBatch(idx, e, b, () => stopped));
      p.catch(() => {}); // rejection is delivered when this batch is awaited, not as "unhandled"
      chain = p.catch(() => {});
      queue.push(p);
    };
    // While the consumer holds batch k, batches k+1 … k+prefetch are being loaded.
    for (let k = 0; k <= prefetch; k++) schedule();
    try {
      while (queue.length > 0) {
        const batch = await queue.shift()!;
        yield batch;
        schedule();
      }
    } finally {
      stopped = true;
    }
  }
}
