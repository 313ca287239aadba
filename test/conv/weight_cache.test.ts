/**
 * @file Packed conv weights are cached on the weight's storage (one pack per weight, not per conv);
 * these checks make sure a cached pack never outlives the values it was made from: after an Adam step,
 * after loadStateDict, for the conv and the convT packing alike, and that disposing a weight frees it.
 */
import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, tensor, conv2d, convTranspose2d, Adam, nn, memory, noGrad, sync, requiresGrad } from '../../src/index.ts';
import { conv2dRef, convTranspose2dRef } from '../helpers/conv_ref.ts';
import { seeded, expectClose } from '../helpers/gradcheck.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const f64 = async (t: { data(): Promise<Float32Array>; shape: readonly number[] }) => ({ data: Float64Array.from(await t.data()), shape: [...t.shape] });

describe('packed-weight cache', () => {
  it('an Adam step invalidates the conv and convT packs of the weight it updates', async () => {
    const x = tensor(Float32Array.from(seeded(2 * 3 * 6 * 6, 1)), [2, 3, 6, 6]);
    const w = requiresGrad(tensor(Float32Array.from(seeded(4 * 3 * 4 * 4, 2)), [4, 3, 4, 4]));
    const d = tensor(Float32Array.from(seeded(2 * 4 * 3 * 3, 3)), [2, 4, 3, 3]);
    const opt = new Adam([w], { lr: 0.1 });
    for (let step = 0; step < 3; step++) {
      const y = noGrad(() => conv2d(x, w, null, { stride: 2, padding: 1 }));
      const yt = noGrad(() => convTranspose2d(d, w, null, { stride: 2, padding: 1 }));
      const [X, W, D] = await Promise.all([f64(x), f64(w), f64(d)]);
      expectClose(`conv2d after ${step} steps`, await y.data(), conv2dRef(X, W, null, 2, 1).data, 1e-5, 1e-4);
      expectClose(`convTranspose2d after ${step} steps`, await yt.data(), convTranspose2dRef(D, W, null, 2, 1, 0).data, 1e-5, 1e-4);
      y.dispose();
      yt.dispose();
      opt.step([tensor(Float32Array.from(seeded(w.size, 10 + step)), [...w.shape])]);
    }
  });

  it('loadStateDict invalidates the packs of the weights it overwrites', async () => {
    const conv = new nn.Conv2d(3, 5, 3, { padding: 1 });
    const x = tensor(Float32Array.from(seeded(1 * 3 * 5 * 5, 4)), [1, 3, 5, 5]);
    noGrad(() => conv.forward(x)).dispose(); // packs the initial weight
    const w2 = Float32Array.from(seeded(5 * 3 * 3 * 3, 5));
    const b2 = Float32Array.from(seeded(5, 6));
    conv.loadStateDict({ weight: { dtype: 'F32', shape: [5, 3, 3, 3], data: w2 }, bias: { dtype: 'F32', shape: [5], data: b2 } });
    const y = noGrad(() => conv.forward(x));
    const want = conv2dRef(await f64(x), { data: Float64Array.from(w2), shape: [5, 3, 3, 3] }, { data: Float64Array.from(b2), shape: [5] }, 1, 1);
    expectClose('conv after loadStateDict', await y.data(), want.data, 1e-5, 1e-4);
  });

  it('disposing a weight frees its packs', async () => {
    const x = tensor(Float32Array.from(seeded(1 * 8 * 4 * 4, 7)), [1, 8, 4, 4]);
    await sync();
    const before = memory().liveBytes;
    const w = tensor(Float32Array.from(seeded(16 * 8 * 3 * 3, 8)), [16, 8, 3, 3]);
    noGrad(() => conv2d(x, w, null, { padding: 1 })).dispose();
    noGrad(() => convTranspose2d(x, tensor(Float32Array.from(seeded(8 * 16 * 3 * 3, 9)), [8, 16, 3, 3]), null, { padding: 1 })).dispose();
    expect(memory().liveBytes).toBeGreaterThan(before + w.bytes);
    w.dispose();
    // The convT weight above was a temporary: still alive (not disposed), so only w's share is checked.
    expect(memory().liveBytes).toBeLessThan(before + 8 * 16 * 9 * 4 * 3);
  });
});
