/**
 * @file Dispatch accounting, for benchmarks and the `--profile` bench: every dispatch is counted under
 * its label (the kernel's name, plus the op for the elementwise kernel), and while profiling is on and
 * the device has `timestamp-query`, each dispatch runs in a compute pass of its own whose start and end
 * timestamps are resolved at submit and read back asynchronously, so the GPU time adds up per label.
 * Why per label: on a CPU adapter (lavapipe, ~0.2 ms a dispatch) the dispatch count sets the iteration
 * time at small sizes, and the table says which op families to fuse next.
 */
import { gpuDevice } from './device.ts';

export interface KernelStat {
  dispatches: number;
  /** GPU time in ms (0 unless profiling with timestamp queries). */
  ms: number;
  /** CPU time in ms spent recording these launches (JS + the WebGPU implementation; profiling only). */
  encodeMs: number;
}

const stats = new Map<string, KernelStat>();
let profiling = false;
let timing = false;
/** Readbacks of resolved timestamps not yet added to `stats`. */
const inFlight: Promise<void>[] = [];

function stat(label: string): KernelStat {
  let s = stats.get(label);
  if (!s) stats.set(label, (s = { dispatches: 0, ms: 0, encodeMs: 0 }));
  return s;
}

/** Counts one dispatch under `label`. */
export function countDispatch(label: string): void {
  stat(label).dispatches++;
}

/** Adds the CPU time of recording one launch (launch.ts measures it while profiling). */
export function addEncodeTime(label: string, ms: number): void {
  stat(label).encodeMs += ms;
}

/** Dispatches (and GPU ms when profiling) per label since the last reset, once pending timings are in. */
export async function kernelStats(): Promise<Map<string, KernelStat>> {
  await Promise.all(inFlight.splice(0));
  return new Map([...stats].map(([k, v]) => [k, { ...v }]));
}

export function resetKernelStats(): void {
  stats.clear();
}

/**
 * Turns per-dispatch GPU timing on or off; returns whether it is on (false where the device lacks
 * `timestamp-query`). Timing puts every dispatch in a pass of its own: slower, for profiles only.
 */
export function setProfiling(on: boolean): boolean {
  timing = on;
  profiling = on && gpuDevice().features.has('timestamp-query');
  return profiling;
}

/** Whether launches are timed on the GPU (timestamp queries). */
export function isProfiling(): boolean {
  return profiling;
}

/** Whether launches' CPU recording time is measured (profiling asked for, with or without timestamps). */
export function isTiming(): boolean {
  return timing;
}

/** The timestamp queries of one command batch: two per dispatch, resolved when the batch is submitted. */
export class BatchTimer {
  private readonly set: GPUQuerySet;
  private readonly labels: string[] = [];

  constructor(private readonly device: GPUDevice, private readonly capacity: number) {
    this.set = device.createQuerySet({ type: 'timestamp', count: 2 * capacity });
  }

  /** Timestamp writes for the pass of the next dispatch, or null when the set is full. */
  next(label: string): GPUComputePassTimestampWrites | null {
    if (this.labels.length >= this.capacity) return null;
    const i = this.labels.length;
    this.labels.push(label);
    return { querySet: this.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the resolve into `encoder` (before finish); `collect()` after the submit reads it. */
  resolve(encoder: GPUCommandEncoder): (() => void) | null {
    const n = this.labels.length;
    if (!n) {
      this.set.destroy();
      return null;
    }
    const bytes = 16 * n;
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.set, 0, 2 * n, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, read, 0, bytes);
    return () => {
      inFlight.push(read.mapAsync(GPUMapMode.READ).then(() => {
        const t = new BigUint64Array(read.getMappedRange());
        this.labels.forEach((label, i) => {
          if (t[2 * i + 1] > t[2 * i]) stat(label).ms += Number(t[2 * i + 1] - t[2 * i]) / 1e6;
        });
        read.unmap();
      }).finally(() => {
        read.destroy();
        resolved.destroy();
        this.set.destroy();
      }));
    };
  }
}
