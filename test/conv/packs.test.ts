/**
 * @file Packed conv weights (src/engine/ops/conv.ts, packWeights): a pack is reused until its weight is
 * written in place, then made again; stale packs of several weights and modes (conv, convT) are made
 * together, in fewer dispatches than weights; results always match the float64 reference with the
 * weights' current values.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  init, destroyDevice, tensor, conv2d, convTranspose2d, readAll, sync, kernelStats, resetKernelStats, type Tensor,
} from '../../src/index.ts';
import { assign } from '../../src/engine/assign.ts'; // what loadStateDict writes weights with
import { seeded, type F64 } from '../helpers/gradcheck.ts';
import { conv2dRef, convTranspose2dRef } from '../helpers/conv_ref.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const f64 = (shape: number[], seed: number): F64 => ({ shape, data: seeded(shape.reduce((a, b) => a * b, 1), seed) });
const dev = (a: F64) => tensor(Array.from(a.data), a.shape);

function expectNear(got: Float32Array, want: F64, what: string): void {
  expect(got.length, what).toBe(want.data.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want.data[i]), `${what}[${i}]`).toBeLessThan(1e-4);
}

describe('packed conv weights', () => {
  it('are made again, together, after the weights are written; results follow the new values', async () => {
    const x = f64([2, 3, 8, 8], 1);
    const xT = f64([2, 4, 4, 4], 2);
    let ws = [f64([4, 3, 3, 3], 3), f64([5, 3, 4, 4], 4), f64([4, 6, 4, 4], 5)]; // conv, conv, convT [Ci, Co, kh, kw]
    const wt = ws.map(dev);
    const run = (w: Tensor[]) => [
      conv2d(dev(x), w[0], null, { padding: 1 }),
      conv2d(dev(x), w[1], null, { stride: 2, padding: 1 }),
      convTranspose2d(dev(xT), w[2], null, { stride: 2, padding: 1 }),
    ];
    const refs = (w: F64[]) => [
      conv2dRef(x, w[0], null, 1, 1), conv2dRef(x, w[1], null, 2, 1), convTranspose2dRef(xT, w[2], null, 2, 1, 0),
    ];
    let got = await readAll(run(wt));
    refs(ws).forEach((r, k) => expectNear(got[k], r, `first use ${k}`));

    // Unchanged weights: the packs are reused, none is made.
    await sync();
    resetKernelStats();
    got = await readAll(run(wt));
    expect((await kernelStats()).get('convPack')?.dispatches ?? 0).toBe(0);

    // Written in place (as an optimiser step does): every pack is stale; the first conv makes all three
    // in one dispatch (three slots of two buffers each fit any device's storage-buffer limit).
    ws = [f64([4, 3, 3, 3], 13), f64([5, 3, 4, 4], 14), f64([4, 6, 4, 4], 15)];
    wt.forEach((w, k) => assign(w, dev(ws[k])));
    await sync();
    resetKernelStats();
    got = await readAll(run(wt));
    expect((await kernelStats()).get('convPack')?.dispatches).toBe(1);
    refs(ws).forEach((r, k) => expectNear(got[k], r, `after the write ${k}`));
  });
});
