/**
 * @file Shipped models: names and where their files are; `sagan export` writes a generator-only checkpoint
 * that `edit` and the shipped-models grid use; `edit --model` names the shipped models when it cannot
 * find one. Every shipped file in models/ loads and edits (what `npm start` and the web page rely on).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { destroyDevice, parseSafetensors } from '../../src/index.ts';
import { main } from '../../src/sagan/cli/main.ts';
import { SHIPPED_MODELS, shippedModel, shippedModelUrl } from '../../src/sagan/models.ts';
import { shippedEditsGrid } from '../../src/sagan/showcase.ts';
import { readCheckpoint } from '../../src/sagan/checkpoint.ts';
import { decodePng, encodePng } from '../../src/engine/io/png.ts';

const dir = mkdtempSync(join(tmpdir(), 'sagan-models-'));
afterAll(() => destroyDevice());

describe('shipped models', () => {
  it('are found by name or attribute, in models/ at the package root', () => {
    expect(shippedModel('eyeglasses').attribute).toBe('Eyeglasses');
    expect(shippedModel('No_Beard').name).toBe('no-beard');
    expect(() => shippedModel('wings')).toThrow(/no shipped model 'wings'.*eyeglasses, smiling, mouth-slightly-open, no-beard/);
    const url = shippedModelUrl(shippedModel('smiling'));
    expect(fileURLToPath(url)).toBe(fileURLToPath(new URL('../../models/smiling.safetensors', import.meta.url)));
  });

  it('export writes G only; edit and the shipped-models grid use it', async () => {
    const run = join(dir, 'run');
    expect(await main(['train', '--size', '32', '--width', '2', '--res', '0', '--batch', '2', '--steps', '1', '--n-critic', '1',
      '--data-count', '8', '--out', run, '--quiet'])).toBe(0);
    const full = readFileSync(join(run, 'checkpoint.safetensors'));
    const small = join(dir, 'g.safetensors');
    expect(await main(['export', '--ckpt', join(run, 'checkpoint.safetensors'), '--out', small])).toBe(0);
    const bytes = new Uint8Array(readFileSync(small));
    const names = Object.keys(parseSafetensors(bytes).tensors);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((k) => k.startsWith('G.'))).toBe(true);
    expect(bytes.length).toBeLessThan(full.length / 2);
    const ck = readCheckpoint(bytes);
    expect(ck.meta.step).toBe(1);
    expect(ck.meta.config.attribute).toBe('Eyeglasses');

    const img = join(dir, 'x.png');
    writeFileSync(img, encodePng({ width: 32, height: 32, channels: 3, data: new Uint8Array(32 * 32 * 3).fill(128) }));
    expect(await main(['edit', '--ckpt', small, '--out', join(dir, 'e'), img])).toBe(0);
    expect(existsSync(join(dir, 'e', 'x_edited.png'))).toBe(true);

    // Two models (here the same one twice): rows input / added / removed / mask each, 8 faces, 32² cells ×3.
    const grid = await shippedEditsGrid([{ bytes, source: small }, { bytes, source: small }]);
    expect([grid.width, grid.height]).toEqual([2 + 8 * 98, 2 + 8 * 98]);
  }, 300_000);

  it('edit --model: exactly one of --ckpt and --model; an unknown name lists the shipped ones', async () => {
    expect(await main(['edit', 'a.png'])).toBe(2);
    expect(await main(['edit', '--ckpt', 'a.safetensors', '--model', 'eyeglasses', 'a.png'])).toBe(2);
    expect(await main(['edit', '--model', 'wings', 'a.png'])).toBe(2);
    expect(await main(['export', '--ckpt', join(dir, 'missing.safetensors'), '--out', join(dir, 'o.safetensors')])).toBe(2);
  });

  const shipped = SHIPPED_MODELS.filter((m) => existsSync(fileURLToPath(shippedModelUrl(m))));
  it.runIf(shipped.length > 0)(`every file in models/ (${shipped.map((m) => m.name).join(', ') || 'none'}) is a small G-only checkpoint of its attribute that edits`, async () => {
    for (const m of shipped) {
      const path = fileURLToPath(shippedModelUrl(m));
      const bytes = new Uint8Array(readFileSync(path));
      expect(bytes.length).toBeLessThan(8.5e6);
      const ck = readCheckpoint(bytes, path);
      expect(ck.meta.config.attribute).toBe(m.attribute);
      expect(Object.keys(ck.parts.D)).toHaveLength(0);
      const out = join(dir, `edit-${m.name}`);
      const img = join(dir, 'face.png');
      writeFileSync(img, encodePng({ width: 40, height: 40, channels: 3, data: new Uint8Array(40 * 40 * 3).map((_, i) => i % 251) }));
      expect(await main(['edit', '--model', m.name, '--out', out, img])).toBe(0);
      expect(decodePng(readFileSync(join(out, 'face_edited.png'))).width).toBe(ck.meta.config.model.size);
    }
  }, 300_000);
});
