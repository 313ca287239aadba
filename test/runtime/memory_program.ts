/**
 * @file Memory over long loops (issue 13): thousands of host→GPU uploads, each used by one kernel, then
 * a SaGAN training run (200 iterations by default) at 16², width 4. Samples the process's memory mappings
 * (/proc/self/maps lines) and RSS along the way and reports them; test/runtime/memory.test.ts checks
 * they stay flat. Deno used to grow by one mapping per dispatch (its WebGPU objects are freed only by
 * a major GC; see src/engine/deno_gc.ts) and segfaulted at vm.max_map_count. Runs in Node and Deno.
 */
import { init, tensor, add, tidy, readAll } from '../../src/engine/index.ts';
import { Trainer, DEFAULT_TRAIN } from '../../src/sagan/trainer.ts';
import { syntheticSource } from '../../src/sagan/batches.ts';
import { collectNow } from '../../src/engine/deno_gc.ts';
import { report } from './report.ts';

export interface MemorySample {
  at: number;
  /** Mappings after the engine's collection (Deno), and before it. */
  maps: number;
  peakMaps: number;
  rssMB: number;
}
export interface MemoryResult {
  runtime: string;
  uploads: MemorySample[];
  training: MemorySample[];
}


type Rt = {
  Deno?: { readTextFileSync(p: string): string; memoryUsage(): { rss: number }; args: string[] };
  process?: { memoryUsage(): { rss: number }; argv: string[] };
};

/** Arguments: upload+kernel pairs, training iterations (defaults 10,000 and 200). */
function counts(): { uploads: number; iterations: number } {
  const rt = globalThis as Rt;
  const a = rt.Deno ? rt.Deno.args : rt.process!.argv.slice(2);
  return { uploads: Number(a[0] ?? 10_000), iterations: Number(a[1] ?? 200) };
}

async function sampler(): Promise<(at: number) => MemorySample> {
  const rt = globalThis as Rt;
  let readMaps: () => string;
  if (rt.Deno) readMaps = () => rt.Deno!.readTextFileSync('/proc/self/maps');
  else {
    const spec = 'node:fs'; // a variable: the bundle stays free of a static node: import
    const fs = await import(spec);
    readMaps = () => fs.readFileSync('/proc/self/maps', 'utf8');
  }
  const rss = () => (rt.Deno ? rt.Deno.memoryUsage().rss : rt.process!.memoryUsage().rss) / 2 ** 20;
  // Deno: after the engine's collection (deno_gc.ts), so a sample shows what is retained, not the phase
  // of the collection sawtooth; Node collects Dawn's wrappers on its own (collectNow does nothing there).
  // peakMaps (before the collection) still shows whether the engine collects on its own while it runs.
  const count = () => readMaps().split('\n').length - 1;
  return (at) => {
    const peakMaps = count();
    collectNow();
    return { at, maps: count(), peakMaps, rssMB: Math.round(rss()) };
  };
}

async function main(): Promise<MemoryResult> {
  const info = await init();
  const sample = await sampler();
  const n = counts();
  const every = n.uploads / 10, logEvery = n.iterations / 20;
  const uploads: MemorySample[] = [];
  const data = new Float32Array(3 * 16 * 16).fill(0.5);
  for (let i = 1; i <= n.uploads; i++) {
    tidy(() => add(tensor(data, [data.length]), 1)).dispose();
    if (i % every === 0) {
      const t = tensor(data, [data.length]);
      await readAll([t]); // a sync point, as training has
      t.dispose();
      uploads.push(sample(i));
    }
  }
  const model = { size: 16, width: 4, nRes: 1, attention: true };
  const data16 = syntheticSource({ attribute: 'Eyeglasses', size: 16, length: 64, batchSize: 2, dataSeed: 2018, orderSeed: 1 });
  const training: MemorySample[] = [];
  const trainer = new Trainer(
    { ...DEFAULT_TRAIN, attribute: 'Eyeglasses', data: 'synthetic', model, batchSize: 2, nCritic: 1, steps: n.iterations, logEvery, sampleEvery: 1e9, checkpointEvery: 1e9 },
    data16, null, { log: (r) => { if (r.step % logEvery === 0) training.push(sample(r.step)); } },
  );
  await trainer.run();
  return { runtime: info.runtime, uploads, training };
}

report(main);
