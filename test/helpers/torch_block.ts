/** @file The small module of test/nn/fixtures/torch_block.py, built the same way (shared by the nn tests). */
import { nn, type Tensor } from '../../src/index.ts';

export class Block extends nn.Module {
  readonly main: nn.Sequential;
  readonly head: nn.Linear;
  constructor() {
    super();
    this.main = this.registerModule('main', new nn.Sequential(
      new nn.Conv2d(3, 4, 3, { padding: 1 }), new nn.InstanceNorm2d(4, { affine: true }), new nn.ReLU(),
      new nn.Sequential(new nn.Conv2d(4, 4, 3, { padding: 1, bias: false }), new nn.InstanceNorm2d(4)),
      new nn.ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1 }), new nn.Tanh()));
    this.head = this.registerModule('head', new nn.Linear(2, 1));
  }
  forward(x: Tensor): Tensor {
    return this.head.call(this.main.call(x).permute([0, 2, 3, 1]));
  }
}
