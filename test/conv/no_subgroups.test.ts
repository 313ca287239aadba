/**
 * @file The convolution kernels' path without subgroup operations (GPUs, and adapters without the
 * 'subgroups' feature): the same fwd / grad / gradgrad checks as conv2d.test.ts and
 * conv_transpose2d.test.ts on a few of their shapes, on a device created with `subgroups: false`
 * (the direct kernels: conv.wgsl.ts, conv_wgrad.wgsl.ts).
 */
import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, deviceInfo, conv2d, convTranspose2d } from '../../src/index.ts';
import { checkOp } from '../helpers/gradcheck.ts';
import { conv2dRef, convTranspose2dRef } from '../helpers/conv_ref.ts';
import { forceKernel } from '../../src/engine/tune.ts';

const TIMEOUT = 240_000;

// As a GPU: no subgroup operations, and the GPU sizing of the work (the weight gradient's row splits);
// the direct kernels forced (a GPU's default is the tiled GEMM, tested in gemm.test.ts).
beforeAll(async () => { await init({ subgroups: false, cpu: false }); forceKernel('direct'); });
afterAll(() => { forceKernel(null); destroyDevice(); });

describe('conv kernels without subgroups', () => {
  it('the device reports no subgroup width and GPU sizing', () => {
    expect(deviceInfo().subgroupSize).toBe(0);
    expect(deviceInfo().cpu).toBe(false);
  });
  // [N, Ci, H, W], [Co, kH, kW], stride, padding
  const convCases: [number[], number[], number, number][] = [
    [[1, 2, 6, 8], [3, 4, 4], 2, 1],   // the down-sampling conv, vec4 rows
    [[1, 3, 9, 11], [10, 3, 3], 1, 1], // two channel groups, the second partial
    [[1, 2, 5, 7], [2, 7, 7], 1, 3],   // 7×7
  ];
  for (const [xs, [co, kh, kw], stride, padding] of convCases) {
    it(`conv2d x [${xs}] w [${co},${xs[1]},${kh},${kw}] s${stride} p${padding}`, async () => {
      await checkOp('conv2d', ([x, w, b]) => conv2d(x, w, b, { stride, padding }), ([x, w, b]) => conv2dRef(x, w, b, stride, padding),
        [{ shape: xs }, { shape: [co, xs[1], kh, kw] }, { shape: [co] }]);
    }, TIMEOUT);
  }
  // [N, Ci, H, W], [Co, kH, kW], stride, padding, outputPadding
  const convTCases: [number[], number[], number, number, number][] = [
    [[2, 3, 3, 2], [2, 4, 4], 2, 1, 0], // the up-sampling convT
    [[1, 2, 3, 3], [2, 3, 3], 2, 1, 1], // kernel not a multiple of the stride
    [[1, 3, 5, 6], [9, 4, 4], 2, 1, 0], // two channel groups
  ];
  for (const [xs, [co, kh, kw], stride, padding, op] of convTCases) {
    it(`convTranspose2d x [${xs}] w [${xs[1]},${co},${kh},${kw}] s${stride} p${padding} op${op}`, async () => {
      await checkOp('convTranspose2d', ([x, w, b]) => convTranspose2d(x, w, b, { stride, padding, outputPadding: op }),
        ([x, w, b]) => convTranspose2dRef(x, w, b, stride, padding, op), [{ shape: xs }, { shape: [xs[1], co, kh, kw] }, { shape: [co] }]);
    }, TIMEOUT);
  }
});
