/**
 * @file CelebA's centre-crop rule, on its own so the face renderer can frame faces exactly as the loader
 * crops them without importing the codecs.
 */
import type { Rect } from '../../engine/index.ts';

/**
 * CelebA's centre crop, generalised. For the 178×218 aligned images it is the 170×170 square at (4, 24) —
 * what `transforms.CenterCrop(170)` takes in the reference re-implementation. For any other w×h it is the
 * centred square of side round(min(w, h) · 170 / 178), i.e. the same fraction of the shorter side, at
 * offset floor((w − side) / 2), floor((h − side) / 2). (The rule is scale-invariant, so a CelebA-layout set
 * written at another resolution is cropped to the same face region.)
 */
export function celebaCrop(width: number, height: number): Rect {
  const side = Math.max(1, Math.round((Math.min(width, height) * 170) / 178));
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
}
