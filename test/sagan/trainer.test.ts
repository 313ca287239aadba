/**
 * @file The trainer: losses are finite and logged once per iteration; a checkpoint round trip restores
 * G, D, both Adam states, the RNG and the data position, so a resumed run produces exactly the losses
 * of an uninterrupted one; a checkpoint for another model is refused with a clear error.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, memory, readAll, counters } from '../../src/index.ts';
import { Trainer, DEFAULT_TRAIN, type TrainConfig, type LogRecord } from '../../src/sagan/trainer.ts';
import { syntheticSource } from '../../src/sagan/batches.ts';
import { readCheckpoint } from '../../src/sagan/checkpoint.ts';
import { generatorFromCheckpoint } from '../../src/sagan/edit.ts';
import { loadTuning, resetTuning, tuningState } from '../../src/engine/tune.ts';
import { parseSafetensors, saveSafetensors } from '../../src/index.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

const S = 16;
const config: TrainConfig = {
  ...DEFAULT_TRAIN, attribute: 'Eyeglasses', data: 'synthetic',
  model: { size: S, width: 2, nRes: 1, attention: true },
  batchSize: 2, steps: 4, nCritic: 2, seed: 5, logEvery: 2, sampleEvery: 1000, checkpointEvery: 1000,
};
const data = () => syntheticSource({ attribute: 'Eyeglasses', size: S, length: 12, batchSize: 2, dataSeed: 9, orderSeed: 5 });

async function run(steps: number, resumeFrom?: Uint8Array, cfg: TrainConfig = config): Promise<{ logs: LogRecord[]; trainer: Trainer }> {
  const logs: LogRecord[] = [];
  const t = new Trainer(cfg, data(), null, { log: (r) => void logs.push(r) });
  if (resumeFrom) await t.resume(resumeFrom);
  await t.run(steps);
  return { logs, trainer: t };
}

function dispose(t: Trainer): void {
  t.dispose();
}

describe('Trainer', () => {
  it('the critic warm-up reads back every 25 steps, so the CPU cannot queue a long warm-up unboundedly ahead of the GPU', async () => {
    const t = new Trainer({ ...config, dWarmup: 60 }, data(), null, {});
    const before = counters.readbacks;
    const last = await t.warmupCritic();
    expect(counters.readbacks - before).toBe(3); // after steps 25 and 50, and the last loss
    expect(Number.isFinite(last)).toBe(true);
    dispose(t);
  }, 60_000);

  it('resumes exactly: 2 + 2 iterations through a checkpoint equal 4 uninterrupted', async () => {
    const full = await run(4);
    expect(full.logs.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    for (const l of full.logs) for (const k of ['d_loss', 'gp', 'g_loss', 'rec', 'idt', 'mask_mean'] as const) expect(Number.isFinite(l[k])).toBe(true);
    dispose(full.trainer);

    const first = await run(2);
    const bytes = await first.trainer.checkpointBytes();
    const meta = readCheckpoint(bytes).meta;
    expect(meta.step).toBe(2);
    expect(meta.batches).toBe(4); // 2 iterations × n_critic 2
    dispose(first.trainer);
    const second = await run(4, bytes);
    expect(second.logs.map((l) => l.step)).toEqual([3, 4]);
    for (const k of ['d_loss', 'd_adv', 'gp', 'd_cls', 'g_loss', 'g_adv', 'g_cls', 'rec', 'idt', 'mask_mean'] as const) {
      expect(second.logs.map((l) => l[k]), k).toEqual(full.logs.slice(2).map((l) => l[k]));
    }
    dispose(second.trainer);
  });

  it('with DiffAugment and the class head on edits: other losses than the paper recipe, and still an exact resume', async () => {
    const recipe: TrainConfig = { ...config, augment: ['color', 'translation', 'cutout'], weights: { ...config.weights, clsFake: 1 } };
    const paper = await run(2);
    const full = await run(4, undefined, recipe);
    expect(full.logs[0].d_loss).not.toBe(paper.logs[0].d_loss);
    expect(full.logs[0].rec).toBe(paper.logs[0].rec); // G's first step sees the same weights and batch
    dispose(paper.trainer);
    const first = await run(2, undefined, recipe);
    const bytes = await first.trainer.checkpointBytes();
    dispose(first.trainer);
    const second = await run(4, bytes, recipe);
    for (const k of ['d_loss', 'gp', 'd_cls', 'g_loss', 'g_cls', 'rec', 'idt'] as const) {
      expect(second.logs.map((l) => l[k]), k).toEqual(full.logs.slice(2).map((l) => l[k]));
    }
    dispose(full.trainer);
    dispose(second.trainer);
  });

  it('warms the critic up on the attribute loss alone, once, before iteration 1', async () => {
    const t = new Trainer({ ...config, dWarmup: 3 }, data(), null);
    const snap = async (m: { parameters(): import('../../src/index.ts').Tensor[] }) => readAll(m.parameters());
    const [g0, src0, cls0, trunk0] = [await snap(t.G), await snap(t.D.src), await snap(t.D.cls), await snap(t.D.main)];
    const bce = await t.warmupCritic();
    expect(bce).toBeGreaterThan(0);
    expect(t.batches).toBe(3);
    expect(await snap(t.G)).toEqual(g0); // G untouched
    expect(await snap(t.D.src)).toEqual(src0); // the critic head gets no gradient from the attribute loss
    expect(await snap(t.D.cls)).not.toEqual(cls0);
    expect(await snap(t.D.main)).not.toEqual(trunk0);
    expect(await t.warmupCritic()).toBeNull(); // once only
    await t.run(1);
    expect(t.batches).toBe(3 + config.nCritic);
    const resumed = new Trainer({ ...config, dWarmup: 3 }, data(), null);
    await resumed.resume(await t.checkpointBytes());
    expect(await resumed.warmupCritic()).toBeNull(); // a resumed run never warms up again
    dispose(t);
    dispose(resumed);
  });

  it('does not grow memory across iterations', async () => {
    const t = new Trainer({ ...config, steps: 6 }, data(), null);
    await t.run(2);
    const before = memory();
    await t.run(6);
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.allocatedBytes).toBe(before.allocatedBytes);
    dispose(t);
  });

  it('keeps the autotuned kernel choices in its checkpoints and restores them on resume', async () => {
    resetTuning();
    const choice = { 'some GPU|conv|x8x3x32x32|w16x3x4x4|y8x16x16x16|s2p1|b1|anull': 'gemm32x64' };
    loadTuning(choice);
    const t = new Trainer(config, data(), null);
    const bytes = await t.checkpointBytes();
    expect(readCheckpoint(bytes).meta.tuning).toEqual(choice);
    resetTuning();
    await t.resume(bytes);
    expect(tuningState()).toEqual(choice);
    // A damaged field is named.
    const { tensors, metadata } = parseSafetensors(bytes);
    const bad = await saveSafetensors(tensors, { ...metadata, tuning: JSON.stringify({ k: 7 }) });
    expect(() => readCheckpoint(bad, 'ck.safetensors')).toThrow(/ck.safetensors: checkpoint metadata field 'tuning' must map shapes to kernel names/);
    resetTuning();
    dispose(t);
  });

  it('keeps an average of G (gEma): each G step moves it by (1 − β)(p − avg), training is unchanged, a resume restores it exactly, edits use it', async () => {
    const cfg: TrainConfig = { ...config, gEma: 0.9 };
    const plain = await run(3);
    const t = new Trainer(cfg, data(), null, {});
    const host = async (ps: ReturnType<Trainer['G']['parameters']>) => (await readAll(ps)).map((a) => Float64Array.from(a));
    let avg = await host(t.G.parameters());
    expect(await host(t.Gema!.parameters())).toEqual(avg); // starts at G
    const logs: LogRecord[] = [];
    t.sink.log = (r) => void logs.push(r);
    for (let k = 1; k <= 3; k++) {
      await t.run(k);
      const p = await host(t.G.parameters());
      avg = avg.map((a, i) => a.map((v, j) => v + 0.1 * (p[i][j] - v)));
      const got = await host(t.Gema!.parameters());
      got.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - avg[i][j])).toBeLessThan(1e-6 + 1e-5 * Math.abs(avg[i][j]))));
      expect(got.some((g, i) => g.some((v, j) => v !== p[i][j]))).toBe(true); // an average, not a copy
    }
    for (const k of ['d_loss', 'g_loss', 'rec', 'idt'] as const) expect(logs.map((l) => l[k]), k).toEqual(plain.logs.map((l) => l[k]));
    dispose(plain.trainer);
    // Checkpointed under G's names; a resume continues it exactly; edit/eval/export load it.
    const bytes = await t.checkpointBytes();
    const ck = readCheckpoint(bytes);
    expect(Object.keys(ck.parts.Gema).sort()).toEqual(Object.keys(ck.parts.G).sort());
    const ema3 = await host(t.Gema!.parameters());
    await t.run(4);
    const { G } = generatorFromCheckpoint(bytes); // after t's last step: building a module draws from the RNG
    expect(await host(G.parameters())).toEqual(ema3);
    G.dispose();
    const resumed = await run(4, bytes, cfg);
    expect(await host(resumed.trainer.Gema!.parameters())).toEqual(await host(t.Gema!.parameters()));
    dispose(resumed.trainer);
    // A checkpoint of a run with an average but without its tensors is damaged; one from a run without starts it at G.
    const { tensors, metadata } = parseSafetensors(bytes);
    const noAvg = await saveSafetensors(Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.startsWith('Gema.'))), metadata);
    const t2 = new Trainer(cfg, data(), null);
    await expect(t2.resume(noAvg, 'ck.safetensors')).rejects.toThrow(/ck.safetensors: the run keeps an average of G's weights \(gEma 0.9\) but the checkpoint holds none/);
    const fromPlain = await (async () => { const p = new Trainer(config, data(), null); await p.run(1); const b = await p.checkpointBytes(); const g = await host(p.G.parameters()); dispose(p); return { b, g }; })();
    await t2.resume(fromPlain.b);
    expect(await host(t2.Gema!.parameters())).toEqual(fromPlain.g);
    dispose(t2);
    dispose(t);
  }, 120_000);

  it('refuses a checkpoint of another model configuration', async () => {
    const t = new Trainer(config, data(), null);
    const bytes = await t.checkpointBytes();
    const other = new Trainer({ ...config, model: { ...config.model, width: 3 } }, data(), null);
    await expect(other.resume(bytes, 'ck.safetensors')).rejects.toThrow(/ck.safetensors: model config .* differs/);
    await expect(other.resume(new Uint8Array([1, 2, 3]), 'junk.bin')).rejects.toThrow(/junk.bin: not a valid safetensors checkpoint/);
    dispose(t);
    dispose(other);
  });
});
