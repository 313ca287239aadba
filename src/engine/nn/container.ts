/**
 * @file Sequential: runs its children in order; they are named '0', '1', … as in PyTorch. An
 * InstanceNorm2d directly followed by a ReLU, and a Conv2d followed by a LeakyReLU (slope ≥ 0), run as
 * one fused kernel each (forwardRelu, forwardLeakyRelu): the same values, one dispatch fewer forward,
 * and the activation's mask taken from the fused output backward.
 */
import type { Tensor } from '../tensor.ts';
import { Module } from './module.ts';
import { Conv2d, InstanceNorm2d } from './layers.ts';
import { LeakyReLU, ReLU } from './activation.ts';

export class Sequential extends Module {
  private readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.registerModule(String(i), m));
  }
  get length(): number {
    return this.layers.length;
  }
  /** The i-th layer (negative counts from the end). */
  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new Error(`Sequential.at(${i}): there are ${this.layers.length} layers`);
    return m;
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i], next = this.layers[i + 1];
      if (m instanceof InstanceNorm2d && next instanceof ReLU) {
        y = m.forwardRelu(y);
        i++;
      } else if (m instanceof Conv2d && next instanceof LeakyReLU && next.negativeSlope >= 0) {
        y = m.forwardLeakyRelu(y, next.negativeSlope);
        i++;
      } else {
        y = m.call(y);
      }
    }
    return y;
  }
}
