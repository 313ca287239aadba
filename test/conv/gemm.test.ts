/**
 * @file The GPU-shaped (tiled GEMM) convolution kernels, each tile forced in turn (tune.ts
 * `forceKernel`), against the float64 references: conv2d, convTranspose2d and the weight gradient,
 * first derivatives for every tile (their backward runs the same tile's other modes) and second
 * derivatives for the default tile; then the autotuner on this adapter: it measures the candidates of
 * a pending shape, keeps one, and the op's result stays right with the kernel it chose.
 */
import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { init, destroyDevice, conv2d, convTranspose2d, conv2dWeightGrad, tensor, readAll } from '../../src/index.ts';
import { forceKernel, autotune, pendingTunes, resetTuning, tuningState, loadTuning } from '../../src/engine/tune.ts';
import { CONV_KERNELS } from '../../src/engine/ops/conv.ts';
import { checkOp, seeded, f32round } from '../helpers/gradcheck.ts';
import { conv2dRef, convTranspose2dRef, conv2dWeightGradRef } from '../helpers/conv_ref.ts';

const TIMEOUT = 240_000;

beforeAll(async () => { await init({ autotune: true }); });
afterAll(() => { forceKernel(null); destroyDevice(); });

const outSize = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
const tiles = CONV_KERNELS.filter((k) => k !== 'direct');

/** Runs `fn` with every conv-type op forced to `kernel`. */
async function forced(kernel: string, fn: () => Promise<void>): Promise<void> {
  forceKernel(kernel);
  try { await fn(); } finally { forceKernel(null); }
}

// Per tile: a 3×3 stride-1 conv with bias (its backward runs the tile's convT stride 1 and weight
// gradient) and a 4×4 stride-2 convT (its backward: conv stride 2 and the stride-2 weight gradient);
// partial tiles everywhere (5 and 3 channels, 70 positions).
describe('tiled GEMM conv kernels, each tile forced', () => {
  for (const tile of tiles) {
    const second = tile === 'gemm64x64';
    it(`${tile}: conv2d, convTranspose2d and their weight gradients${second ? ', with second derivatives' : ''}`, () => forced(tile, async () => {
      await checkOp(`conv2d ${tile}`, ([x, w, b]) => conv2d(x, w, b, { stride: 1, padding: 1 }), ([x, w, b]) => conv2dRef(x, w, b, 1, 1),
        [{ shape: [2, 3, 5, 7] }, { shape: [5, 3, 3, 3] }, { shape: [5] }], { second });
      await checkOp(`convT ${tile}`, ([x, w, b]) => convTranspose2d(x, w, b, { stride: 2, padding: 1 }), ([x, w, b]) => convTranspose2dRef(x, w, b, 2, 1, 0),
        [{ shape: [2, 3, 3, 2] }, { shape: [3, 5, 4, 4] }, { shape: [5] }], { second });
    }), TIMEOUT);
  }
  it('gemm64x64: a kernel that is not a multiple of the stride, output padding, a fused LeakyReLU', () => forced('gemm64x64', async () => {
    await checkOp('convT odd', ([x, w]) => convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }),
      ([x, w]) => convTranspose2dRef(x, w, null, 2, 1, 1), [{ shape: [1, 2, 3, 3] }, { shape: [2, 3, 3, 3] }], { second: false });
    await checkOp('conv leaky', ([x, w]) => conv2d(x, w, null, { stride: 2, padding: 1, leakyRelu: 0.2 }),
      ([x, w]) => { const y = conv2dRef(x, w, null, 2, 1); return { data: y.data.map((v) => (v > 0 ? v : 0.2 * v)), shape: y.shape }; },
      [{ shape: [1, 2, 6, 8] }, { shape: [3, 2, 4, 4] }], { second: false });
  }), TIMEOUT);
  for (const tile of ['gemm64x64', 'gemm128x128']) {
    it(`${tile}: a weight gradient split over the batch's positions (288 of them: 2 or 4 splits)`, () => forced(tile, async () => {
      const xs = [2, 2, 12, 12], ds = [2, 3, outSize(12, 3, 1, 1), outSize(12, 3, 1, 1)];
      await checkOp(`wgrad ${tile}`, ([x, d]) => conv2dWeightGrad(x, d, 3, 3, 1, 1), ([x, d]) => conv2dWeightGradRef(x, d, 1, 1, 3, 3),
        [{ shape: xs }, { shape: ds }], { second: false });
    }), TIMEOUT);
  }
});

describe('autotune', () => {
  it('measures every candidate of a new shape, keeps one, and the result stays right', async () => {
    resetTuning();
    const xs = [2, 4, 8, 8], ws = [6, 4, 3, 3];
    const xv = f32round(seeded(2 * 4 * 64, 7)), wv = f32round(seeded(6 * 4 * 9, 8));
    const want = conv2dRef({ data: xv, shape: xs }, { data: wv, shape: ws }, null, 1, 1).data;
    const x = tensor(Float32Array.from(xv), xs), w = tensor(Float32Array.from(wv), ws);
    const before = conv2d(x, w, null, { padding: 1 });
    expect(pendingTunes()).toBe(1);
    const seen: Record<string, number>[] = [];
    const chosen = await autotune({ minMs: 1, onShape: (_, t) => seen.push(t) });
    expect(pendingTunes()).toBe(0);
    const [kernel] = Object.values(chosen);
    expect(CONV_KERNELS).toContain(kernel);
    expect(Object.keys(seen[0]).sort()).toEqual([...CONV_KERNELS].sort());
    for (const t of Object.values(seen[0])) expect(t).toBeGreaterThan(0);
    const after = conv2d(x, w, null, { padding: 1 });
    expect(pendingTunes()).toBe(0); // the measured choice is used, not queued again
    const [a, b] = await readAll([before, after]);
    for (const got of [a, b]) for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4);
    // Saved choices come back (a checkpoint's), and bad ones are refused by name.
    const saved = tuningState();
    resetTuning();
    loadTuning(saved);
    expect(tuningState()).toEqual(saved);
    expect(() => loadTuning({ k: 3 as unknown as string })).toThrow(/loadTuning: choice for k/);
  }, TIMEOUT);
});
