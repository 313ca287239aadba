/**
 * @file Tensor: an f32, contiguous, row-major array on the GPU (NCHW for images). A tensor owns a
 * reference to a Storage (views such as reshape share it), and, when it was made by a differentiable
 * op while gradients were recorded, the tape node that made it. Ops live in `ops/`; the methods that
 * read naturally as `x.add(y)` are attached in `ops/methods.ts`.
 */
import { Storage, countTensor, track } from './memory.ts';
import { readBuffers } from './queue.ts';
import type { TapeNode } from './tape.ts';

let nextId = 1;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(op: string, shape: readonly number[]): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
  }
  return [...shape];
}

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  /** The tape node that produced this tensor (null for leaves and for tensors made without grad). */
  node: TapeNode | null = null;
  /** Leaves with requiresGrad get `.grad` from `backward()`. */
  requiresGrad = false;
  grad: Tensor | null = null;
  private _storage: Storage | null;

  constructor(storage: Storage, shape: readonly number[]) {
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    countTensor(1);
    track(this);
  }

  /** A new tensor with fresh (uninitialised) storage. */
  static empty(shape: readonly number[]): Tensor {
    return new Tensor(Storage.alloc(sizeOf(shape) * 4), shape);
  }

  get storage(): Storage {
    if (!this._storage) throw new Error(`tensor #${this.id} [${this.shape.join(', ')}] was disposed; it cannot be used any more. Fix: keep() it or return it from tidy().`);
    return this._storage;
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this._storage === null;
  }

  get bytes(): number {
    return this._storage ? this.size * 4 : 0;
  }

  /** The buffer range to bind in a kernel. */
  get ref(): { buffer: GPUBuffer; offset: number; bytes: number } {
    return { buffer: this.buffer, offset: 0, bytes: this.size * 4 };
  }

  /** A tensor sharing this one's storage with another shape of the same size (no copy, no tape). */
  view(shape: readonly number[]): Tensor {
    return new Tensor(this.storage.retain(), shape);
  }

  dispose(): void {
    if (!this._storage) return;
    this._storage.release();
    this._storage = null;
    countTensor(-1);
  }

  /** Reads the values back (one map of one staging buffer). */
  async data(): Promise<Float32Array> {
    const [ab] = await readBuffers([this.ref]);
    return new Float32Array(ab);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements [${this.shape.join(', ')}]; item() needs exactly one`);
    return (await this.data())[0];
  }

  /** Nested arrays, like PyTorch's `tolist()`. */
  async array(): Promise<unknown> {
    const d = await this.data();
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return d[off];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor#${this.id}[${this.shape.join(', ')}]${this.requiresGrad ? ' requiresGrad' : ''}${this.node ? ` (${this.node.prim})` : ''}`;
  }
}

/** Reads many tensors back with a single map (use this for logging several scalars per step). */
export async function readAll(tensors: Tensor[]): Promise<Float32Array[]> {
  const abs = await readBuffers(tensors.map((t) => t.ref));
  return abs.map((ab) => new Float32Array(ab));
}
