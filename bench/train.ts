/**
 * @file Training speed: ms per SaGAN iteration (n_critic = 3 D steps + 1 G step) for the configurations
 * of the spec's PyTorch table, printed side by side with PyTorch's measured numbers.
 *   node dist/node/bench-train.js [--configs quickstart,64,128] [--iters N]
 * (a) the `npm start` configuration, (b) 64² w16 2 res batch 16, (c) 128² w32 4 res batch 16 (a GPU's
 * job: on lavapipe one iteration of (c) takes minutes). The first iterations compile every kernel and
 * are not timed.
 */
import process from 'node:process';
import { init, sync } from '../src/index.ts';
import { Trainer, DEFAULT_TRAIN } from '../src/sagan/trainer.ts';
import { syntheticSource } from '../src/sagan/batches.ts';

interface Cfg { key: string; label: string; size: number; width: number; nRes: number; batch: number; torch: string }
const CONFIGS: Cfg[] = [
  { key: 'quickstart', label: 'npm start: 32² w8 1 res b8', size: 32, width: 8, nRes: 1, batch: 8, torch: '— (32² w16 2 res b8: 450 ms on 2-core CPU)' },
  { key: '64', label: '64² w16 2 res b16', size: 64, width: 16, nRes: 2, batch: 16, torch: '62.5 ms (H100)' },
  { key: '128', label: '128² w32 4 res b16', size: 128, width: 32, nRes: 4, batch: 16, torch: '128 ms (H100)' },
];

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const want = arg('configs', 'quickstart').split(',');
const iters = Number(arg('iters', '3'));
const info = await init();
console.log(`adapter: ${info.adapter.description || info.adapter.vendor} (${info.runtime})`);
const rows: string[][] = [];
for (const c of CONFIGS.filter((c) => want.includes(c.key))) {
  const config = {
    ...DEFAULT_TRAIN, attribute: 'Eyeglasses', data: 'synthetic',
    model: { size: c.size, width: c.width, nRes: c.nRes, attention: true },
    batchSize: c.batch, steps: 1e9, logEvery: 1e9, sampleEvery: 1e9, checkpointEvery: 1e9,
  };
  const data = syntheticSource({ attribute: 'Eyeglasses', size: c.size, length: 256, batchSize: c.batch, dataSeed: 1, orderSeed: 1 });
  const t = new Trainer(config, data, null);
  const t0 = performance.now();
  await t.run(1);
  await sync();
  const warm = performance.now() - t0;
  const t1 = performance.now();
  await t.run(1 + iters);
  await t.flushLog();
  await sync();
  const ms = (performance.now() - t1) / iters;
  rows.push([c.label, `${ms.toFixed(0)} ms`, `${(warm / 1000).toFixed(1)} s`, c.torch]);
  t.G.dispose(); t.D.dispose(); t.optG.dispose(); t.optD.dispose();
}
const head = ['config', 'ms / iteration (ours)', 'first iteration (compiles kernels)', 'PyTorch (spec)'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(w[i])).join(' | ')} |`;
console.log([line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n'));
process.exit(0);
