/**
 * @file `sagan export`: writes a training checkpoint's generator alone (the same format, G.* only,
 * with the training config and step) — the small file that `edit`, `eval` and the web app need and
 * that the shipped models in models/ are. Also the CLI's reader of shipped models (`--model NAME`).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile, writeFileAtomic, mkdir } from '../data/fs.ts';
import { readCheckpoint, saveCheckpoint } from '../checkpoint.ts';
import { generatorFromCheckpoint } from '../edit.ts';
import { init } from '../../engine/index.ts';
import { shippedModel, shippedModelUrl } from '../models.ts';
import { parseArgs, UsageError, type Flags } from './args.ts';
import { readInput } from './classifier.ts';

export const EXPORT_FLAGS = {
  ckpt: { type: 'string', default: '', help: "checkpoint written by 'sagan train'" },
  out: { type: 'string', default: '', help: 'file to write (e.g. models/eyeglasses.safetensors)' },
} satisfies Flags;

export async function exportCommand(argv: string[]): Promise<void> {
  const a = parseArgs('export', argv, EXPORT_FLAGS);
  if (!a.ckpt || !a.out) throw new UsageError('export: --ckpt (a training checkpoint) and --out (the file to write) are required');
  const bytes = await readInput('export', 'checkpoint', a.ckpt);
  await init();
  const out = await generatorOnly(bytes, a.ckpt);
  await mkdir(dirname(a.out)); // `--out models/x.safetensors` in a fresh folder
  await writeFileAtomic(a.out, out);
  console.log(`wrote ${a.out} (${(out.length / 1e6).toFixed(2)} MB: the generator of ${a.ckpt})`);
}

/** The checkpoint's generator as a G-only checkpoint (config and step kept; RNG and data position as they were). */
export async function generatorOnly(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  const { meta } = readCheckpoint(bytes, source);
  const { G } = generatorFromCheckpoint(bytes, source);
  try {
    return await saveCheckpoint(G, null, null, null, meta);
  } finally {
    G.dispose();
  }
}

/** The bytes of shipped model `name`, or a usage error naming the shipped models (and a missing file's fix). */
export async function readShippedModel(name: string): Promise<{ bytes: Uint8Array; path: string }> {
  let path: string;
  try {
    path = fileURLToPath(shippedModelUrl(shippedModel(name)));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}`);
  }
  try {
    return { bytes: await readFile(path), path };
  } catch {
    const m = shippedModel(name);
    throw new UsageError(`the shipped model '${m.name}' is not in this copy (${path} is missing). models/README.md lists the models trained so far; ` +
      `train this one with 'bash scripts/train-shipped.sh ${m.attribute}' (or any run: 'sagan train --attr ${m.attribute}') and pass --ckpt.`);
  }
}
