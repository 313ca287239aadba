/**
 * @file JPEG decoding in pure JS via `jpeg-js` (baseline and progressive, grey / YCbCr / CMYK), wrapped so
 * that every failure is an ImageDecodeError with the decoder's reason, and the result is an RGB Image8.
 * Encoding JPEG is not part of the runtime (CelebA is read, never written as JPEG by the engine); tests and
 * the synth writer use jpeg-js' encoder directly.
 */

import * as jpeg from 'jpeg-js';
import { ImageDecodeError, type Image8 } from './types.ts';

export interface JpegDecodeOptions {
  /** Refuse images above this many megapixels (guards against hostile headers); default 100. */
  maxMegapixels?: number;
  /** Memory cap for the decoder's buffers in MB; default 1024. */
  maxMemoryMB?: number;
}

/**
 * Decodes JPEG bytes to RGB (grey JPEGs are replicated to 3 channels by jpeg-js). `useTArray` keeps jpeg-js off
 * Node's Buffer, so this runs unchanged in browsers and Deno.
 */
export function decodeJpeg(bytes: Uint8Array, opts: JpegDecodeOptions = {}): Image8 {
  let res: { width: number; height: number; data: Uint8Array };
  try {
    res = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: opts.maxMegapixels ?? 100,
      maxMemoryUsageInMB: opts.maxMemoryMB ?? 1024,
    });
  } catch (e) {
    throw new ImageDecodeError(`corrupt JPEG: ${(e as Error).message ?? String(e)}`);
  }
  if (!(res.width > 0 && res.height > 0) || res.data.length !== res.width * res.height * 3) {
    throw new ImageDecodeError(`corrupt JPEG: decoder returned ${res.width}×${res.height} with ${res.data.length} bytes`);
  }
  return { width: res.width, height: res.height, channels: 3, data: res.data };
}
