/**
 * @file CLI smoke for issue #6 at 16² with width 2: `sagan train` (with attention and --no-attention),
 * `train-classifier`, `eval` on both checkpoints (synthetic held-out faces, and a CelebA-layout folder
 * with masks), `augment` on files and on a folder; plus the usage errors.
 */
import { describe, it, expect, afterAll, vi } from 'vitest';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyDevice } from '../../src/index.ts';
import { main } from '../../src/sagan/cli/main.ts';
import { decodePng, encodePng } from '../../src/engine/io/png.ts';
import { synthesizeCelebA } from '../../src/sagan/data/synth.ts';

const dir = mkdtempSync(join(tmpdir(), 'sagan-eval-'));
afterAll(() => destroyDevice());

const train = (out: string, extra: string[] = []) => main(['train', '--size', '16', '--width', '2', '--res', '0', '--batch', '2', '--steps', '1',
  '--n-critic', '1', '--data-count', '8', '--out', out, '--sample-every', '1', '--ckpt-every', '1', '--quiet', ...extra]);

/** Runs main and returns its exit code and what it printed with console.log. */
async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await main(argv);
    return { code, stdout: spy.mock.calls.map((c) => c.join(' ')).join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('sagan train-classifier / eval / augment', () => {
  it('trains a judge, evaluates SaGAN and the no-attention ablation, augments images', async () => {
    const att = join(dir, 'att'), noatt = join(dir, 'noatt');
    expect(await train(att)).toBe(0);
    expect(await train(noatt, ['--no-attention'])).toBe(0);

    // Judge: trained on faces 0…7, tested on faces 8…11.
    const cls = join(dir, 'cls');
    const c = await run(['train-classifier', '--size', '16', '--width', '2', '--steps', '2', '--batch', '4', '--data-count', '8',
      '--test-count', '4', '--out', cls, '--quiet']);
    expect(c.code).toBe(0);
    const cj = JSON.parse(readFileSync(join(cls, 'classifier.json'), 'utf8'));
    expect(cj).toMatchObject({ attribute: 'Eyeglasses', data: 'synthetic', steps: 2, config: { size: 16, width: 2 } });
    expect(cj.test.n).toBe(4);
    expect(cj.test.accuracy).toBeGreaterThanOrEqual(0);
    expect(cj.test.accuracy).toBeLessThanOrEqual(1);
    expect(c.stdout).toContain(`Eyeglasses classifier test accuracy ${(100 * cj.test.accuracy).toFixed(1)}% on 4 held-out images`);
    // Hard negatives by default, and the accuracy with every test region corrupted beside the plain one.
    expect(cj.extra.hardNegatives).toBe(0.5);
    expect(cj.hardTest.n).toBe(4);
    expect(c.stdout).toContain(`region tinted, noised, blurred, painted or ghosted (true labels): ${(100 * cj.hardTest.accuracy).toFixed(1)}%`);

    // eval on both checkpoints; --batch 3 leaves a partial last batch.
    const ev = join(dir, 'eval');
    const e = await run(['eval', '--ckpt', `${join(att, 'checkpoint.safetensors')},${join(noatt, 'checkpoint.safetensors')}`,
      '--classifier', join(cls, 'classifier.safetensors'), '--count', '4', '--batch', '3', '--grid-rows', '4', '--out', ev, '--quiet']);
    expect(e.code).toBe(0);
    const r = JSON.parse(readFileSync(join(ev, 'eval.json'), 'utf8'));
    expect(r.models.map((m: { label: string }) => m.label)).toEqual(['Eyeglasses', 'Eyeglasses (no attention)']);
    const [m1, m2] = r.models;
    expect(m1.data).toMatch(/synthetic faces 8…11/); // held-out: right after the 8 training faces
    expect(m1.images.map((i: { name: string }) => i.name)).toEqual(['face_8', 'face_9', 'face_10', 'face_11']);
    expect(m1.summary.all.n).toBe(4);
    expect(m1.summary.add.n + m1.summary.remove.n).toBe(4);
    for (const k of ['maskIoU', 'maskMean', 'success', 'outsideMae', 'insideMae', 'identityL1', 'backL1']) {
      expect(m1.summary.all[k]).toBeGreaterThanOrEqual(0);
    }
    expect(m1.summary.all.maskIoU).toBeLessThanOrEqual(1);
    expect(m2.summary.all.maskIoU).toBeNull();
    expect(m2.summary.all.maskMean).toBeNull();
    expect(m2.summary.all.outsideMae).toBeGreaterThan(0); // mask treated as all ones: AMN changes every pixel
    const md = readFileSync(join(ev, 'eval.md'), 'utf8');
    expect(md.split('\n').filter((l) => l.startsWith('| Eyeglasses'))).toHaveLength(6);
    expect(md).toMatch(/\| Eyeglasses \(no attention\) \| all \| 4 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| n\/a \| n\/a \|/);
    expect(e.stdout).toContain('| model | direction | n |');
    // Scores against the counterfactual exist for both models (synthetic faces know x*).
    for (const m of [m1, m2]) {
      expect(m.summary.all.closeness).toBeLessThanOrEqual(1);
      expect(m.summary.all.magnitude).toBeGreaterThanOrEqual(0);
      expect(m.images[0].closeness).toEqual(expect.any(Number));
    }
    expect(m1.summary.all.maskSoftIoU).toBeGreaterThanOrEqual(0);
    expect(m2.summary.all.maskSoftIoU).toBeNull();
    expect(m1.grid.rankedBy).toBe('closeness');
    // Grids: 2 worst + 2 best rows of input | edited | x* | mask | region | |Δ| at 16².
    for (const g of ['grid_Eyeglasses.png', 'grid_Eyeglasses_noattn.png']) {
      const img = decodePng(readFileSync(join(ev, g)));
      expect([img.width, img.height]).toEqual([2 + 6 * 18, 2 + 4 * 18]);
    }

    // A CelebA-layout folder (with masks): eval its test split, train a judge on it, augment it.
    const celeb = join(dir, 'celeb');
    await synthesizeCelebA(celeb, { count: 6, width: 40, height: 48 });
    const ev2 = join(dir, 'eval2');
    expect((await run(['eval', '--ckpt', join(att, 'checkpoint.safetensors'), '--classifier', join(cls, 'classifier.safetensors'),
      '--data', celeb, '--train-count', '3', '--count', '3', '--out', ev2, '--quiet'])).code).toBe(0);
    const r2 = JSON.parse(readFileSync(join(ev2, 'eval.json'), 'utf8'));
    expect(r2.models[0].images.map((i: { name: string }) => i.name)).toEqual(['000004.png', '000005.png', '000006.png']);
    expect(r2.models[0].summary.all.maskIoU).toBeGreaterThanOrEqual(0); // masks/Eyeglasses/ found
    expect((await run(['train-classifier', '--data', celeb, '--size', '16', '--width', '2', '--steps', '1', '--batch', '2',
      '--train-count', '4', '--test-count', '2', '--out', join(dir, 'cls2'), '--quiet'])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'cls2', 'classifier.json'), 'utf8')).test.n).toBe(2);

    const aug = join(dir, 'aug');
    expect((await run(['augment', '--ckpt', join(att, 'checkpoint.safetensors'), '--data', celeb, '--split', 'all', '--count', '2', '--out', aug])).code).toBe(0);
    const lines = readFileSync(join(aug, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.source, l.variant, l.value === null ? null : typeof l.value])).toEqual([
      ['000001.png', 'original', 'number'], ['000001.png', 'added', 'number'], ['000001.png', 'removed', 'number'],
      ['000002.png', 'original', 'number'], ['000002.png', 'added', 'number'], ['000002.png', 'removed', 'number'],
    ]);
    expect(lines.filter((l) => l.variant !== 'original').map((l) => l.value)).toEqual([1, 0, 1, 0]);
    expect(lines.every((l) => l.attribute === 'Eyeglasses' && existsSync(l.path))).toBe(true);

    // Plain files (any size; two share a stem).
    const img = { width: 30, height: 20, channels: 3 as const, data: new Uint8Array(30 * 20 * 3).map((_, i) => (i * 11) % 256) };
    const f1 = join(dir, 'face.png');
    const sub = join(dir, 'sub');
    writeFileSync(f1, encodePng(img));
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    writeFileSync(join(sub, 'face.png'), encodePng(img));
    const aug2 = join(dir, 'aug2');
    expect((await run(['augment', '--ckpt', join(noatt, 'checkpoint.safetensors'), '--out', aug2, f1, join(sub, 'face.png')])).code).toBe(0);
    const l2 = readFileSync(join(aug2, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(l2.map((l) => l.path.slice(aug2.length + 1))).toEqual([
      'face_original.png', 'face_added.png', 'face_removed.png', 'face_2_original.png', 'face_2_added.png', 'face_2_removed.png',
    ]);
    expect(l2[0].value).toBeNull();
    const out = decodePng(readFileSync(join(aug2, 'face_added.png')));
    expect([out.width, out.height]).toEqual([16, 16]);
  }, 300_000); // first use compiles every SaGAN kernel (slow on lavapipe)

  it('reports usage errors', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main(['eval', '--classifier', 'c.safetensors'])).toBe(2);
      expect(await main(['eval', '--ckpt', 'a.safetensors'])).toBe(2);
      expect(await main(['eval', '--ckpt', join(dir, 'missing.safetensors'), '--classifier', 'c.safetensors'])).toBe(2);
      expect(await main(['eval', '--ckpt', join(dir, 'att', 'checkpoint.safetensors'), '--classifier', join(dir, 'att', 'checkpoint.safetensors')])).toBe(1);
      expect(await main(['train-classifier', '--size', '24'])).toBe(2);
      expect(await main(['train-classifier', '--attr', 'Wings'])).toBe(2);
      expect(await main(['augment', '--ckpt', 'x.safetensors'])).toBe(2);
      expect(await main(['augment', '--data', 'd', 'a.png'])).toBe(2);
      expect(await main(['eval', '--rank', 'best'])).toBe(2);
    } finally {
      quiet.mockRestore();
    }
  });
});
