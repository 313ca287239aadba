/**
 * @file Training data for the web app: synthetic faces rendered in the page (the CLI's defaults, so a
 * run started here and resumed by `sagan train --resume` sees the same stream), or a CelebA-layout
 * folder the user picked (read straight from its File objects, decoded by the browser). Every source
 * yields the main thread after each batch so the page stays responsive while training.
 */
import type { Batch, BatchSource } from '../sagan/batches.ts';
import { parseAttrList, ATTR_FILE, type ReadFile } from '../sagan/data/celeba.ts';
import { trainingData as buildTrainingData } from '../sagan/training-data.ts';
import { SYNTHETIC_SET, type TrainConfig } from '../sagan/config.ts';
import { decodeImageAsync } from '../engine/io/image.ts';
import { fileBytes, nextTask } from './dom.ts';

/** `sagan train`'s --data-seed and --data-count defaults (config.ts). */
export const SYNTH_SEED = SYNTHETIC_SET.seed, SYNTH_COUNT = SYNTHETIC_SET.count;
/** Rows of the live sample grid. */
const HELD_OUT = 4;

export interface TrainingData {
  data: BatchSource;
  heldOut: Batch;
  /** Fallbacks taken (e.g. no held-out split): shown to the user. */
  notes: string[];
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

/** Synthetic or CelebA data for a run (the CLI's trainingData, so both split and order alike); `folder` is required for CelebA. */
export async function trainingData(kind: 'synthetic' | 'celeba', folder: PickedFolder | null, config: TrainConfig): Promise<TrainingData> {
  if (kind === 'celeba' && !folder) throw new Error('pick a CelebA folder first (or choose synthetic faces)');
  const d = await buildTrainingData({
    ...config, size: config.model.size, heldOutRows: HELD_OUT,
    ...(kind === 'celeba' ? { data: folder!.root, readFile: folder!.readFile, decode: decodeImageAsync } : { data: 'synthetic' }),
  });
  return { data: yielding(d.data), heldOut: d.heldOut, notes: d.notes };
}
