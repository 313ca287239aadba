/**
 * @file Command batching. Every kernel launch is recorded into one open compute pass of one command
 * encoder; the batch is submitted when a readback needs it, when it holds FLUSH_AT dispatches, or on
 * `flush()`. Uniform parameters of a batch live in one arena buffer written once per submit.
 * Readbacks copy many tensors into one staging buffer and map it once: each map costs ~11 ms in Deno.
 */
import { gpuDevice, takeDeviceErrors } from './device.ts';
import { pool } from './memory.ts';
import { collectAfter } from './deno_gc.ts';
import { BatchTimer, countDispatch, isProfiling } from './profile.ts';

const FLUSH_AT = 192;
const SLOT = 256; // minUniformBufferOffsetAlignment is at most 256 on every adapter

interface Batch {
  device: GPUDevice;
  encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | null;
  dispatches: number;
  uniforms: Uint8Array<ArrayBuffer>; // CPU copy of this batch's uniform arena
  uniformUsed: number;
  arena: GPUBuffer;
  /** Buffers to destroy after this batch is submitted (staging, arena of an earlier size). */
  trash: GPUBuffer[];
  /** Per-dispatch timestamps while profiling (profile.ts), else null. */
  timer: BatchTimer | null;
}

let batch: Batch | null = null;
let arena: GPUBuffer | null = null;
let arenaDevice: GPUDevice | null = null;
const ARENA_BYTES = FLUSH_AT * 2 * SLOT;
/** Checks that run at the next sync point (shader compilation messages). */
const pendingChecks: Promise<string | null>[] = [];
export const counters = { dispatches: 0, submits: 0, readbacks: 0 };

function current(): Batch {
  const device = gpuDevice();
  if (batch && batch.device !== device) batch = null; // device was replaced
  if (!batch) {
    if (!arena || arenaDevice !== device) {
      arena = device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      arenaDevice = device;
    }
    batch = {
      device, encoder: device.createCommandEncoder(), pass: null, dispatches: 0,
      uniforms: new Uint8Array(ARENA_BYTES), uniformUsed: 0, arena, trash: [],
      timer: isProfiling() ? new BatchTimer(device, FLUSH_AT) : null,
    };
  }
  return batch;
}

/** Reserves uniform bytes for one dispatch; returns the arena buffer, offset and a view to fill. */
export function uniformSlot(bytes: number): { buffer: GPUBuffer; offset: number; view: DataView } {
  const need = Math.ceil(Math.max(bytes, 16) / SLOT) * SLOT;
  let b = current();
  if (b.uniformUsed + need > ARENA_BYTES) {
    submit();
    b = current();
  }
  const offset = b.uniformUsed;
  b.uniformUsed += need;
  return { buffer: b.arena, offset, view: new DataView(b.uniforms.buffer, offset, need) };
}

/** Records one dispatch, counted under `label` (profile.ts). */
export function dispatch(pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, grid: [number, number, number], label: string): void {
  const b = current();
  countDispatch(label);
  const stamps = b.timer?.next(label);
  if (stamps) {
    // Timed: a pass of its own, so its begin/end timestamps bracket this dispatch alone.
    b.pass?.end();
    b.pass = b.encoder.beginComputePass({ timestampWrites: stamps });
  }
  b.pass ??= b.encoder.beginComputePass();
  b.pass.setPipeline(pipeline);
  b.pass.setBindGroup(0, bindGroup);
  b.pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
  if (stamps) {
    b.pass.end();
    b.pass = null;
  }
  b.dispatches++;
  counters.dispatches++;
  if (b.dispatches >= FLUSH_AT) submit();
}

function encoderOutsidePass(): Batch {
  const b = current();
  if (b.pass) {
    b.pass.end();
    b.pass = null;
  }
  return b;
}

/** Uploads bytes into `dst` in stream order (a staging copy inside the encoder, so a pooled buffer
 *  still read by earlier recorded work is not overwritten early, as queue.writeBuffer would). */
export function upload(dst: GPUBuffer, dstOffset: number, data: ArrayBufferView): void {
  const bytes = data.byteLength;
  if (bytes === 0) return;
  const b = encoderOutsidePass();
  const padded = Math.ceil(bytes / 4) * 4;
  const staging = b.device.createBuffer({ size: padded, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
  new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, bytes));
  staging.unmap();
  b.encoder.copyBufferToBuffer(staging, 0, dst, dstOffset, padded);
  b.trash.push(staging);
}

/** Copies between buffers in stream order. */
export function copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
  if (bytes === 0) return;
  encoderOutsidePass().encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
}

/** Submits the recorded batch (no wait). */
export function submit(): void {
  if (!batch) return;
  const b = batch;
  batch = null;
  if (b.pass) b.pass.end();
  if (b.uniformUsed > 0) b.device.queue.writeBuffer(b.arena, 0, b.uniforms, 0, b.uniformUsed);
  const collectTimes = b.timer?.resolve(b.encoder);
  b.device.queue.submit([b.encoder.finish()]);
  collectTimes?.();
  counters.submits++;
  for (const t of b.trash) t.destroy();
  collectAfter(b.dispatches); // Deno only: frees the batch's bind groups (deno_gc.ts)
}

export function addPendingCheck(p: Promise<string | null>): void {
  pendingChecks.push(p);
}

/** Throws what the device or the shader compiler reported since the last sync point. */
async function throwPendingErrors(): Promise<void> {
  const msgs = (await Promise.all(pendingChecks.splice(0))).filter((m): m is string => m !== null);
  msgs.push(...takeDeviceErrors());
  if (msgs.length) throw new Error(`GPU error: ${msgs.join('\n')}`);
}

/** Reads several buffer ranges back with one map: the only way results reach the CPU. */
export async function readBuffers(ranges: { buffer: GPUBuffer; offset: number; bytes: number }[]): Promise<ArrayBuffer[]> {
  const b = encoderOutsidePass();
  let total = 0;
  const offsets = ranges.map((r) => {
    const o = total;
    total += Math.ceil(r.bytes / 4) * 4;
    return o;
  });
  const staging = b.device.createBuffer({ size: Math.max(total, 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  ranges.forEach((r, i) => copyBuffer(r.buffer, r.offset, staging, offsets[i], Math.ceil(r.bytes / 4) * 4));
  submit();
  counters.readbacks++;
  try {
    await staging.mapAsync(GPUMapMode.READ);
  } catch (e) {
    await throwPendingErrors();
    throw e;
  }
  const all = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  await throwPendingErrors();
  return ranges.map((r, i) => all.slice(offsets[i], offsets[i] + r.bytes));
}

/** Submits pending work and waits for the GPU to finish it (for benchmarks; training never needs it). */
export async function sync(): Promise<void> {
  const device = gpuDevice();
  submit();
  await device.queue.onSubmittedWorkDone();
  await throwPendingErrors();
}

/** Returns pooled buffers to the driver (after submitting, so nothing recorded still uses them). */
export function emptyPool(): void {
  submit();
  for (const buf of pool.drain()) buf.destroy();
}
