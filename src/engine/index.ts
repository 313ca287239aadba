/**
 * @file The engine's public surface (re-exports only), plus the Tensor methods (`x.add(y)`), which
 * `ops/methods.ts` attaches to the prototype when imported.
 */
import './ops/methods.ts';

export { init, deviceInfo, destroyDevice, onDeviceLost, type InitOptions, type DeviceInfo } from './device.ts';
export { Tensor, readAll } from './tensor.ts';
export { tidy, keep, memory, markWritten, type MemoryInfo } from './memory.ts';
export { submit as flush, sync, emptyPool, counters } from './queue.ts';
export { kernelStats, resetKernelStats, setProfiling, type KernelStat } from './profile.ts';
export { autotune, pendingTunes, tuningState, loadTuning, forceKernel } from './tune.ts';
export { grad, backward, type GradOptions } from './autograd.ts';
export { noGrad, requiresGrad, isGradEnabled } from './tape.ts';
export * from './ops/index.ts';
export * as nn from './nn/index.ts';
// The layers flat as well (like `from torch.nn import Conv2d`).
export {
  Module, Sequential, Linear, Conv2d, ConvTranspose2d, InstanceNorm2d, LeakyReLU, ReLU, Tanh, Sigmoid, parameter, type Init,
} from './nn/index.ts';
export { Adam, linearDecay, type AdamOptions, type OptimizerState } from './optim/adam.ts';
export { ParameterEMA } from './optim/ema.ts';
export {
  saveSafetensors, loadSafetensors, parseSafetensors, serializeSafetensors, saveSafetensorsFile, loadSafetensorsFile,
  toFloat32, SafetensorsError, type Dtype, type HostTensor, type HostData,
} from './io/safetensors.ts';
export { readFileBytes, writeFileAtomic } from './io/files.ts';
export {
  imageToTensor, tensorToImage, decodeImage, decodeImageAsync, toGrey, toRgb, type Image8, type Rect,
} from './io/image.ts';
export { encodePng } from './io/png.ts';
export { tensorGrid, imageGrid, type GridColumn, type GridOptions } from './io/grid.ts';
