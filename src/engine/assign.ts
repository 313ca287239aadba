/**
 * @file Writing new contents into an existing tensor in place (PyTorch's `copy_`), for loading state into
 * parameters and optimiser moments that other objects already hold.
 */
import { Tensor } from './tensor.ts';
import { markWritten } from './memory.ts';
import { copyBuffer, upload } from './queue.ts';
import { toFloat32, type HostTensor } from './io/safetensors.ts';

/**
 * Overwrites `dst` with `src` (a GPU tensor or host data of the same size; the caller checks shapes), in
 * stream order, and marks `dst` written so that values cached from its old contents are recomputed.
 */
export function assign(dst: Tensor, src: Tensor | HostTensor): void {
  markWritten(dst);
  if (src instanceof Tensor) {
    if (src.buffer !== dst.buffer) copyBuffer(src.buffer, 0, dst.buffer, 0, dst.size * 4);
  } else {
    upload(dst.buffer, 0, toFloat32(src));
  }
}
