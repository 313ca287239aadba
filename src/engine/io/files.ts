/**
 * @file File access for Node and Deno: whole-file reads and atomic writes (temp file in the same
 * directory, fsync, rename — a crash leaves the old file or the new one, never half of one).
 * `node:fs/promises` is imported lazily through a specifier the bundler cannot see, so a browser
 * bundle that never calls these functions never needs fs.
 */
type Fs = typeof import('node:fs/promises');

let fsModule: Promise<Fs> | null = null;

function fs(): Promise<Fs> {
  const spec = 'node:fs/promises'; // a variable: bundlers leave the import alone
  fsModule ??= (import(/* @vite-ignore */ spec) as Promise<Fs>).catch((e: Error) => {
    fsModule = null;
    throw new Error(`files: this runtime has no file system (node:fs/promises could not be loaded: ${e.message}). ` +
      'Fix: in a browser, work with bytes (e.g. saveSafetensors / loadSafetensors) instead of paths.');
  });
  return fsModule;
}

/** The whole file as bytes. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const f = await fs();
  const buf = await f.readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Writes `data` to `path` atomically: `path` is either untouched or fully replaced. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const f = await fs();
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  const tmp = `${path}.${pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const h = await f.open(tmp, 'w');
    try {
      await h.writeFile(data);
      await h.sync(); // the bytes are on disk before the rename makes them visible
    } finally {
      await h.close();
    }
    await f.rename(tmp, path);
  } catch (e) {
    await f.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
