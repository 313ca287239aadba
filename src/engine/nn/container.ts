/** @file Sequential: runs its children in order; they are named '0', '1', … as in PyTorch. */
import type { Tensor } from '../tensor.ts';
import { Module } from './module.ts';

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
    for (const m of this.layers) y = m.call(y);
    return y;
  }
}
