/**
 * @file Sequential: runs its children in order; they are named '0', '1', … as in PyTorch. An
 * InstanceNorm2d directly followed by a ReLU runs as one fused kernel (InstanceNorm2d.forwardRelu):
 * the same values, one dispatch fewer forward and the ReLU's mask taken from the norm's output backward.
 */
import type { Tensor } from '../tensor.ts';
import { Module } from './module.ts';
import { InstanceNorm2d } from './layers.ts';
import { ReLU } from './activation.ts';

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
      const m = this.layers[i];
      if (m instanceof InstanceNorm2d && this.layers[i + 1] instanceof ReLU) {
        y = m.forwardRelu(y);
        i++;
      } else {
        y = m.call(y);
      }
    }
    return y;
  }
}
