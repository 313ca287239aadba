/**
 * @file The file-system access the data pipeline needs, for Node and Deno (both implement
 * `node:fs/promises`). Browser-facing modules (renderer, codecs, CelebA loader) never import this: the
 * loader takes a `readFile` function, and callers on Node/Deno pass `localFiles.readFile`.
 */

import * as fsp from 'node:fs/promises';

/** Whole file as bytes (a Uint8Array view, not a Node Buffer, so callers stay platform-neutral). */
export async function readFile(path: string): Promise<Uint8Array> {
  const b = await fsp.readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export async function writeFile(path: string, data: Uint8Array | string): Promise<void> {
  await fsp.writeFile(path, data);
}

/** Atomic writes (temp file, fsync, rename): the engine's one implementation. */
import { writeFileAtomic } from '../../engine/index.ts';
export { writeFileAtomic };

/** mkdir -p. */
export async function mkdir(path: string): Promise<void> {
  await fsp.mkdir(path, { recursive: true });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function rename(from: string, to: string): Promise<void> {
  await fsp.rename(from, to);
}

/** Everything above as one object, to pass where a file source / sink is injected. */
export const localFiles = { readFile, writeFile, writeFileAtomic, mkdir, exists, rename };
