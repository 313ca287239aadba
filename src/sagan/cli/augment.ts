/**
 * @file `sagan augment` (SaGAN §3.3, data augmentation): for each input image — files given after the
 * options, or a split of a CelebA-layout folder (--data) — writes the original, the attribute added and
 * the attribute removed as PNGs at the model's resolution into --out, and manifest.jsonl with one line
 * per written file: {source, variant, path, attribute, value}.
 */
import { init, decodeImageAsync } from '../../engine/index.ts';
import { writeFile, mkdir } from '../data/fs.ts';
import { generatorFromCheckpoint, imagesToInput } from '../edit.ts';
import { celebaSet, inBatches } from '../eval/data.ts';
import { augmentImages, manifestJsonl, type AugmentBatch } from '../eval/augment.ts';
import { parseArgs, UsageError, type Flags } from './args.ts';
import { readInput } from './classifier.ts';

export const AUGMENT_FLAGS = {
  ckpt: { type: 'string', default: '', help: "generator checkpoint written by 'sagan train'" },
  data: { type: 'string', default: '', help: 'a CelebA-layout folder to augment (instead of image files)' },
  split: { type: 'string', default: 'train', choices: ['train', 'test', 'all'], help: 'with --data: which split' },
  count: { type: 'int', default: 0, min: 0, help: 'with --data: the first N images of the split (0: all)' },
  'train-count': { type: 'int', default: 200000, min: 1, help: 'with --data: images in the train split (the rest is test), as train' },
  batch: { type: 'int', default: 16, min: 1, help: 'images per GPU batch' },
  out: { type: 'string', default: 'augmented', help: 'output folder' },
} satisfies Flags;

/** Image files in batches, decoded and cropped/resized as the checkpoint's training data was. */
async function* fileBatches(paths: string[], size: number, data: string, batchSize: number): AsyncGenerator<AugmentBatch> {
  for (let i = 0; i < paths.length; i += batchSize) {
    const sources = paths.slice(i, i + batchSize);
    const imgs = [];
    for (const p of sources) {
      const bytes = await readInput('augment', 'image', p);
      try {
        imgs.push(await decodeImageAsync(bytes));
      } catch (e) {
        throw new UsageError(`augment: cannot decode image ${p}: ${(e as Error).message}`);
      }
    }
    yield { sources, images: imagesToInput(imgs, size, data), labels: null, n: sources.length };
  }
}

export async function augmentCommand(argv: string[]): Promise<void> {
  const a = parseArgs('augment', argv, AUGMENT_FLAGS);
  if (!a.ckpt) throw new UsageError("augment: --ckpt is required (a checkpoint.safetensors written by 'sagan train')");
  if (!a.data && !a._.length) throw new UsageError('augment: give image files after the options, or --data DIR (a CelebA-layout folder)');
  if (a.data && a._.length) throw new UsageError('augment: give either image files or --data, not both');
  if (a.batch < 1) throw new UsageError('augment: --batch must be ≥ 1');
  const bytes = await readInput('augment', 'checkpoint', a.ckpt);
  await init();
  const { G, model, data, attribute } = generatorFromCheckpoint(bytes, a.ckpt);
  let batches: AsyncIterable<AugmentBatch>;
  if (a.data) {
    const set = await celebaSet(a.data, attribute, model.size, a.split as 'train' | 'test' | 'all', a.count, a['train-count']);
    batches = (async function* () {
      for await (const b of inBatches(set, a.batch)) yield { sources: b.names, images: b.images, labels: b.labels, n: b.n };
    })();
  } else {
    batches = fileBatches(a._, model.size, data, a.batch);
  }
  await mkdir(a.out);
  const manifest = await augmentImages(G, attribute, batches, a.out, writeFile);
  G.dispose();
  await writeFile(`${a.out}/manifest.jsonl`, manifestJsonl(manifest));
  console.log(`augmented ${manifest.length / 3} image(s) with ${attribute} added and removed (${model.size}²): ${manifest.length} PNGs in ${a.out}, manifest ${a.out}/manifest.jsonl`);
}
