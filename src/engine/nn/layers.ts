/**
 * @file The layers with parameters: Linear, Conv2d, ConvTranspose2d, InstanceNorm2d — PyTorch's
 * constructor arguments, parameter names, weight layouts and default initialisation.
 */
import type { Tensor } from '../tensor.ts';
import { matmul } from '../ops/matmul.ts';
import { add } from '../ops/elementwise.ts';
import { transpose } from '../ops/layout.ts';
import { full } from '../ops/creation.ts';
import { conv2d, convTranspose2d } from '../ops/conv.ts';
import { instanceNorm2d } from '../ops/norm.ts';
import { fmt } from '../ops/shape.ts';
import { Module } from './module.ts';
import { initWeightBias, parameter, type Init } from './init.ts';

export interface LayerOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Weight initialisation (default 'pytorch'). */
  init?: Init;
}

/** y = x·Wᵀ + b over the last dimension; weight [out, in] (fan_in = in). */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LayerOptions = {}) {
    super();
    const { weight, bias } = initWeightBias(opts.init ?? 'pytorch', [outFeatures, inFeatures], inFeatures, opts.bias === false ? null : outFeatures);
    this.weight = this.registerParameter('weight', weight);
    this.bias = this.registerParameter('bias', bias);
  }
  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) throw new Error(`Linear(${this.inFeatures}, ${this.outFeatures}): input ${fmt(x.shape)} does not end in ${this.inFeatures}`);
    const y = matmul(x, transpose(this.weight));
    return this.bias ? add(y, this.bias) : y;
  }
}

export interface ConvOptions extends LayerOptions {
  stride?: number;
  padding?: number;
}

/** 2-D convolution; weight [out, in, k, k] (fan_in = in·k·k). */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: ConvOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    const { weight, bias } = initWeightBias(opts.init ?? 'pytorch', [outChannels, inChannels, kernelSize, kernelSize],
      inChannels * kernelSize * kernelSize, opts.bias === false ? null : outChannels);
    this.weight = this.registerParameter('weight', weight);
    this.bias = this.registerParameter('bias', bias);
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }
  /** The conv followed by a LeakyReLU of slope ≥ 0, in one kernel (Sequential calls it for a Conv2d → LeakyReLU pair). */
  forwardLeakyRelu(x: Tensor, slope: number): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, leakyRelu: slope });
  }
}

export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: number;
}

/**
 * 2-D transposed convolution; weight [in, out, k, k]. PyTorch computes fan_in from weight dimension 1,
 * which for this layout is `out`·k·k — kept here so initial weights have PyTorch's distribution.
 */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: ConvTransposeOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.outputPadding = opts.outputPadding ?? 0;
    const { weight, bias } = initWeightBias(opts.init ?? 'pytorch', [inChannels, outChannels, kernelSize, kernelSize],
      outChannels * kernelSize * kernelSize, opts.bias === false ? null : outChannels);
    this.weight = this.registerParameter('weight', weight);
    this.bias = this.registerParameter('bias', bias);
  }
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding: this.outputPadding });
  }
}

export interface InstanceNormOptions {
  eps?: number;
  /** Learn a per-channel scale (ones) and shift (zeros); default false, as in PyTorch. */
  affine?: boolean;
}

/** Per-sample, per-channel normalisation over H×W; no running statistics (PyTorch's default). */
export class InstanceNorm2d extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;
  constructor(readonly numFeatures: number, opts: InstanceNormOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? false;
    this.weight = this.registerParameter('weight', affine ? parameter(full([numFeatures], 1)) : null);
    this.bias = this.registerParameter('bias', affine ? parameter(full([numFeatures], 0)) : null);
  }
  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }
  /** The norm followed by a ReLU, in one kernel (Sequential calls it for an InstanceNorm2d → ReLU pair). */
  forwardRelu(x: Tensor): Tensor {
    return this.normalize(x, true);
  }
  private normalize(x: Tensor, relu: boolean): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new Error(`InstanceNorm2d(${this.numFeatures}): expected input [N, ${this.numFeatures}, H, W], got ${fmt(x.shape)}`);
    }
    return instanceNorm2d(x, { eps: this.eps, weight: this.weight ?? undefined, bias: this.bias ?? undefined, relu });
  }
}
