/** @file The `nn` namespace: Module, layers, activations, Sequential and initialisation helpers (re-exports only). */
export { Module, type AnyModule, type StateValue } from './module.ts';
export { Sequential } from './container.ts';
export {
  Linear, Conv2d, ConvTranspose2d, InstanceNorm2d,
  type LayerOptions, type ConvOptions, type ConvTransposeOptions, type InstanceNormOptions,
} from './layers.ts';
export { LeakyReLU, ReLU, Tanh, Sigmoid } from './activation.ts';
export { parameter, uniform, normal, initWeightBias, type Init } from './init.ts';
