/**
 * @file The PyTorch twin (python/sagan_torch) against this engine, through files only:
 *  - its unit tests (safetensors layout, checkpoint round trip, PRNG);
 *  - its CelebA loader gives the batches our loader gives (same crop/resize, split, order);
 *  - 2-process DDP (torchrun, gloo on CPU) trains 2 iterations on a synthetic CelebA-layout folder, and
 *    our `sagan edit` loads the checkpoint: its generator's float outputs equal PyTorch's within 1e-4,
 *    and the CLI's PNGs are those floats rounded to 8 bits;
 *  - a checkpoint written by our `sagan train` resumes in PyTorch: the next iteration, fed the batches and
 *    ε our trainer drew for it, gives the losses our trainer logged (so weights, both Adam states and the
 *    step count all carried over). What is *not* compared: the random draws themselves — each engine has
 *    its own generator, so PyTorch is given ours.
 * Needs Debian's python3-torch and python3-pil (`WITH_TORCH=1 bash scripts/setup.sh`); skipped, saying
 * so, when /usr/bin/python3 cannot import them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyDevice, getRngState, init, rand, readAll, setRngState } from '../../src/index.ts';
import { parseSafetensors, serializeSafetensors, toFloat32 } from '../../src/engine/io/safetensors.ts';
import { decodePng } from '../../src/engine/io/png.ts';
import { decodeImage } from '../../src/engine/io/image.ts';
import { main } from '../../src/sagan/cli/main.ts';
import { synthesizeCelebA } from '../../src/sagan/data/synth.ts';
import { openCelebA } from '../../src/sagan/data/celeba.ts';
import { readFile } from '../../src/sagan/data/fs.ts';
import { celebaSource, syntheticSource, type Batch } from '../../src/sagan/batches.ts';
import { edit, generatorFromCheckpoint, imagesToInput } from '../../src/sagan/edit.ts';
import { Trainer, type LogRecord, type TrainConfig } from '../../src/sagan/trainer.ts';
import { ROOT } from '../runtime/runners.ts';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import torch, PIL, numpy'], { encoding: 'utf8' });
const haveTorch = probe.status === 0;
if (!haveTorch) {
  console.log(`[torch twin] SKIPPED: ${PY} cannot import torch/PIL/numpy (${(probe.stderr || String(probe.error)).trim().split('\n').pop()}). ` +
    'Install them with WITH_TORCH=1 bash scripts/setup.sh (Debian python3-torch, python3-pil).');
}
const PYDIR = join(ROOT, 'python');
// One thread per torch process: two DDP workers share this machine's cores with the test runner.
const ENV = { ...process.env, PYTHONPATH: PYDIR, OMP_NUM_THREADS: '1', XDG_RUNTIME_DIR: '/tmp' };

function py(args: string[], timeoutMs = 240_000): string {
  const r = spawnSync(args[0] === 'torchrun' ? 'torchrun' : PY, args[0] === 'torchrun' ? args.slice(1) : args, { cwd: PYDIR, env: ENV, encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr?.slice(-4000)}\n${r.stdout?.slice(-2000)}`);
  return r.stdout + r.stderr;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

let tmp = '';
const DATA = () => join(tmp, 'faces');

describe.skipIf(!haveTorch)('the PyTorch twin (python/sagan_torch) and this engine', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'sagan-twin-'));
    await init();
    await synthesizeCelebA(DATA(), { count: 40, seed: 7, masks: false }); // 32 train / 4 val / 4 test (list_eval_partition.txt)
  }, 120_000);
  afterAll(() => {
    destroyDevice();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('python unit tests pass (safetensors layout, checkpoint round trip, PRNG port)', () => {
    const out = py(['-m', 'unittest', 'discover', '-s', 'tests']);
    expect(out).toMatch(/\nOK\b/);
  }, 120_000);

  it('its CelebA loader yields our loader\'s batches (split, order, crop and resize)', async () => {
    const S = 16, B = 4, seed = 5;
    py(['tests/dump_batches.py', DATA(), 'Smiling', String(S), String(B), String(seed), '3', join(tmp, 'py_batches.safetensors')]);
    const theirs = parseSafetensors(readFileSync(join(tmp, 'py_batches.safetensors'))).tensors;
    const ds = await openCelebA({ root: DATA(), attribute: 'Smiling', size: S, readFile, split: 'train', splitBy: 'partition' });
    const ours = celebaSource(ds, B, seed);
    for (let k = 0; k < 3; k++) {
      const b = await ours.batch(k); // k = 0..2 spans the first 32-image epoch's shuffled order
      expect(maxAbs(b.images, toFloat32(theirs[`x${k}`]!))).toBeLessThan(1e-6);
      expect([...b.labels]).toEqual([...toFloat32(theirs[`c${k}`]!)]);
    }
  }, 120_000);

  it('2-process DDP trains 2 iterations; our sagan edit loads the checkpoint and matches PyTorch\'s forward within 1e-4', async () => {
    const out = join(tmp, 'ddp');
    // --redirects/--tee 1: Debian's torch 1.13 on Python 3.11 crashes parsing their default ("0").
    const log = py(['torchrun', '--redirects', '1', '--tee', '1', '--nproc_per_node', '2', '-m', 'sagan_torch.train', '--data', DATA(),
      '--attr', 'Eyeglasses', '--size', '16', '--width', '4', '--res', '1', '--batch', '2', '--steps', '2', '--n-critic', '3',
      '--log-every', '1', '--out', out]);
    console.log(`[torch twin] DDP run:\n${log.split('\n').filter((l) => l.startsWith('[default0]')).join('\n')}`);
    const recs = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
    expect(recs.map((r) => r.step)).toEqual([1, 2]);
    for (const r of recs) for (const k of ['d_loss', 'gp', 'g_loss', 'rec', 'idt'] as const) expect(Number.isFinite(r[k])).toBe(true);
    const ckPath = join(out, 'checkpoint.safetensors');
    const md = parseSafetensors(readFileSync(ckPath)).metadata;
    expect(md.format).toBe('sagan-webgpu/1');
    expect(md.step).toBe('2');
    expect(md.batches).toBe(String(2 * 3 * 2)); // 2 iterations × 3 critic batches × 2 processes, in global stream batches

    // The same inputs for both engines: our preprocessing of three training images.
    const files = ['000001.png', '000017.png', '000033.png'].map((f) => join(DATA(), 'img_align_celeba', f));
    const { G, model, data } = generatorFromCheckpoint(readFileSync(ckPath), ckPath);
    const imgs = files.map((f) => decodeImage(readFileSync(f)));
    const x = imagesToInput(imgs, model.size, data);
    const ours = await edit(G, x, 3, 1);
    G.dispose();
    writeFileSync(join(tmp, 'in.safetensors'), serializeSafetensors({
      x: { dtype: 'F32', shape: [3, 3, 16, 16], data: x }, target: { dtype: 'F32', shape: [3], data: new Float32Array(3).fill(1) },
    }));
    py(['-m', 'sagan_torch.forward', '--ckpt', ckPath, '--input', join(tmp, 'in.safetensors'), '--out', join(tmp, 'py_edit.safetensors')]);
    const theirs = parseSafetensors(readFileSync(join(tmp, 'py_edit.safetensors'))).tensors;
    const dEdit = maxAbs(ours.edited, toFloat32(theirs.edited!)), dMask = maxAbs(ours.mask, toFloat32(theirs.mask!));
    console.log(`[torch twin] sagan edit vs PyTorch forward on the DDP checkpoint: max |Δ| edited ${dEdit.toExponential(2)}, mask ${dMask.toExponential(2)}`);
    expect(dEdit).toBeLessThan(1e-4);
    expect(dMask).toBeLessThan(1e-4);

    // The CLI itself: its edited PNG is PyTorch's output quantised (±1 level for rounding at a boundary).
    expect(await main(['edit', '--ckpt', ckPath, '--target', '1', '--out', join(tmp, 'edits'), files[0]!])).toBe(0);
    const png = decodePng(readFileSync(join(tmp, 'edits', '000001_edited.png')));
    const S = 16, pyEdit = toFloat32(theirs.edited!);
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < S * S; i++) {
        const want = Math.min(255, Math.max(0, Math.round(((pyEdit[c * S * S + i]! + 1) / 2) * 255)));
        worst = Math.max(worst, Math.abs(png.data[i * 3 + c]! - want));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  }, 300_000);

  it('a checkpoint from our sagan train resumes in PyTorch with the same next-iteration losses', async () => {
    const out = join(tmp, 'ours');
    const flags = ['--data', 'synthetic', '--attr', 'Eyeglasses', '--size', '16', '--width', '4', '--res', '1', '--batch', '2',
      '--n-critic', '2', '--data-count', '16', '--seed', '3', '--lr', '1e-3', '--quiet', '--sample-every', '100', '--out', out];
    expect(await main(['train', ...flags, '--steps', '1'])).toBe(0);
    const ckPath = join(out, 'checkpoint.safetensors');
    const bytes = readFileSync(ckPath);

    // Iteration 2 in our trainer, resumed from that file; record the batches it draws and the ε it will draw.
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as TrainConfig;
    cfg.decayFrom = cfg.decayFrom ?? Infinity;
    cfg.steps = 2;
    const src = syntheticSource({ attribute: 'Eyeglasses', size: 16, dataSeed: cfg.dataSeed!, length: cfg.dataCount!, batchSize: 2, orderSeed: cfg.seed });
    const drawn: Batch[] = [];
    const logged: LogRecord[] = [];
    const t = new Trainer(cfg, { size: 16, length: src.length, batch: async (k) => { const b = await src.batch(k); drawn.push(b); return b; } }, null,
      { log: (r) => void logged.push(r) });
    await t.resume(bytes, ckPath);
    const rng = getRngState(); // ε of critic step i is the i-th rand([n]) from here: draw them, then rewind
    const epsT = [rand([2]), rand([2])];
    const eps = await readAll(epsT);
    epsT.forEach((e) => e.dispose());
    setRngState(rng);
    await t.run(2);
    expect(logged.map((r) => r.step)).toEqual([2]);
    expect(drawn.length).toBe(2);

    const feed: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    drawn.forEach((b, i) => {
      feed[`x${i}`] = { dtype: 'F32', shape: [b.n, 3, 16, 16], data: b.images };
      feed[`c${i}`] = { dtype: 'F32', shape: [b.n], data: b.labels };
      feed[`eps${i}`] = { dtype: 'F32', shape: [b.n], data: eps[i]! };
    });
    writeFileSync(join(tmp, 'feed.safetensors'), serializeSafetensors(feed));
    const outPy = py(['tests/replay.py', ckPath, join(tmp, 'feed.safetensors')]);
    const theirs = JSON.parse(outPy.trim().split('\n').pop()!) as Record<string, number>;
    const ours = logged[0]!;
    const rows = (['d_loss', 'd_adv', 'gp', 'd_cls', 'g_loss', 'g_adv', 'g_cls', 'rec', 'idt', 'mask_mean'] as const)
      .map((k) => ({ k, ours: ours[k], torch: theirs[k]!, diff: Math.abs(ours[k] - theirs[k]!) }));
    console.log(`[torch twin] iteration 2 after resuming our checkpoint:\n${rows.map((r) => `  ${r.k.padEnd(9)} engine ${r.ours.toPrecision(8).padStart(13)}  torch ${r.torch.toPrecision(8).padStart(13)}  |Δ| ${r.diff.toExponential(1)}`).join('\n')}`);
    expect(theirs.step).toBe(2);
    for (const r of rows) expect(r.diff, r.k).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(r.ours));
  }, 300_000);
});
