/**
 * @file Training speed: one SaGAN iteration (n_critic = 3 D steps + 1 G step) per configuration — its
 * dispatches (by kernel family), ms per iteration, and the PyTorch twin's ms on the same configuration
 * (bench/train_torch.py, CPU with 2 threads here, CUDA where present) and the ratio, in one table.
 *   node dist/node/bench-train.js [--configs quickstart,64,128] [--record 128] [--iters N] [--record-iters 10] [--profile] [--no-torch] [--torch-threads 2] [--python /usr/bin/python3] [--kernel direct|gemm64x64|…] [--autotune]
 * --python names the interpreter that has torch (default /usr/bin/python3: Debian's, where python3 on PATH may lack it;
 * on the lent GPU machine it is plain python3).
 * Batches are rendered before the timed window. The first iteration compiles every kernel and is not
 * timed. Configurations in --record (default 128: minutes per iteration on lavapipe) run on a recording
 * device (bench/recording-gpu.ts) that executes nothing: their dispatch counts are exact, their time is
 * the engine's own CPU cost. --profile adds, per kernel label, GPU time (timestamp queries) and the CPU
 * time of recording the launches (JS + WebGPU implementation).
 * On GPUs the convolutions' kernels are chosen by measurement after the first iteration (src/engine/tune.ts;
 * the bench prints what was chosen); --kernel runs one candidate everywhere instead (e.g. --kernel direct:
 * the CPU-shaped kernels), to compare; --autotune measures on a CPU adapter too (off there by default).
 */
import process from 'node:process';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  init, sync, destroyDevice, emptyPool, kernelStats, resetKernelStats, setProfiling, forceKernel, tuningState, type KernelStat,
} from '../src/index.ts';
import { Trainer, DEFAULT_TRAIN } from '../src/sagan/trainer.ts';
import { syntheticSource, type Batch, type BatchSource } from '../src/sagan/batches.ts';
import { recordingGpu } from './recording-gpu.ts';

interface Cfg { key: string; label: string; size: number; width: number; nRes: number; batch: number }
const CONFIGS: Cfg[] = [
  { key: 'quickstart', label: 'npm start: 32² w8 1 res b8', size: 32, width: 8, nRes: 1, batch: 8 },
  { key: '64', label: '64² w16 2 res b16', size: 64, width: 16, nRes: 2, batch: 16 },
  { key: '128', label: '128² w32 4 res b16 (paper)', size: 128, width: 32, nRes: 4, batch: 16 },
];
const N_CRITIC = 3;

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? '' : def;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const want = arg('configs', 'quickstart,128').split(',');
const recorded = arg('record', '128').split(',');
const iters = Number(arg('iters', '3'));
/** Timed iterations on the recording device (cheap: nothing executes), so its CPU figure is the steady state. */
const recordIters = Number(arg('record-iters', '10'));
const profile = flag('profile');
const torchThreads = arg('torch-threads', '2');
const python = arg('python', '/usr/bin/python3');
const torchOk = !flag('no-torch') && (existsSync(python) || !python.includes('/'))
  && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** All batches the timed run will ask for, rendered now (outside the timed window). */
async function prerendered(c: Cfg, count: number): Promise<BatchSource> {
  const src = syntheticSource({ attribute: 'Eyeglasses', size: c.size, length: 256, batchSize: c.batch, dataSeed: 1, orderSeed: 1 });
  const batches: Batch[] = [];
  for (let k = 0; k < count; k++) batches.push(await src.batch(k));
  return { size: src.size, length: src.length, batch: async (k) => batches[k] };
}

interface Result { cfg: Cfg; recorded: boolean; ms: number; warm: number; counts: Map<string, KernelStat>; profile: Map<string, KernelStat> | null; torch: string }

async function measure(c: Cfg, onRecorder: boolean): Promise<Result> {
  const n = onRecorder ? recordIters : iters;
  const data = await prerendered(c, N_CRITIC * (n + 3));
  const config = {
    ...DEFAULT_TRAIN, attribute: 'Eyeglasses' as const, data: 'synthetic' as const,
    model: { size: c.size, width: c.width, nRes: c.nRes, attention: true },
    batchSize: c.batch, nCritic: N_CRITIC, steps: 1e9, logEvery: 1e9, sampleEvery: 1e9, checkpointEvery: 1e9,
  };
  const t = new Trainer(config, data, null);
  let step = 0;
  const t0 = performance.now();
  await t.run(++step);
  await sync();
  const warm = performance.now() - t0;
  // Counting: one iteration, alone.
  resetKernelStats();
  await t.run(++step);
  await sync();
  const counts = await kernelStats();
  const t1 = performance.now();
  step += n;
  await t.run(step);
  await sync();
  const ms = (performance.now() - t1) / n;
  let prof: Map<string, KernelStat> | null = null;
  if (profile) {
    setProfiling(true);
    resetKernelStats();
    await t.run(++step);
    await sync();
    prof = await kernelStats();
    setProfiling(false);
  }
  t.G.dispose(); t.D.dispose(); t.optG.dispose(); t.optD.dispose();
  return { cfg: c, recorded: onRecorder, ms, warm, counts, profile: prof, torch: '' };
}

function torchMs(c: Cfg): { ms: number; label: string } | null {
  if (!torchOk) return null;
  // Passive OpenMP waits: spinning threads starve each other (and us) on a busy machine — measured
  // here, 2 spinning threads took 88 s an iteration where passive ones took 2.2 s.
  const r = spawnSync(python, ['bench/train_torch.py', `${c.size}`, `${c.width}`, `${c.nRes}`, `${c.batch}`, `${iters}`, torchThreads], {
    encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' },
  });
  if (r.status !== 0) {
    console.error(`PyTorch bench failed: ${r.stderr}`);
    return null;
  }
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; device: string; threads: number; torch: string };
  return { ms: o.ms, label: `${o.device === 'cuda' ? 'CUDA' : `CPU ${o.threads} threads`}, torch ${o.torch}` };
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(w[i])).join(' | ')} |`;
  return [line(head), line(w.map((k) => '-'.repeat(k))), ...rows.map(line)].join('\n');
}

/** Kernel family of a label: 'map:mul' → 'map', with the op kept for the detail table. */
const family = (label: string) => label.split(':')[0];

const info = await init(flag('autotune') ? { autotune: true } : {});
/** --kernel: one candidate everywhere instead of the chosen ones. */
const forcedKernel = arg('kernel', '');
if (forcedKernel) forceKernel(forcedKernel);
const adapter = info.adapter.description || info.adapter.vendor;
const results: Result[] = [];
const selected = CONFIGS.filter((c) => want.includes(c.key));
const total = (m: Map<string, KernelStat>) => [...m.values()].reduce((a, s) => a + s.dispatches, 0);
/** Each configuration's result as soon as it is measured (a run cut short still says what it had). */
const early = (r: Result) => console.error(`[bench] ${r.cfg.label}: ${r.ms.toFixed(0)} ms / iteration, ${total(r.counts)} dispatches, first ${(r.warm / 1000).toFixed(1)} s`);
for (const c of selected.filter((c) => !recorded.includes(c.key))) {
  results.push(await measure(c, false));
  early(results[results.length - 1]);
}
const toRecord = selected.filter((c) => recorded.includes(c.key));
if (toRecord.length) {
  emptyPool();
  destroyDevice();
  await init({ gpu: recordingGpu() });
  for (const c of toRecord) results.push(await measure(c, true));
}

const rows: string[][] = [];
for (const r of results) {
  const torch = r.recorded ? null : torchMs(r.cfg);
  const d = total(r.counts);
  rows.push([
    r.cfg.label, `${d}`,
    r.recorded ? `— (recorded: ${r.ms.toFixed(0)} ms engine CPU, ${(1000 * r.ms / d).toFixed(0)} µs/dispatch)` : `${r.ms.toFixed(0)} ms`,
    torch ? `${torch.ms.toFixed(0)} ms (${torch.label})` : '—',
    torch && !r.recorded ? `${(r.ms / torch.ms).toFixed(2)}×` : '—',
    r.recorded ? '—' : `${(r.warm / 1000).toFixed(1)} s`,
  ]);
}
console.log(`adapter: ${adapter} (${info.runtime}); ${iters} timed iterations`);
console.log(table(['config', 'dispatches / iteration', 'ms / iteration (ours)', 'PyTorch', 'ours / PyTorch', 'first iteration'], rows));

const chosen = Object.values(tuningState());
if (forcedKernel) console.log(`conv kernels: ${forcedKernel} everywhere (--kernel)`);
else if (chosen.length) {
  const byKernel = new Map<string, number>();
  for (const k of chosen) byKernel.set(k, (byKernel.get(k) ?? 0) + 1);
  console.log(`conv kernels chosen by measurement for ${chosen.length} shapes: ${[...byKernel].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
} else console.log(`conv kernels: ${info.autotune ? 'none measured' : "fixed ('direct': a CPU adapter, no autotuning)"}`);

// Dispatches per iteration by kernel family, one column per configuration.
const fams = [...new Set(results.flatMap((r) => [...r.counts.keys()].map(family)))];
const famCount = (r: Result, f: string) => [...r.counts].filter(([k]) => family(k) === f).reduce((a, [, s]) => a + s.dispatches, 0);
fams.sort((a, b) => famCount(results[0], b) - famCount(results[0], a));
console.log('\ndispatches per iteration by kernel family');
console.log(table(['kernel', ...results.map((r) => r.cfg.key)], fams.map((f) => [f, ...results.map((r) => `${famCount(r, f)}`)])));
const ops = [...results[0].counts].filter(([k]) => k.startsWith('map:')).sort((a, b) => b[1].dispatches - a[1].dispatches);
console.log(`\nelementwise (map) dispatches of ${results[0].cfg.key} by op: ${ops.map(([k, s]) => `${k.slice(4)} ${s.dispatches}`).join(', ')}`);

for (const r of results.filter((x) => x.profile)) {
  const p = [...r.profile!].sort((a, b) => b[1].ms - a[1].ms || b[1].encodeMs - a[1].encodeMs);
  const gpu = p.reduce((a, [, s]) => a + s.ms, 0), enc = p.reduce((a, [, s]) => a + s.encodeMs, 0), n = total(r.profile!);
  console.log(`\nprofile of one iteration, ${r.cfg.label}${r.recorded ? ' (recording device: no GPU time)' : ''}: ` +
    `GPU ${gpu.toFixed(1)} ms, recording ${enc.toFixed(1)} ms CPU = ${(1000 * enc / n).toFixed(1)} µs per dispatch`);
  console.log(table(['kernel', 'dispatches', 'GPU ms', 'GPU µs / dispatch', 'CPU ms recording'], p.map(([k, s]) => [
    k, `${s.dispatches}`, s.ms.toFixed(2), s.dispatches ? (1000 * s.ms / s.dispatches).toFixed(0) : '—', s.encodeMs.toFixed(2),
  ])));
}
process.exit(0);
