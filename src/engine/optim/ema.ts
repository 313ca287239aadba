/**
 * @file An exponential moving average of parameters (PyTorch: torch.optim.swa_utils.AveragedModel with an
 * EMA update; the "EMA generator" of ProGAN/StyleGAN): after each optimiser step,
 *   avg ← avg + (1 − β)·(p − avg),
 * written into tensors that a second copy of the module already holds, so the average is a module like
 * any other (state dict, checkpoint, inference). Nothing is read back; a few elementwise dispatches
 * per parameter.
 */
import type { Tensor } from '../tensor.ts';
import { assign } from '../assign.ts';
import { tidy } from '../memory.ts';
import { noGrad } from '../tape.ts';
import { add, mul, sub } from '../ops/index.ts';
import { fmt, sameShape } from '../ops/shape.ts';

export class ParameterEMA {
  /**
   * @param averaged the average's tensors (e.g. a second module's parameters()), updated in place
   * @param params the trained parameters, in the same order and shapes
   * @param beta decay in (0, 1): the average spans ~1/(1 − β) steps
   */
  constructor(readonly averaged: Tensor[], readonly params: Tensor[], readonly beta: number) {
    if (!(beta > 0 && beta < 1)) throw new RangeError(`ParameterEMA: beta ${beta} must be in (0, 1)`);
    if (averaged.length !== params.length) throw new RangeError(`ParameterEMA: ${averaged.length} averaged tensors for ${params.length} parameters`);
    averaged.forEach((a, i) => {
      if (!sameShape(a.shape, params[i].shape)) throw new RangeError(`ParameterEMA: tensor ${i} is ${fmt(a.shape)} but its parameter is ${fmt(params[i].shape)}`);
    });
  }

  /** Sets the average to the parameters themselves (where an average starts). */
  reset(): void {
    this.averaged.forEach((a, i) => assign(a, this.params[i]));
  }

  /** One update, after an optimiser step. */
  update(): void {
    const k = 1 - this.beta;
    tidy(() => noGrad(() => {
      this.averaged.forEach((a, i) => assign(a, add(a, mul(sub(this.params[i], a), k))));
    }));
  }
}
