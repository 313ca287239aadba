/** @file Activation layers (no parameters): LeakyReLU, ReLU, Tanh, Sigmoid. */
import type { Tensor } from '../tensor.ts';
import { leakyRelu, relu, sigmoid, tanh } from '../ops/elementwise.ts';
import { Module } from './module.ts';

export class LeakyReLU extends Module {
  /** PyTorch's default negative slope is 0.01. */
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
