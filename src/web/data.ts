/**
 * @file Training data for the web app: synthetic faces rendered in the page (the CLI's defaults, so a
 * run started here and resumed by `sagan train --resume` sees the same stream), or a CelebA-layout
 * folder the user picked (read straight from its File objects, decoded by the browser). Every source
 * yields the main thread after each batch so the page stays responsive while training.
 */
import { syntheticSource, celebaSource, prefetching, type Batch, type BatchSource } from '../sagan/batches.ts';
import { openCelebA, parseAttrList, ATTR_FILE, type ReadFile } from '../sagan/data/celeba.ts';
import { SAGAN_ATTRIBUTES, type SaganAttribute } from '../sagan/data/attrs.ts';
import { decodeImageAsync } from '../engine/io/image.ts';
import { fileBytes, nextTask } from './dom.ts';

/** `sagan train`'s --data-seed and --data-count defaults. */
export const SYNTH_SEED = 2018, SYNTH_COUNT = 4000;
/** Rows of the live sample grid. */
const HELD_OUT = 4;

export interface TrainingData {
  data: BatchSource;
  heldOut: Batch;
}

/** A picked CelebA-layout folder: its list file's attributes and a reader over the picked files. */
export interface PickedFolder {
  /** Folder path (as the browser reports it) holding list_attr_celeba.txt. */
  root: string;
  attributes: string[];
  images: number;
  readFile: ReadFile;
}

/** Finds list_attr_celeba.txt among the files of a picked folder (at any depth) and parses its header. */
export async function pickFolder(files: FileList | File[]): Promise<PickedFolder> {
  const byPath = new Map<string, File>();
  for (const f of Array.from(files)) byPath.set(f.webkitRelativePath || f.name, f);
  const list = [...byPath.keys()].filter((p) => p === ATTR_FILE || p.endsWith(`/${ATTR_FILE}`)).sort((a, b) => a.length - b.length)[0];
  if (!list) {
    throw new Error(`the picked folder (${byPath.size} files) has no ${ATTR_FILE}. Pick the CelebA folder that holds ${ATTR_FILE} and img_align_celeba/.`);
  }
  const root = list.slice(0, -ATTR_FILE.length).replace(/\/$/, '');
  const readFile: ReadFile = async (path) => {
    const f = byPath.get(path);
    if (!f) throw new Error(`${path} is not in the picked folder`);
    return fileBytes(f);
  };
  const parsed = parseAttrList(new TextDecoder().decode(await readFile(list)), list);
  return { root, attributes: parsed.attributes, images: parsed.names.length, readFile };
}

/** Wraps a source so that each batch is handed over in a fresh task: input and painting run in between. */
function yielding(src: BatchSource): BatchSource {
  return {
    size: src.size,
    length: src.length,
    async batch(k) {
      const b = await src.batch(k);
      await nextTask();
      return b;
    },
  };
}

/** Synthetic or CelebA data for a run; `folder` is required for CelebA. */
export async function trainingData(kind: 'synthetic' | 'celeba', folder: PickedFolder | null, attribute: string, size: number, batchSize: number, seed: number): Promise<TrainingData> {
  if (kind === 'synthetic') {
    if (!SAGAN_ATTRIBUTES.includes(attribute as SaganAttribute)) {
      throw new Error(`synthetic faces render ${SAGAN_ATTRIBUTES.join(', ')}; '${attribute}' is not one of them`);
    }
    const common = { attribute: attribute as SaganAttribute, size, dataSeed: SYNTH_SEED };
    const train = syntheticSource({ ...common, length: SYNTH_COUNT, batchSize, orderSeed: seed });
    const test = syntheticSource({ ...common, length: HELD_OUT, batchSize: HELD_OUT, orderSeed: 0, offset: SYNTH_COUNT });
    return { data: yielding(prefetching(train)), heldOut: await test.batch(0) };
  }
  if (!folder) throw new Error('pick a CelebA folder first (or choose synthetic faces)');
  const open = (split: 'train' | 'test') => openCelebA({ root: folder.root, attribute, size, readFile: folder.readFile, split, decode: decodeImageAsync });
  const train = await open('train');
  if (train.length < batchSize) throw new Error(`${folder.root}: ${train.length} training images do not fill one batch of ${batchSize}`);
  // The count split (as `sagan train`): images past the first 200 000 are the test split; small folders have none.
  const test = train.length < folder.images ? await open('test') : train;
  const heldOut = await celebaSource(test, Math.min(HELD_OUT, test.length), 0).batch(0);
  return { data: yielding(prefetching(celebaSource(train, batchSize, seed))), heldOut };
}
