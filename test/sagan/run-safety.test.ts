/**
 * @file Training, resuming and editing are safe against careless use, bad input and crashes (issue 13):
 * CelebA-layout folders of any size, a folder holding a run, resume mismatches, stale temporaries, the
 * log after a crash, range checks, NaN, damaged checkpoint metadata, colliding edit outputs, --help.
 * Tiny runs (16², width 2, no residual blocks) through `main`, as a user would type them.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { mkdtempSync, existsSync, readFileSync, writeFileSync, readdirSync, rmSync, mkdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyDevice, init, parseSafetensors, serializeSafetensors } from '../../src/index.ts';
import { main } from '../../src/sagan/cli/main.ts';
import { parseArgs, UsageError } from '../../src/sagan/cli/args.ts';
import { TRAIN_FLAGS } from '../../src/sagan/cli/train.ts';
import { cutLog } from '../../src/sagan/cli/run-folder.ts';
import { uniqueNames } from '../../src/sagan/cli/edit.ts';
import { readCheckpoint } from '../../src/sagan/checkpoint.ts';
import { Trainer, DivergedError } from '../../src/sagan/trainer.ts';
import { DEFAULT_TRAIN } from '../../src/sagan/config.ts';
import { syntheticSource } from '../../src/sagan/batches.ts';
import { synthesizeCelebA } from '../../src/sagan/data/synth.ts';
import { encodePng } from '../../src/engine/io/png.ts';
import { exec } from '../runtime/runners.ts';

const dir = mkdtempSync(join(tmpdir(), 'sagan-safety-'));
const TINY = ['--size', '16', '--width', '2', '--res', '0', '--batch', '2', '--n-critic', '1', '--data-count', '8', '--quiet', '--log-every', '1'];
const steps = (out: string) => readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).step);
let stderr: string[] = [];
beforeAll(async () => {
  await init();
  vi.spyOn(console, 'error').mockImplementation((...a) => void stderr.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterAll(() => destroyDevice());
const run = async (...argv: string[]) => {
  stderr = [];
  return main(argv);
};
const said = () => stderr.join('\n');

describe('sagan train: data folders', () => {
  it('trains on a small CelebA-layout folder: list_eval_partition.txt, --train-count, or a noted fallback', async () => {
    const data = join(dir, 'celeba');
    await synthesizeCelebA(data, { count: 8, width: 24, height: 24, partition: [0.75, 0, 0.25], masks: false });
    expect(await run('train', '--data', data, ...TINY, '--steps', '1', '--out', join(dir, 'c1'))).toBe(0);
    expect(said()).not.toMatch(/no held-out/);
    rmSync(join(data, 'list_eval_partition.txt'));
    expect(await run('train', '--data', data, ...TINY, '--steps', '1', '--out', join(dir, 'c2'))).toBe(0);
    expect(said()).toMatch(/no held-out images .*sample grids show training images/);
    expect(await run('train', '--data', data, ...TINY, '--steps', '1', '--train-count', '6', '--out', join(dir, 'c3'))).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'c3', 'config.json'), 'utf8')).trainCount).toBe(6);
  }, 120_000);
});

describe('sagan train: the run folder', () => {
  const out = join(dir, 'run');
  it('refuses to start over a run without --resume or --force, and writes nothing', async () => {
    expect(await run('train', ...TINY, '--steps', '2', '--ckpt-every', '2', '--out', out)).toBe(0);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8'), config = readFileSync(join(out, 'config.json'), 'utf8');
    expect(await run('train', ...TINY, '--steps', '2', '--out', out)).toBe(2);
    expect(said()).toMatch(/already holds a run.*--resume.*--force/);
    expect(await run('train', ...TINY, '--batch', '0', '--out', out)).toBe(2);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8')).toBe(log);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(config);
    expect(await run('train', ...TINY, '--steps', '1', '--out', out, '--force')).toBe(0);
    expect(steps(out)).toEqual([1]);
    expect(await run('train', ...TINY, '--steps', '2', '--ckpt-every', '2', '--out', out, '--force')).toBe(0);
  }, 120_000);

  it('--resume refuses another --batch/--lr/--seed/--attr/--data, naming it; --steps and --new-lr change the run, recorded', async () => {
    for (const [flag, v] of [['batch', '4'], ['lr', '0.001'], ['seed', '7'], ['attr', 'Smiling'], ['data-count', '16'], ['down', '1']]) {
      expect(await run('train', '--resume', '--out', out, '--quiet', `--${flag}`, v)).toBe(2);
      expect(said()).toContain(`--${flag} ${v} differs from the run being resumed`);
    }
    expect(await run('train', '--resume', '--out', out, '--quiet', '--batch', '2', '--steps', '3', '--new-lr', '0.0001')).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.changes).toEqual([{ step: 2, field: 'steps', from: 2, to: 3 }, { step: 2, field: 'lr', from: 2e-4, to: 1e-4 }]);
    expect([config.steps, config.lrG, config.batchSize]).toEqual([3, 1e-4, 2]);
    expect(steps(out)).toEqual([1, 2, 3]);
  }, 120_000);

  it('a resume removes stale temporaries and cuts the log back to the checkpoint', async () => {
    // As after a kill -9: a half-written checkpoint temp, and log lines past the checkpoint (step 3).
    const stale = join(out, 'checkpoint.safetensors.99999.k2j4.tmp');
    writeFileSync(stale, 'partial');
    appendFileSync(join(out, 'log.jsonl'), JSON.stringify({ step: 4 }) + '\n{"step": 5, "d_lo');
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '5', '--ckpt-every', '5')).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(steps(out)).toEqual([1, 2, 3, 4, 5]);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(cutLog('{"step":1}\n{"step":2}\n{"step":1}\n{"step":3}\n{"st', 2)).toBe('{"step":1}\n{"step":2}\n');
  }, 120_000);

  it('--decay-from on a resume starts a decay here or later (recorded); one that would make the learning rate jump is refused; --g-ema starts an average; --new-rec, --new-idt-mask, --new-cls and --new-cls-fake change those weights', async () => {
    const config = () => JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    const before = readFileSync(join(out, 'config.json'), 'utf8');
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '7', '--decay-from', '3')).toBe(2); // the run is at 5
    expect(said()).toMatch(/--decay-from 3: it would start before the iteration the run is at \(5\).*Fix: give a value ≥ 5/);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(before);
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '7', '--decay-from', '5')).toBe(0);
    expect(config().changes.at(-1)).toEqual({ step: 5, field: 'decayFrom', from: -1, to: 5 });
    expect(config().decayFrom).toBe(5);
    const lrs = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.step > 5).map((r) => r.lr);
    expect(lrs).toEqual([1e-4 * (7 - 5) / 2, 1e-4 * (7 - 6) / 2]); // linear from 5 to 0 at 7 (lr set before each step's update)
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '9', '--decay-from', '8')).toBe(2);
    expect(said()).toMatch(/the run's decay already started at 5/);
    // --g-ema on a resume starts an average of G's weights from the current ones (recorded, checkpointed).
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '8', '--g-ema', '0.99')).toBe(0);
    expect(config().changes.at(-1)).toEqual({ step: 7, field: 'gEma', from: 0, to: 0.99 });
    expect(config().gEma).toBe(0.99);
    const ck = readCheckpoint(readFileSync(join(out, 'checkpoint.safetensors')));
    expect(Object.keys(ck.parts.Gema).sort()).toEqual(Object.keys(ck.parts.G).sort());
    // --new-rec changes the reconstruction weight from here on (recorded); on a new run it is refused.
    const rec0 = config().weights.rec;
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '9', '--new-rec', '2.5')).toBe(0);
    expect(config().changes.at(-1)).toEqual({ step: 8, field: 'rec', from: rec0, to: 2.5 });
    expect(config().weights.rec).toBe(2.5);
    expect(readCheckpoint(readFileSync(join(out, 'checkpoint.safetensors'))).meta.config.weights.rec).toBe(2.5);
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '10', '--rec', '20')).toBe(2); // --rec must match
    expect(said()).toMatch(/--rec 20 differs from the run being resumed .*2\.5/);
    expect(await run('train', ...TINY, '--steps', '1', '--new-rec', '3', '--out', join(dir, 'never-rec'))).toBe(2);
    expect(said()).toMatch(/--new-rec changes --rec of a resumed run; for a new run use --rec/);
    expect(existsSync(join(dir, 'never-rec'))).toBe(false);
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '10', '--new-idt-mask', '0.25')).toBe(0);
    expect(config().changes.at(-1)).toEqual({ step: 9, field: 'idtMask', from: 1, to: 0.25 });
    expect(config().weights).toMatchObject({ rec: 2.5, idtMask: 0.25 });
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '11', '--new-cls', '3')).toBe(0);
    expect(config().changes.at(-1)).toEqual({ step: 10, field: 'cls', from: 1, to: 3 });
    expect(config().weights).toMatchObject({ cls: 3, rec: 2.5, idtMask: 0.25 });
    // --new-cls-fake: a weight a config may omit (absent = the paper's 0) is changed from that value.
    expect(config().weights.clsFake).toBeUndefined();
    expect(await run('train', '--resume', '--out', out, '--quiet', '--steps', '12', '--new-cls-fake', '0.5')).toBe(0);
    expect(config().changes.at(-1)).toEqual({ step: 11, field: 'clsFake', from: 0, to: 0.5 });
    expect(readCheckpoint(readFileSync(join(out, 'checkpoint.safetensors'))).meta.config.weights).toMatchObject({ cls: 3, clsFake: 0.5 });
    expect(await run('train', ...TINY, '--steps', '1', '--new-cls-fake', '1', '--out', join(dir, 'never-cls-fake'))).toBe(2);
    expect(said()).toMatch(/--new-cls-fake changes --cls-fake of a resumed run; for a new run use --cls-fake/);
  }, 120_000);

  it('--resume from a weights-only export (G only) says so, naming the file and the fix, and changes nothing', async () => {
    const gOnly = join(dir, 'g-only');
    mkdirSync(gOnly);
    for (const f of ['config.json', 'log.jsonl']) writeFileSync(join(gOnly, f), readFileSync(join(out, f)));
    expect(await run('export', '--ckpt', join(out, 'checkpoint.safetensors'), '--out', join(gOnly, 'checkpoint.safetensors'))).toBe(0);
    const before = readFileSync(join(gOnly, 'checkpoint.safetensors'));
    expect(await run('train', '--resume', '--out', gOnly, '--quiet', '--steps', '50')).not.toBe(0);
    expect(said()).toMatch(/checkpoint\.safetensors: holds no optimiser state \(a weights-only export\?\).*Fix: resume from a run folder's checkpoint/);
    expect(said()).not.toMatch(/Discriminator/);
    expect(readFileSync(join(gOnly, 'checkpoint.safetensors')).equals(before)).toBe(true);
  }, 120_000);
});

describe('range checks (one flag table)', () => {
  it.each([
    ['--steps', '0'], ['--steps', '-5'], ['--steps', ''], ['--batch', '0'], ['--batch', '-1'], ['--n-critic', '0'],
    ['--size', '0'], ['--size', '24'], ['--width', '0'], ['--down', '-1'], ['--g-ema', '1'], ['--lr', '0'], ['--lr', '1e30'], ['--log-every', '0'], ['--ckpt-every', '0'],
  ])('train %s %j is a usage error naming the flag', async (flag, v) => {
    expect(() => parseArgs('train', [flag, v], TRAIN_FLAGS)).toThrow(UsageError);
    expect(await run('train', flag, v, '--out', join(dir, 'never'))).toBe(2);
    expect(said()).toContain(flag);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
  it('train --down beyond the image size is a usage error naming --down, before anything is written', async () => {
    expect(await run('train', '--size', '16', '--down', '4', '--out', join(dir, 'never'))).toBe(2);
    expect(said()).toMatch(/down 4 must be an integer from 0 to 3.*--down/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
  it('other commands check theirs too', async () => {
    expect(await run('quickstart', '--steps', '0')).toBe(2);
    expect(await run('train-classifier', '--batch', '0')).toBe(2);
    expect(await run('eval', '--count', '1')).toBe(2);
  });
});

describe('NaN and damaged checkpoints', () => {
  const model = { size: 16, width: 2, nRes: 0, attention: true };
  const trainer = (lr: number, sink = {}) => new Trainer(
    { ...DEFAULT_TRAIN, model, batchSize: 2, nCritic: 1, steps: 6, lrG: lr, lrD: lr, logEvery: 1, sampleEvery: 100, checkpointEvery: 1 },
    syntheticSource({ attribute: 'Eyeglasses', size: 16, length: 8, batchSize: 2, dataSeed: 2018, orderSeed: 1 }), null, sink);

  it('stops at the first non-finite loss, before logging or checkpointing it', async () => {
    const logged: number[] = [], saved: number[] = [];
    const t = trainer(1e30, { log: (r: { step: number }) => void logged.push(r.step), checkpoint: (s: number) => void saved.push(s) });
    await expect(t.run()).rejects.toThrow(DivergedError);
    await expect(trainer(1e30).run()).rejects.toThrow(/training diverged: .*(NaN|Infinity).*last checkpoint .*untouched/);
    expect(saved.length).toBeLessThan(6);
    expect(saved).toEqual(logged.slice(0, saved.length)); // every saved step was logged finite first
  }, 60_000);

  it('loading a checkpoint with non-finite weights or bad metadata fails naming the file and field', async () => {
    const t = trainer(1e-4);
    await t.run(1);
    const good = parseSafetensors(await t.checkpointBytes());
    const redo = (md: Record<string, string>, edit?: (x: typeof good.tensors) => void) => {
      const tensors = structuredClone(good.tensors);
      edit?.(tensors);
      return serializeSafetensors(tensors, { ...good.metadata, ...md });
    };
    expect(() => readCheckpoint(redo({}, (ts) => ((ts[Object.keys(ts).find((k) => k.startsWith('G.'))!].data as Float32Array)[0] = NaN)), 'ck.safetensors'))
      .toThrow(/ck\.safetensors: weight G\..* NaN or infinite/);
    const cases: [Record<string, string>, RegExp][] = [
      [{ step: 'abc' }, /'step' must be/], [{ step: '-5' }, /'step' must be/], [{ batches: 'NaN' }, /'batches' must be/],
      [{ rng: '{"seed":"x","offset":0}' }, /'rng\.seed'/], [{ rng: 'garbage' }, /'rng' is not valid JSON/],
      [{ config: JSON.stringify({ ...JSON.parse(good.metadata.config), batchSize: 0 }) }, /'batchSize' must be/],
      [{ config: JSON.stringify({ ...JSON.parse(good.metadata.config), model: { size: 24, width: 2, nRes: 0, attention: true } }) }, /'model'/],
      [{ config: JSON.stringify({ ...JSON.parse(good.metadata.config), model: { ...model, down: 1.5 } }) }, /'model\.down' must be an integer/],
      [{ config: JSON.stringify({ ...JSON.parse(good.metadata.config), model: { ...model, down: 4 } }) }, /'model'.*down 4/],
    ];
    for (const [md, re] of cases) expect(() => readCheckpoint(redo(md), 'ck.safetensors')).toThrow(re);
    expect(() => readCheckpoint(redo({ step: 'abc' }), 'ck.safetensors')).toThrow(/^ck\.safetensors: /);
  }, 60_000);
});

describe('edit and --help', () => {
  it('edit gives inputs that share a stem distinct outputs, and lists only files it wrote', async () => {
    expect(uniqueNames(['x', 'x', 'x-2', 'y'])).toEqual(['x', 'x-2', 'x-2-2', 'y']);
    const img = { width: 20, height: 20, channels: 3 as const, data: new Uint8Array(20 * 20 * 3).fill(90) };
    mkdirSync(join(dir, 'a')); mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'x.png'), encodePng(img)); writeFileSync(join(dir, 'b', 'x.png'), encodePng(img));
    const edits = join(dir, 'edits');
    let printed = '';
    (console.log as unknown as { mockImplementation(f: (...a: unknown[]) => void): void }).mockImplementation((...a) => void (printed += a.join(' ')));
    expect(await run('edit', '--ckpt', join(dir, 'run', 'checkpoint.safetensors'), '--out', edits, join(dir, 'a', 'x.png'), join(dir, 'b', 'x.png'))).toBe(0);
    expect(readdirSync(edits).sort()).toEqual(['x-2_edited.png', 'x-2_input.png', 'x-2_mask.png', 'x_edited.png', 'x_input.png', 'x_mask.png']);
    const paths = printed.split('\n').filter((l) => l.endsWith('.png'));
    expect(paths.length).toBe(6);
    for (const p of paths) expect(existsSync(p)).toBe(true);
  }, 60_000);

  it('--help exits 0 everywhere, synth-cli included', async () => {
    for (const c of ['train', 'edit', 'quickstart', 'train-classifier', 'eval', 'augment']) expect(await run(c, '--help')).toBe(0);
    expect(await run('--help')).toBe(0);
    const r = await exec('node_modules/.bin/deno', ['run', '-A', '--no-lock', 'src/sagan/data/synth-cli.ts', '--help'], 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: synth-cli/);
    const bad = await exec('node_modules/.bin/deno', ['run', '-A', '--no-lock', 'src/sagan/data/synth-cli.ts', '--bogus'], 60_000);
    expect(bad.code).toBe(2);
  }, 60_000);
});
