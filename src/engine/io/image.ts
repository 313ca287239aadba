/**
 * @file 8-bit images on the CPU and their conversions (Image8 = interleaved HWC bytes, see types.ts): channel
 * conversion, crop + resize (area averaging down, bilinear up), and the
 * tensor ↔ image helpers on plain Float32Array NCHW data (no engine import: runs without a GPU).
 * Also `decodeImage`, which sniffs PNG / JPEG by magic bytes. No node: imports — usable in browsers.
 */

import { decodePng } from './png.ts';
import { decodeJpeg } from './jpeg.ts';
import { ImageDecodeError, type Image8, type Rect } from './types.ts';

export { createImage, ImageDecodeError, type Image8, type Rect } from './types.ts';

/**
 * Converts to RGB (3 channels). Grey is replicated; alpha is dropped, not composited: CelebA-like photos
 * carry no meaningful transparency, and compositing onto an arbitrary colour would invent content.
 */
export function toRgb(img: Image8): Image8 {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const src = img.data;
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    if (c <= 2) {
      const g = src[i * c]!;
      out[i * 3] = g;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = g;
    } else {
      out[i * 3] = src[i * c]!;
      out[i * 3 + 1] = src[i * c + 1]!;
      out[i * 3 + 2] = src[i * c + 2]!;
    }
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** Converts to one grey channel: first channel of grey images, Rec. 601 luma (0.299, 0.587, 0.114) of colour. */
export function toGrey(img: Image8): Image8 {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const src = img.data;
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    out[i] =
      c <= 2 ? src[i * c]! : Math.round(0.299 * src[i * c]! + 0.587 * src[i * c + 1]! + 0.114 * src[i * c + 2]!);
  }
  return { width: img.width, height: img.height, channels: 1, data: out };
}

/**
 * Resampling weights along one axis, from `inLen` source samples (starting at `inStart`) to `outLen`.
 *  - Downscaling (outLen ≤ inLen): area averaging. Output i covers source interval [i·s, (i+1)·s), s = inLen/outLen;
 *    each source pixel j contributes its overlap |[j, j+1) ∩ [i·s, (i+1)·s)| / s. Exact box filter, no aliasing
 *    beyond the box's own; equals plain averaging for integer factors.
 *  - Upscaling: bilinear with pixel centres aligned (align_corners = false): source x = (i + 0.5)/scale − 0.5,
 *    clamped to the edge.
 * Returned as (first source index, taps, weights[outLen × maxTaps]).
 */
function axisWeights(inStart: number, inLen: number, outLen: number) {
  let maxTaps: number;
  const first = new Int32Array(outLen);
  const taps = new Int32Array(outLen);
  let weights: Float32Array;
  if (outLen <= inLen) {
    const s = inLen / outLen;
    maxTaps = Math.ceil(s) + 1;
    weights = new Float32Array(outLen * maxTaps);
    for (let i = 0; i < outLen; i++) {
      const a = i * s;
      const b = Math.min(inLen, (i + 1) * s);
      const j0 = Math.floor(a);
      const j1 = Math.min(inLen, Math.ceil(b));
      first[i] = inStart + j0;
      taps[i] = j1 - j0;
      for (let j = j0; j < j1; j++) {
        const overlap = Math.min(b, j + 1) - Math.max(a, j);
        weights[i * maxTaps + (j - j0)] = overlap / (b - a);
      }
    }
  } else {
    maxTaps = 2;
    weights = new Float32Array(outLen * 2);
    const scale = outLen / inLen;
    for (let i = 0; i < outLen; i++) {
      const x = Math.min(inLen - 1, Math.max(0, (i + 0.5) / scale - 0.5));
      const j0 = Math.min(inLen - 2 < 0 ? 0 : inLen - 2, Math.floor(x));
      const f = inLen === 1 ? 0 : x - j0;
      first[i] = inStart + j0;
      taps[i] = inLen === 1 ? 1 : 2;
      weights[i * 2] = 1 - f;
      weights[i * 2 + 1] = f;
    }
  }
  return { first, taps, weights, maxTaps };
}

export interface ToTensorOptions {
  /** Source rectangle; default the whole image. */
  crop?: Rect;
  /** Output size; default the crop size (no resampling). */
  width?: number;
  height?: number;
  /** Value range that bytes 0 and 255 map to; default [−1, 1]. Use [0, 1] for masks. */
  range?: readonly [number, number];
  /** Write into this array at `offset` (e.g. one slot of a batch) instead of allocating. */
  out?: Float32Array;
  offset?: number;
}

/**
 * Image → CHW floats (channels = the image's channels), optionally cropping and resizing (area averaging when
 * shrinking, bilinear when enlarging — per axis, separably, in float, so nothing is quantised twice).
 * Bytes map linearly: v = lo + (hi − lo) · byte / 255; the default [−1, 1] is ToTensor + Normalize(0.5, 0.5).
 */
export function imageToTensor(img: Image8, opts: ToTensorOptions = {}): Float32Array {
  const crop = opts.crop ?? { x: 0, y: 0, width: img.width, height: img.height };
  if (
    crop.x < 0 || crop.y < 0 || crop.width < 1 || crop.height < 1 ||
    crop.x + crop.width > img.width || crop.y + crop.height > img.height
  ) {
    throw new RangeError(
      `crop ${crop.width}×${crop.height}+${crop.x}+${crop.y} lies outside the ${img.width}×${img.height} image`,
    );
  }
  const ow = opts.width ?? crop.width;
  const oh = opts.height ?? crop.height;
  const [lo, hi] = opts.range ?? [-1, 1];
  const C = img.channels;
  const offset = opts.offset ?? 0;
  const out = opts.out ?? new Float32Array(C * ow * oh);
  if (out.length < offset + C * ow * oh) throw new RangeError('imageToTensor: output array too small');
  const k = (hi - lo) / 255;
  const src = img.data;
  const W = img.width;

  if (ow === crop.width && oh === crop.height) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const s = ((crop.y + y) * W + crop.x + x) * C;
        for (let c = 0; c < C; c++) out[offset + (c * oh + y) * ow + x] = lo + k * src[s + c]!;
      }
    }
    return out;
  }
  // Separable: rows first (crop.height × ow × C temp), then columns.
  const hx = axisWeights(crop.x, crop.width, ow);
  const hy = axisWeights(crop.y, crop.height, oh);
  const tmp = new Float32Array(crop.height * ow * C);
  for (let y = 0; y < crop.height; y++) {
    const row = (crop.y + y) * W;
    for (let x = 0; x < ow; x++) {
      const j0 = hx.first[x]!;
      const n = hx.taps[x]!;
      const wb = x * hx.maxTaps;
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let t = 0; t < n; t++) acc += hx.weights[wb + t]! * src[(row + j0 + t) * C + c]!;
        tmp[(y * ow + x) * C + c] = acc;
      }
    }
  }
  for (let y = 0; y < oh; y++) {
    const j0 = hy.first[y]! - crop.y;
    const n = hy.taps[y]!;
    const wb = y * hy.maxTaps;
    for (let x = 0; x < ow; x++) {
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let t = 0; t < n; t++) acc += hy.weights[wb + t]! * tmp[((j0 + t) * ow + x) * C + c]!;
        out[offset + (c * oh + y) * ow + x] = lo + k * acc;
      }
    }
  }
  return out;
}

/** Crop + resize to a new 8-bit image (same resampling as imageToTensor, rounded to nearest). */
export function resizeImage(img: Image8, width: number, height: number, crop?: Rect): Image8 {
  const t = imageToTensor(img, { crop, width, height, range: [0, 255] });
  return tensorToImage(t, img.channels, height, width, 0, [0, 255]);
}

/**
 * CHW floats → 8-bit image (channels 1 or 3; 4 also accepted). byte = round(255 · (v − lo) / (hi − lo)),
 * clamped to [0, 255] — generator outputs can overshoot their nominal range.
 */
export function tensorToImage(
  data: ArrayLike<number>,
  channels: number,
  height: number,
  width: number,
  offset = 0,
  range: readonly [number, number] = [-1, 1],
): Image8 {
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new RangeError(`tensorToImage: ${channels} channels (expected 1–4)`);
  }
  if (data.length < offset + channels * height * width) throw new RangeError('tensorToImage: data too short');
  const [lo, hi] = range;
  const k = 255 / (hi - lo);
  const out = new Uint8Array(width * height * channels);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = Math.round((data[offset + (c * height + y) * width + x]! - lo) * k);
        out[(y * width + x) * channels + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { width, height, channels, data: out };
}

/** Splits an NCHW batch into N images (see tensorToImage for the value mapping). */
export function batchToImages(
  data: ArrayLike<number>,
  shape: readonly number[],
  range: readonly [number, number] = [-1, 1],
): Image8[] {
  if (shape.length !== 4) throw new RangeError(`batchToImages: shape [${shape}] is not NCHW`);
  const [n, c, h, w] = shape as [number, number, number, number];
  const out: Image8[] = [];
  for (let i = 0; i < n; i++) out.push(tensorToImage(data, c, h, w, i * c * h * w, range));
  return out;
}

/** Packs images (all the same size and channel count) into one NCHW Float32Array. */
export function imagesToBatch(
  images: readonly Image8[],
  range: readonly [number, number] = [-1, 1],
): { data: Float32Array; shape: [number, number, number, number] } {
  if (images.length === 0) throw new RangeError('imagesToBatch: no images');
  const { width: w, height: h, channels: c } = images[0]!;
  const data = new Float32Array(images.length * c * h * w);
  images.forEach((img, i) => {
    if (img.width !== w || img.height !== h || img.channels !== c) {
      throw new RangeError(`imagesToBatch: image ${i} is ${img.width}×${img.height}×${img.channels}, not ${w}×${h}×${c}`);
    }
    imageToTensor(img, { out: data, offset: i * c * h * w, range });
  });
  return { data, shape: [images.length, c, h, w] };
}

/** 'png' | 'jpeg' by magic bytes, or null. */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return 'png';
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Decodes PNG or JPEG (pure JS, every platform). Throws ImageDecodeError on anything else or on corruption. */
export function decodeImage(bytes: Uint8Array): Image8 {
  const fmt = sniffImageFormat(bytes);
  if (fmt === 'png') return decodePng(bytes);
  if (fmt === 'jpeg') return decodeJpeg(bytes);
  throw new ImageDecodeError(
    bytes.length === 0 ? 'empty file' : 'not a PNG or JPEG file (unrecognised leading bytes)',
  );
}

/** Whether this platform can decode with createImageBitmap + a 2D OffscreenCanvas (browsers). */
let nativeDecodeOk: boolean | undefined;
function canDecodeNatively(): boolean {
  if (nativeDecodeOk !== undefined) return nativeDecodeOk;
  const g = globalThis as unknown as { createImageBitmap?: unknown; OffscreenCanvas?: new (w: number, h: number) => { getContext(t: string): unknown } };
  nativeDecodeOk = false;
  if (typeof g.createImageBitmap === 'function' && typeof g.OffscreenCanvas === 'function') {
    try {
      // Deno defines OffscreenCanvas without a 2D context; only a working 2D context counts.
      nativeDecodeOk = new g.OffscreenCanvas(1, 1).getContext('2d') != null;
    } catch {
      nativeDecodeOk = false;
    }
  }
  return nativeDecodeOk;
}

/**
 * Decodes with the browser's native decoder when available (createImageBitmap + OffscreenCanvas 2D, off the
 * main thread's JS), otherwise with the pure-JS codecs. `native: false` forces pure JS — use it where
 * bit-exact results matter: browsers may colour-manage, and their JPEG IDCTs differ in the last bit.
 */
export async function decodeImageAsync(bytes: Uint8Array, opts: { native?: boolean } = {}): Promise<Image8> {
  if (opts.native !== false && canDecodeNatively()) {
    const fmt = sniffImageFormat(bytes);
    if (!fmt) throw new ImageDecodeError(bytes.length === 0 ? 'empty file' : 'not a PNG or JPEG file');
    let bitmap: ImageBitmap;
    try {
      const blob = new Blob([bytes as BlobPart], { type: fmt === 'png' ? 'image/png' : 'image/jpeg' });
      bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch (e) {
      throw new ImageDecodeError(`corrupt ${fmt.toUpperCase()}: ${(e as Error).message}`);
    }
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    return { width: canvas.width, height: canvas.height, channels: 4, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) };
  }
  return decodeImage(bytes);
}
