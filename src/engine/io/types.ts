/**
 * @file Shared image types for the codecs and helpers in src/engine/io (kept apart so png.ts / jpeg.ts and
 * image.ts do not import each other in a cycle).
 */

/** An 8-bit image: `data[(y * width + x) * channels + c]`. channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
export interface Image8 {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

/** An axis-aligned pixel rectangle (integers). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Thrown for malformed or unsupported image bytes; callers add the file name. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

export function createImage(width: number, height: number, channels: 1 | 2 | 3 | 4): Image8 {
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}
