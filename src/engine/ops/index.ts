/** @file All op functions (re-exports only). */
export {
  add, sub, mul, div, pow, neg, exp, log, sqrt, rsqrt, abs, relu, leakyRelu, tanh, sigmoid, activationGrad, bceWithLogits,
  gt, ge, lt, le, eq, ne, where, type TensorLike,
} from './elementwise.ts';
export { unbroadcast } from './rules.ts';
export { reshape, permute, expand, slice, pad, concat, transpose, flatten, unsqueeze, squeeze } from './layout.ts';
export { sum, mean, max } from './reduce.ts';
export { matmul } from './matmul.ts';
export {
  tensor, full, zeros, ones, zerosLike, onesLike, arange, rand, randn, manualSeed, getRngState, setRngState,
  type NestedArray, type RandomOptions,
} from './creation.ts';
export { conv2d, convTranspose2d, conv2dWeightGrad, type Conv2dOptions, type Conv2dActOptions, type ConvTranspose2dOptions } from './conv.ts';
export { instanceNorm2d, instanceNormGrad, type InstanceNormOptions } from './norm.ts';
