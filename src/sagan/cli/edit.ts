/**
 * @file `sagan edit`: applies a trained generator to images. For each input writes
 * NAME_edited.png and NAME_mask.png (and NAME_input.png, the cropped and resized input) to --out.
 * Inputs that share a file stem (a/x.png, b/x.jpg) get NAME, NAME-2, … so none overwrites another.
 */
import { init, decodeImageAsync, encodePng, tensorToImage } from '../../engine/index.ts';
import { readFile, writeFile, mkdir } from '../data/fs.ts';
import { edit, generatorFromCheckpoint, imagesToInput } from '../edit.ts';
import { parseArgs, UsageError, type Flags } from './args.ts';
import { fileStem } from '../eval/augment.ts';
import { SHIPPED_MODELS } from '../models.ts';
import { readShippedModel } from './export.ts';

export const EDIT_FLAGS = {
  ckpt: { type: 'string', default: '', help: 'checkpoint written by train (checkpoint.safetensors) or export' },
  model: { type: 'string', default: '', help: `a shipped model instead of --ckpt: ${SHIPPED_MODELS.map((m) => m.name).join(', ')}` },
  target: { type: 'string', default: '1', choices: ['0', '1'], help: 'attribute value to edit towards: 1 adds it, 0 removes it' },
  out: { type: 'string', default: 'edits', help: 'output folder' },
} satisfies Flags;

export async function editCommand(argv: string[]): Promise<void> {
  const a = parseArgs('edit', argv, EDIT_FLAGS);
  if (!a.ckpt === !a.model) throw new UsageError(`edit: give --ckpt (a checkpoint.safetensors written by 'sagan train') or --model (a shipped model: ${SHIPPED_MODELS.map((m) => m.name).join(', ')}), not both`);
  if (!a._.length) throw new UsageError('edit: give one or more input images (PNG or JPEG) after the options');
  let bytes: Uint8Array, source = a.ckpt;
  if (a.model) {
    const m = await readShippedModel(a.model).catch((e) => {
      throw new UsageError(`edit: ${(e as Error).message}`);
    });
    bytes = m.bytes;
    source = m.path;
  } else {
    try {
      bytes = await readFile(a.ckpt);
    } catch (e) {
      throw new UsageError(`edit: cannot read checkpoint ${a.ckpt}: ${(e as Error).message}`);
    }
  }
  await init();
  const { G, model, data, attribute } = generatorFromCheckpoint(bytes, source);
  const imgs = [];
  for (const p of a._) {
    try {
      imgs.push(await decodeImageAsync(await readFile(p)));
    } catch (e) {
      throw new UsageError(`edit: cannot read image ${p}: ${(e as Error).message}`);
    }
  }
  const S = model.size, n = imgs.length;
  const x = imagesToInput(imgs, S, data);
  const { edited, mask } = await edit(G, x, n, Number(a.target));
  await mkdir(a.out);
  const names = uniqueNames(a._.map(fileStem));
  const written: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = names[i];
    const put = async (suffix: string, arr: Float32Array, c: number, range: [number, number]) => {
      const path = `${a.out}/${name}_${suffix}.png`;
      const img = tensorToImage(arr, c, S, S, i * c * S * S, range);
      await writeFile(path, encodePng(img));
      written.push(path);
    };
    await put('input', x, 3, [-1, 1]);
    await put('edited', edited, 3, [-1, 1]);
    await put('mask', mask, 1, [0, 1]);
  }
  console.log(`${Number(a.target) ? 'added' : 'removed'} ${attribute} (${S}², ${data}) on ${n} image(s):\n${written.join('\n')}`);
}

/** Stems made unique in input order: the second 'x' becomes 'x-2' (skipping names already taken). */
export function uniqueNames(stems: string[]): string[] {
  const taken = new Set<string>();
  return stems.map((s) => {
    let name = s;
    for (let k = 2; taken.has(name); k++) name = `${s}-${k}`;
    taken.add(name);
    return name;
  });
}
