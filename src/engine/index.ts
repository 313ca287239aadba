/**
 * @file The engine's public surface (re-exports only). Importing it installs the backward-rule table
 * and the Tensor methods.
 */
import './ops/rules.ts';
import './ops/methods.ts';

export { init, deviceInfo, destroyDevice, onDeviceLost, type InitOptions, type DeviceInfo } from './device.ts';
export { Tensor, readAll } from './tensor.ts';
export { tidy, keep, memory, type MemoryInfo } from './memory.ts';
export { submit as flush, sync, emptyPool, counters } from './queue.ts';
export { grad, backward, noGrad, requiresGrad, isGradEnabled, type GradOptions } from './autograd.ts';
export * from './ops/index.ts';
