/**
 * @file The safetensors format (huggingface/safetensors), byte for byte as its reference
 * implementation writes it:
 *
 *   [u64 little-endian N][N bytes of UTF-8 JSON header, padded with spaces to a multiple of 8][data]
 *
 * The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
 * relative to the start of the data), plus an optional "__metadata__" string→string map written first.
 * Tensors are laid out sorted by dtype alignment (largest first) and then by name, so with the 8-byte
 * header padding every tensor starts aligned to its element size.
 *
 * Reading validates everything before touching data: header length (≤ 100 MB and inside the file),
 * UTF-8 JSON, dtypes, shapes, and that the offsets tile the data exactly (no gap, no overlap, each
 * span equal to numel × element size, nothing left over). `parseSafetensors` is CPU-only (typed arrays);
 * `loadSafetensors` uploads f32 tensors to the GPU; `saveSafetensors` reads GPU tensors back with one
 * batched readback. File helpers write atomically.
 */
import { Tensor, readAll, sizeOf } from '../tensor.ts';
import { tensor } from '../ops/creation.ts';
import { readFileBytes, writeFileAtomic } from './files.ts';

/** Element types this module reads and writes (F8/F4/C64 exist in the format but are rejected). */
export type Dtype = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/** Raw element storage per dtype: F16 and BF16 keep their 16-bit patterns, BOOL is 0/1 bytes. */
export type HostData = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A tensor in CPU memory: what `parseSafetensors` returns and what `saveSafetensors` accepts beside GPU tensors. */
export interface HostTensor {
  dtype: Dtype;
  shape: number[];
  data: HostData;
}

type ArrayCtor = { new (buffer: ArrayBuffer): HostData; readonly name: string };

/** size in bytes; rank = position in the reference `Dtype` enum (increasing alignment), the writer's sort key. */
const DTYPES: Record<Dtype, { size: number; rank: number; array: ArrayCtor }> = {
  BOOL: { size: 1, rank: 0, array: Uint8Array },
  U8: { size: 1, rank: 1, array: Uint8Array },
  I8: { size: 1, rank: 2, array: Int8Array },
  I16: { size: 2, rank: 3, array: Int16Array },
  U16: { size: 2, rank: 4, array: Uint16Array },
  F16: { size: 2, rank: 5, array: Uint16Array },
  BF16: { size: 2, rank: 6, array: Uint16Array },
  I32: { size: 4, rank: 7, array: Int32Array },
  U32: { size: 4, rank: 8, array: Uint32Array },
  F32: { size: 4, rank: 9, array: Float32Array },
  F64: { size: 8, rank: 10, array: Float64Array },
  I64: { size: 8, rank: 11, array: BigInt64Array },
  U64: { size: 8, rank: 12, array: BigUint64Array },
};

/** The reference implementation's limit (MAX_HEADER_SIZE). */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

// Typed arrays use the platform's byte order and safetensors is little-endian: every platform with
// WebGPU is little-endian, but say so instead of silently reading garbage.
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('safetensors: this module needs a little-endian platform');

/** Thrown for malformed files; names the tensor and the problem. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const fail = (msg: string): never => {
  throw new SafetensorsError(`safetensors: ${msg}`);
};

function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.hasOwn(DTYPES, s);
}

// ---- reading ---------------------------------------------------------------------------------------

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, v: unknown): Entry {
  const where = `tensor '${name}'`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(`${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: off } = v as Record<string, unknown>;
  if (!isDtype(dtype)) {
    return fail(`${where}: unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return fail(`${where}: data_offsets ${JSON.stringify(off)} is not a pair of non-negative integers`);
  }
  const [begin, end] = off as number[];
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] are out of order (end before begin)`);
  const bytes = sizeOf(shape) * DTYPES[dtype].size;
  if (!Number.isSafeInteger(bytes)) fail(`${where}: shape [${shape.join(', ')}] is too large`);
  if (end - begin !== bytes) {
    fail(`${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${bytes}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Reads and checks the header; returns the entries sorted by offset, the metadata, and where the data starts. */
function readHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes: too short to hold the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo; // exact up to 2^53; anything with hi ≠ 0 is far past the limit anyway
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the 100 MB limit (corrupt file, or not safetensors)`);
  if (n > bytes.byteLength - 8) fail(`header length ${n} is longer than the file (${bytes.byteLength} bytes, ${bytes.byteLength - 8} after the length field)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('__metadata__ is not an object of strings');
      for (const [k, s] of Object.entries(v as object)) {
        if (typeof s !== 'string') fail(`__metadata__ value of '${k}' is ${JSON.stringify(s)}, not a string`);
      }
      metadata = v as Record<string, string>;
    } else {
      entries.push(parseEntry(name, v));
    }
  }
  // The offsets must tile [0, data length) exactly, in offset order (the header's key order is free).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLen = bytes.byteLength - 8 - n;
  let pos = 0;
  let prev: Entry | null = null;
  for (const e of entries) {
    if (e.begin > pos) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave a gap of ${e.begin - pos} bytes after ${prev ? `tensor '${prev.name}'` : 'the start of the data'}`);
    if (e.begin < pos) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap tensor '${prev!.name}' [${prev!.begin}, ${prev!.end}]`);
    if (e.end > dataLen) fail(`tensor '${e.name}': data is truncated: it needs bytes up to ${e.end} of the data section but the file holds only ${dataLen}`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLen) fail(`${dataLen - pos} bytes of data after the last tensor are not described by the header`);
  return { entries, metadata, dataStart: 8 + n };
}

/**
 * Parses safetensors bytes on the CPU (no GPU needed). Each tensor gets its own copy of its bytes as a
 * typed array of its dtype (F16/BF16 as raw 16-bit patterns). Throws SafetensorsError on a malformed file.
 */
export function parseSafetensors(input: Uint8Array | ArrayBuffer): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const { entries, metadata, dataStart } = readHeader(bytes);
  // Object.fromEntries defines own properties, so even a tensor named '__proto__' is just a key.
  const tensors = Object.fromEntries(entries.map((e): [string, HostTensor] => {
    // A copy starting at offset 0 of a fresh buffer, so it is aligned for any element type. Through
    // Uint8Array's own slice: a Node Buffer's slice() is a view into its (often shared, pooled) memory.
    const raw = Uint8Array.prototype.slice.call(bytes, dataStart + e.begin, dataStart + e.end).buffer;
    return [e.name, { dtype: e.dtype, shape: e.shape, data: new DTYPES[e.dtype].array(raw) }];
  }));
  return { tensors, metadata };
}

/** IEEE half → number. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24; // subnormal
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The values of a host tensor as f32 (the engine's only element type). */
export function toFloat32(t: HostTensor): Float32Array {
  const d = t.data;
  switch (t.dtype) {
    case 'F32':
      return d as Float32Array;
    case 'F16':
      return Float32Array.from(d as Uint16Array, halfToFloat);
    case 'BF16': {
      // bfloat16 is the top half of an f32.
      const u = new Uint32Array(d.length);
      (d as Uint16Array).forEach((v, i) => (u[i] = v << 16));
      return new Float32Array(u.buffer);
    }
    case 'I64':
    case 'U64':
      return Float32Array.from(d as BigInt64Array, (v) => Number(v));
    default:
      return Float32Array.from(d as Exclude<HostData, BigInt64Array | BigUint64Array>);
  }
}

/**
 * Parses safetensors bytes and uploads every tensor to the GPU as f32 (other dtypes converted). The
 * tensors belong to the current tidy scope, like any new tensor: keep() them or copy them into a
 * module with `loadStateDict` and dispose them.
 */
export function loadSafetensors(input: Uint8Array | ArrayBuffer): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { tensors: host, metadata } = parseSafetensors(input);
  const tensors = Object.fromEntries(Object.entries(host).map(([name, h]) => [name, tensor(toFloat32(h), h.shape)]));
  return { tensors, metadata };
}

// ---- writing ---------------------------------------------------------------------------------------

function checkHost(name: string, t: HostTensor): void {
  if (!isDtype(t.dtype)) fail(`tensor '${name}': unsupported dtype ${JSON.stringify(t.dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  const want = DTYPES[t.dtype].array;
  if (!(t.data instanceof want)) fail(`tensor '${name}': ${t.dtype} data must be a ${want.name}, got ${t.data?.constructor?.name}`);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}': invalid shape [${t.shape.join(', ')}]`);
  if (sizeOf(t.shape) !== t.data.length) fail(`tensor '${name}': ${t.data.length} values do not match shape [${t.shape.join(', ')}] (${sizeOf(t.shape)} elements)`);
}

/** Byte-wise comparison of UTF-8 encodings: the order of Rust's `String::cmp`, which the reference sorts by. */
function compareUtf8(a: string, b: string): number {
  const enc = new TextEncoder();
  const x = enc.encode(a), y = enc.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Serializes host tensors to safetensors bytes (CPU only), exactly as the reference implementation does. */
export function serializeSafetensors(tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === METADATA_KEY) fail(`'${METADATA_KEY}' is reserved and cannot name a tensor`);
    checkHost(name, tensors[name]);
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`metadata value of '${k}' must be a string, got ${typeof v}`);
  }
  // Largest alignment first, then by name: every tensor then starts at a multiple of its element size.
  names.sort((a, b) => DTYPES[tensors[b].dtype].rank - DTYPES[tensors[a].dtype].rank || compareUtf8(a, b));
  const header: [string, unknown][] = metadata ? [[METADATA_KEY, metadata]] : [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const n = t.data.byteLength;
    header.push([name, { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] }]);
    offset += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header)));
  const pad = (8 - (json.length % 8)) % 8;
  const out = new Uint8Array(8 + json.length + pad + offset);
  const dv = new DataView(out.buffer);
  const n = json.length + pad;
  dv.setUint32(0, n % 2 ** 32, true);
  dv.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n); // spaces, as the reference pads
  let pos = 8 + n;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/**
 * Serializes GPU tensors (written as F32) and host tensors to safetensors bytes. GPU tensors are read
 * back with a single batched readback.
 */
export async function saveSafetensors(tensors: Record<string, Tensor | HostTensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const gpu = Object.entries(tensors).filter((e): e is [string, Tensor] => e[1] instanceof Tensor);
  const values = gpu.length ? await readAll(gpu.map(([, t]) => t)) : []; // host-only saves need no GPU
  const read = new Map(gpu.map(([name, t], i) => [name, { dtype: 'F32', shape: [...t.shape], data: values[i] } as HostTensor]));
  const host = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, read.get(name) ?? (t as HostTensor)]));
  return serializeSafetensors(host, metadata);
}

/** Writes a safetensors file atomically (Node / Deno). */
export async function saveSafetensorsFile(path: string, tensors: Record<string, Tensor | HostTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, await saveSafetensors(tensors, metadata));
}

/** Reads a safetensors file into GPU tensors (Node / Deno); errors name the file. */
export async function loadSafetensorsFile(path: string): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  const bytes = await readFileBytes(path);
  try {
    return loadSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
