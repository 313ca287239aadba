/**
 * @file CLI smoke: `sagan train` a few iterations at 32² (tiny width) on synthetic faces, then
 * `sagan edit` with the checkpoint it wrote; plus the errors a user meets first.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyDevice } from '../../src/index.ts';
import { main } from '../../src/sagan/cli/main.ts';
import { decodePng } from '../../src/engine/io/png.ts';
import { encodePng } from '../../src/engine/io/png.ts';

const dir = mkdtempSync(join(tmpdir(), 'sagan-cli-'));
afterAll(() => destroyDevice());

describe('sagan CLI', () => {
  it('train writes log, samples and a checkpoint; edit uses it', async () => {
    const out = join(dir, 'run');
    const code = await main(['train', '--size', '32', '--width', '2', '--res', '0', '--batch', '2', '--steps', '2', '--n-critic', '1',
      '--data-count', '8', '--out', out, '--sample-every', '2', '--ckpt-every', '2', '--log-every', '1', '--quiet']);
    expect(code).toBe(0);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((r) => r.step)).toEqual([1, 2]);
    expect(Number.isFinite(log[1].g_loss)).toBe(true);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
    // The paper's loss weights unless a recipe flag says otherwise.
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).weights).toEqual({ gp: 10, cls: 1, rec: 20, idt: 100 });
    const grid = decodePng(readFileSync(join(out, 'samples', 'step_000002.png')));
    expect(grid.width).toBeGreaterThan(4 * 32);

    // An input of another size and aspect: cropped and resized like training.
    const img = { width: 50, height: 40, channels: 3 as const, data: new Uint8Array(50 * 40 * 3).map((_, i) => (i * 7) % 256) };
    const inPath = join(dir, 'face.png');
    writeFileSync(inPath, encodePng(img));
    const edits = join(dir, 'edits');
    expect(await main(['edit', '--ckpt', join(out, 'checkpoint.safetensors'), '--target', '1', '--out', edits, inPath])).toBe(0);
    const edited = decodePng(readFileSync(join(edits, 'face_edited.png')));
    const mask = decodePng(readFileSync(join(edits, 'face_mask.png')));
    expect([edited.width, edited.height, mask.width, mask.height]).toEqual([32, 32, 32, 32]);
  }, 300_000); // first use compiles every SaGAN kernel (slow on lavapipe)

  it('recipe flags land in config.json: --rec (cycle weight), --cls, --cls-fake', async () => {
    const out = join(dir, 'recipe');
    expect(await main(['train', '--size', '16', '--width', '2', '--res', '0', '--batch', '2', '--steps', '1', '--n-critic', '1',
      '--data-count', '8', '--rec', '2', '--cls', '3', '--cls-fake', '0.5', '--out', out, '--quiet'])).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).weights).toEqual({ gp: 10, cls: 3, rec: 2, idt: 100, clsFake: 0.5 });
  }, 300_000);

  it('quickstart (npm start) warms up, trains and writes the held-out edit grid', async () => {
    const out = join(dir, 'quick');
    const code = await main(['quickstart', '--width', '2', '--res', '0', '--batch', '2', '--steps', '2', '--d-warmup', '2', '--out', out, '--quiet']);
    expect(code).toBe(0);
    const grid = decodePng(readFileSync(join(out, 'edits.png')));
    // 16 held-out faces across, rows input / +attr / −attr / mask; 32² cells upscaled 3× with 2-px gaps.
    expect([grid.width, grid.height]).toEqual([2 + 16 * 98, 2 + 4 * 98]);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect([config.dWarmup, config.lrG, config.steps]).toEqual([2, 1e-3, 2]);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  }, 300_000);

  it('reports usage errors clearly', async () => {
    expect(await main(['train', '--bogus'])).toBe(2);
    expect(await main(['train', '--attr', 'Wings', '--steps', '1', '--out', join(dir, 'x')])).toBe(2);
    expect(await main(['edit', '--ckpt', join(dir, 'missing.safetensors'), 'a.png'])).toBe(2);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a checkpoint');
    expect(await main(['edit', '--ckpt', junk, 'a.png'])).toBe(1);
    expect(await main(['nope'])).toBe(2);
  });
});
