/** @file SaGAN's attribute input: a per-sample scalar tiled into a constant image channel. */
import { expand, reshape, type Tensor } from '../engine/index.ts';

/** A per-sample scalar c [N] as a constant channel [N, 1, h, w] (concatenated to the RGB input of the AMN). */
export function tileChannel(c: Tensor, h: number, w: number): Tensor {
  if (c.ndim !== 1) throw new Error(`tileChannel: expected values [N], got [${c.shape.join(', ')}]`);
  return expand(reshape(c, [c.shape[0], 1, 1, 1]), [c.shape[0], 1, h, w]);
}
