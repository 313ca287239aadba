/**
 * @file Tensor methods (`x.add(y).relu().sum()`), each a one-line call of the op function, so
 * there is one implementation of every op.
 */
import { Tensor } from '../tensor.ts';
import * as ew from './elementwise.ts';
import * as lay from './layout.ts';
import * as red from './reduce.ts';
import { matmul } from './matmul.ts';
import { backward } from '../autograd.ts';
import { requiresGrad } from '../tape.ts';
import type { TensorLike } from './elementwise.ts';

type Axes = number | readonly number[];

declare module '../tensor.ts' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    gt(b: TensorLike): Tensor;
    ge(b: TensorLike): Tensor;
    lt(b: TensorLike): Tensor;
    le(b: TensorLike): Tensor;
    eq(b: TensorLike): Tensor;
    ne(b: TensorLike): Tensor;
    sum(axes?: Axes, keepDim?: boolean): Tensor;
    mean(axes?: Axes, keepDim?: boolean): Tensor;
    max(axes?: Axes, keepDim?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    permute(dims: readonly number[]): Tensor;
    expand(shape: readonly number[]): Tensor;
    slice(starts: readonly number[], ends?: readonly number[]): Tensor;
    pad(before: readonly number[], after: readonly number[]): Tensor;
    transpose(d0?: number, d1?: number): Tensor;
    flatten(start?: number): Tensor;
    unsqueeze(axis: number): Tensor;
    squeeze(axis?: number): Tensor;
    /** A tensor sharing this one's data, cut from the tape (PyTorch's detach). */
    detach(): Tensor;
    backward(gradOutput?: Tensor, opts?: { retainGraph?: boolean; createGraph?: boolean }): void;
    requiresGrad_(value?: boolean): Tensor;
  }
}

const P = Tensor.prototype;
P.add = function (b) { return ew.add(this, b); };
P.sub = function (b) { return ew.sub(this, b); };
P.mul = function (b) { return ew.mul(this, b); };
P.div = function (b) { return ew.div(this, b); };
P.pow = function (b) { return ew.pow(this, b); };
P.neg = function () { return ew.neg(this); };
P.exp = function () { return ew.exp(this); };
P.log = function () { return ew.log(this); };
P.sqrt = function () { return ew.sqrt(this); };
P.rsqrt = function () { return ew.rsqrt(this); };
P.abs = function () { return ew.abs(this); };
P.relu = function () { return ew.relu(this); };
P.leakyRelu = function (slope) { return ew.leakyRelu(this, slope); };
P.tanh = function () { return ew.tanh(this); };
P.sigmoid = function () { return ew.sigmoid(this); };
P.gt = function (b) { return ew.gt(this, b); };
P.ge = function (b) { return ew.ge(this, b); };
P.lt = function (b) { return ew.lt(this, b); };
P.le = function (b) { return ew.le(this, b); };
P.eq = function (b) { return ew.eq(this, b); };
P.ne = function (b) { return ew.ne(this, b); };
P.sum = function (axes, keepDim) { return red.sum(this, axes, keepDim); };
P.mean = function (axes, keepDim) { return red.mean(this, axes, keepDim); };
P.max = function (axes, keepDim) { return red.max(this, axes, keepDim); };
P.matmul = function (b) { return matmul(this, b); };
P.reshape = function (shape) { return lay.reshape(this, shape); };
P.permute = function (dims) { return lay.permute(this, dims); };
P.expand = function (shape) { return lay.expand(this, shape); };
P.slice = function (starts, ends) { return lay.slice(this, starts, ends); };
P.pad = function (before, after) { return lay.pad(this, before, after); };
P.transpose = function (d0, d1) { return lay.transpose(this, d0, d1); };
P.flatten = function (start) { return lay.flatten(this, start); };
P.unsqueeze = function (axis) { return lay.unsqueeze(this, axis); };
P.squeeze = function (axis) { return lay.squeeze(this, axis); };
P.detach = function () { return this.view(this.shape); };
P.backward = function (gradOutput, opts) { backward(this, { gradOutput, ...opts }); };
P.requiresGrad_ = function (value = true) { return requiresGrad(this, value); };
