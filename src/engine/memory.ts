/**
 * @file GPU memory: a size-bucketed buffer pool, reference-counted storages (views such as reshape
 * share one), scopes (`tidy`) that release every tensor a block made except what it returns, and
 * `memory()` for the numbers. Buffers go back to the pool, not to the driver: a training step
 * allocates the same sizes every time, so after the first step allocation is free.
 */
import { gpuDevice } from './device.ts';

/** Anything a scope can release: tensors, in practice. */
export interface Trackable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Bytes this object keeps alive (its storage's share). */
  readonly bytes: number;
}

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * Bucket sizes: multiples of 256 B up to 4 KiB, then 2^k and 1.5·2^k — at most 33 % slack, and
 * few distinct sizes so that buffers are reused across ops of similar size.
 */
function bucketBytes(bytes: number): number {
  const b = Math.max(bytes, 4);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const p = 2 ** Math.floor(Math.log2(b));
  if (b <= p) return p;
  if (b <= 1.5 * p) return 1.5 * p;
  return 2 * p;
}

class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private device: GPUDevice | null = null;
  pooledBytes = 0;
  allocatedBytes = 0;

  acquire(bytes: number): GPUBuffer {
    const device = gpuDevice();
    if (device !== this.device) this.reset(device); // a new device: old buffers belong to the dead one
    const size = bucketBytes(bytes);
    const list = this.free.get(size);
    const buf = list?.pop();
    if (buf) {
      this.pooledBytes -= size;
      return buf;
    }
    const maxSize = device.limits.maxStorageBufferBindingSize;
    if (size > maxSize) {
      throw new Error(`memory: a tensor of ${bytes} bytes exceeds this device's maxStorageBufferBindingSize ` +
        `(${maxSize}). Fix: use a smaller batch or image size.`);
    }
    this.allocatedBytes += size;
    return device.createBuffer({ size, usage: USAGE() });
  }

  release(buf: GPUBuffer): void {
    if (this.device === null) return;
    const list = this.free.get(buf.size) ?? [];
    list.push(buf);
    this.free.set(buf.size, list);
    this.pooledBytes += buf.size;
  }

  /** Frees pooled buffers (after the queue has submitted everything that might use them). */
  drain(): GPUBuffer[] {
    const out = [...this.free.values()].flat();
    this.free.clear();
    this.allocatedBytes -= this.pooledBytes;
    this.pooledBytes = 0;
    return out;
  }

  private reset(device: GPUDevice): void {
    this.free.clear();
    this.pooledBytes = 0;
    this.allocatedBytes = 0;
    this.device = device;
  }
}

export const pool = new BufferPool();

/** A GPU buffer shared by a tensor and its views; back to the pool when the last one lets go. */
export class Storage {
  refs = 1;
  /** Counts in-place writes (see `markWritten`): what was derived from older contents is stale. */
  version = 0;
  /** Storages computed from this one's contents (packed conv weights), by key; released with it. */
  private derived: Map<string, { version: number; storage: Storage }> | null = null;
  constructor(public buffer: GPUBuffer, public readonly bytes: number) {
    stats.liveBytes += bytes;
  }
  static alloc(bytes: number): Storage {
    return new Storage(pool.acquire(bytes), bytes);
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) {
      stats.liveBytes -= this.bytes;
      pool.release(this.buffer);
      for (const d of this.derived?.values() ?? []) d.storage.release();
      this.derived = null;
    }
  }
  /** Whether the storage derived under `key` exists and is up to date (derive would not refill it). */
  isDerived(key: string): boolean {
    const d = this.derived?.get(key);
    return d !== undefined && d.version === this.version;
  }
  /**
   * A storage of `bytes` derived from this one's contents: `fill` writes it (records GPU work) the first
   * time and again after every in-place write of this storage; otherwise the cached one is returned.
   */
  derive(key: string, bytes: number, fill: (out: Storage) => void): Storage {
    this.derived ??= new Map();
    let d = this.derived.get(key);
    if (!d) {
      d = { version: -1, storage: Storage.alloc(bytes) };
      this.derived.set(key, d);
    }
    if (d.version !== this.version) {
      fill(d.storage);
      d.version = this.version;
    }
    return d.storage;
  }
}

/**
 * Every write into an existing tensor's buffer (an optimiser step, loadStateDict, a user kernel) must
 * call this, so that values derived from the old contents (packed conv weights) are recomputed.
 */
export function markWritten(t: { readonly storage: Storage }): void {
  t.storage.version++;
}

const stats = { liveTensors: 0, liveBytes: 0 };
export function countTensor(delta: 1 | -1): void {
  stats.liveTensors += delta;
}

export interface MemoryInfo {
  /** Tensors not yet disposed. */
  liveTensors: number;
  /** Bytes held by live tensors (views count once). */
  liveBytes: number;
  /** Bytes waiting in the pool for reuse. */
  pooledBytes: number;
  /** All bytes allocated from the driver (live + pooled + internal). */
  allocatedBytes: number;
}

export function memory(): MemoryInfo {
  return { ...stats, pooledBytes: pool.pooledBytes, allocatedBytes: pool.allocatedBytes };
}

// ---- scopes --------------------------------------------------------------------------------------

const scopes: Set<Trackable>[] = [];

/** Called by every tensor constructor: the innermost scope owns it. */
export function track(t: Trackable): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Takes `t` out of every open scope: it outlives them (parameters, optimiser state, `.grad`). */
export function keep<T extends Trackable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Collects Trackables in a returned value (a tensor, arrays, plain objects), to survive the scope. */
function collect(v: unknown, out: Set<Trackable>, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if ('dispose' in v && 'isDisposed' in v) {
    out.add(v as Trackable);
    return;
  }
  const vals = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : Object.values(v);
  for (const x of vals) collect(x, out, seen);
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those in its result (which move to the
 * enclosing scope). Works with async functions too: the scope closes when the promise settles.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Trackable>();
  scopes.push(scope);
  const close = (result: unknown) => {
    const idx = scopes.lastIndexOf(scope);
    if (idx !== scopes.length - 1) throw new Error('tidy: scopes closed out of order (an async tidy overlapped another). Fix: await each async tidy before starting the next.');
    scopes.pop();
    const survivors = new Set<Trackable>();
    collect(result, survivors);
    for (const t of scope) if (!survivors.has(t) && !t.isDisposed) t.dispose();
    const parent = scopes[scopes.length - 1];
    if (parent) for (const t of survivors) if (scope.has(t)) parent.add(t);
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    close(undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => (close(r), r),
      (e) => {
        close(undefined);
        throw e;
      },
    ) as T;
  }
  close(result);
  return result;
}
