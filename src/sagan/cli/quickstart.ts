/**
 * @file `sagan quickstart` — what `npm start` runs: first shows every shipped model (models/) editing
 * held-out faces (one grid, seconds), then trains a small SaGAN on synthetic faces on whatever GPU (or
 * CPU Vulkan) is there, edits held-out faces both ways and writes a grid (rows: input, +attribute,
 * −attribute, mask) next to the checkpoint, and prints their paths.
 */
import { init, encodePng, tensorGrid } from '../../engine/index.ts';
import { writeFile, mkdir } from '../data/fs.ts';
import { SHIPPED_MODELS } from '../models.ts';
import { shippedEditsGrid } from '../showcase.ts';
import { readShippedModel } from './export.ts';
import type { SaganAttribute } from '../data/attrs.ts';
import { syntheticSource, prefetching } from '../batches.ts';
import { DEFAULT_TRAIN, SYNTHETIC_SET, RANGES, bounds, type TrainConfig } from '../config.ts';
import { edit } from '../edit.ts';
import { runTraining } from './train.ts';
import { parseArgs, type Flags } from './args.ts';

export const QUICKSTART_FLAGS = {
  attr: { type: 'string', default: 'Eyeglasses', choices: ['Eyeglasses', 'Smiling', 'Mouth_Slightly_Open', 'No_Beard'], help: 'attribute to learn' },
  steps: { type: 'int', default: 300, ...bounds(RANGES.steps), help: 'iterations' },
  lr: { type: 'number', default: 1e-3, ...bounds(RANGES.lr), help: 'learning rate of G and D (the paper: 2e-4; higher learns the edit within the short run)' },
  size: { type: 'int', default: 32, ...bounds(RANGES.size), check: (v) => (Number.isInteger(Math.log2(v)) ? null : 'must be a power of two'), help: 'image size' },
  width: { type: 'int', default: 8, ...bounds(RANGES.width), help: 'base width' },
  res: { type: 'int', default: 1, ...bounds(RANGES.nRes), help: 'residual blocks' },
  batch: { type: 'int', default: 8, ...bounds(RANGES.batchSize), help: 'batch size' },
  'd-warmup': { type: 'int', default: 300, ...bounds(RANGES.dWarmup), help: 'critic warm-up steps (attribute loss only) before training' },
  'no-shipped': { type: 'boolean', default: false, help: 'skip the grid of the shipped models' },
  out: { type: 'string', default: 'runs/quickstart', help: 'output folder (a run already there is replaced)' },
  quiet: { type: 'boolean', default: false, help: 'no progress bar' },
} satisfies Flags;

export async function quickstartCommand(argv: string[]): Promise<void> {
  const a = parseArgs('quickstart', argv, QUICKSTART_FLAGS);
  const info = await init();
  if (!a['no-shipped']) await showShipped(a.out);
  const attribute = a.attr as SaganAttribute;
  const S = a.size, dataSeed = SYNTHETIC_SET.seed, trainCount = SYNTHETIC_SET.count;
  const config: TrainConfig = {
    ...DEFAULT_TRAIN, attribute, data: 'synthetic', dataSeed, dataCount: trainCount,
    model: { size: S, width: a.width, nRes: a.res, attention: true },
    batchSize: a.batch, steps: a.steps, lrG: a.lr, lrD: a.lr, dWarmup: a['d-warmup'], seed: 1, logEvery: 10, sampleEvery: 50, checkpointEvery: 100,
  };
  const train = syntheticSource({ attribute, size: S, length: trainCount, batchSize: a.batch, dataSeed, orderSeed: 1 });
  const test = syntheticSource({ attribute, size: S, length: 16, batchSize: 16, dataSeed, orderSeed: 0, offset: trainCount });
  const held = await test.batch(0);
  const sample = { ...held, images: held.images.slice(0, 8 * 3 * S * S), labels: held.labels.slice(0, 8), n: 8 };
  const trainer = await runTraining({ config, data: prefetching(train), heldOut: sample, out: a.out },
    { force: true, quiet: a.quiet, adapter: info.adapter.description || info.adapter.vendor });

  const plus = await edit(trainer.G, held.images, held.n, 1);
  const minus = await edit(trainer.G, held.images, held.n, 0);
  const grid = tensorGrid([
    { data: held.images, shape: [held.n, 3, S, S] },
    { data: plus.edited, shape: [held.n, 3, S, S] },
    { data: minus.edited, shape: [held.n, 3, S, S] },
    { data: plus.mask, shape: [held.n, 1, S, S], range: [0, 1] },
  ], { transpose: true, scale: Math.max(1, Math.round(96 / S)) });
  const gridPath = `${a.out}/edits.png`;
  await writeFile(gridPath, encodePng(grid));
  console.log(`\nheld-out edits (rows: input, +${attribute}, −${attribute}, mask): ${gridPath}`);
  console.log(`checkpoint: ${a.out}/checkpoint.safetensors   log: ${a.out}/log.jsonl   samples: ${a.out}/samples/`);
  console.log(`edit your own images: sagan edit --ckpt ${a.out}/checkpoint.safetensors --target 1 photo.jpg`);
}

/** Writes OUT/shipped-edits.png: every shipped model editing held-out faces (rows per model: input, +, −, mask). */
async function showShipped(out: string): Promise<void> {
  const t0 = performance.now();
  const found: { bytes: Uint8Array; source: string }[] = [];
  const names: string[] = [];
  for (const m of SHIPPED_MODELS) {
    try {
      const { bytes, path } = await readShippedModel(m.name);
      found.push({ bytes, source: path });
      names.push(m.attribute);
    } catch {
      // not shipped (yet): the grid shows the others
    }
  }
  if (!found.length) {
    console.log('no shipped models found in models/: skipping their grid');
    return;
  }
  await mkdir(out);
  const path = `${out}/shipped-edits.png`;
  await writeFile(path, encodePng(await shippedEditsGrid(found)));
  console.log(`shipped models (${names.join(', ')}) editing held-out faces — rows per model: input, added, removed, mask: ${path} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
