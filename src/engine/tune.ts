/**
 * @file Kernel choice by measurement. An op with several candidate kernels for a shape (the convs:
 * src/engine/ops/conv.ts) asks `choose(key, candidates, fallback, prepare)`. The first time a shape is
 * seen on an adapter it runs the fallback and the shape joins the pending list; `await autotune()`
 * then times every candidate of every pending shape on scratch operands of that shape and keeps the
 * fastest, per adapter + shape, for the rest of the process. Choices can be saved and restored
 * (`tuningState`, `loadTuning`): the trainer keeps them in its checkpoints, because the candidates
 * sum in different orders, so a resumed run must use the kernels the original used to stay bit-exact.
 * Off on CPU adapters by default (`init({ autotune })`): their kernels are fixed, so training there is
 * bit-for-bit the same on every machine. `forceKernel(name)` makes every op that has a candidate of
 * that name use it (tests run each candidate against the float64 reference this way).
 */
import { deviceInfo, type DeviceInfo } from './device.ts';
import { sync } from './queue.ts';

/** Scratch operands of one shape, ready to run any candidate on. */
export interface Trial {
  run(candidate: string): void;
  dispose(): void;
}

interface Pending {
  candidates: readonly string[];
  prepare: () => Trial;
}

const chosen = new Map<string, string>();
const pending = new Map<string, Pending>();
let forced: string | null = null;

/** The adapter part of every key, made once per device (launches ask for it). */
let adapter: { info: DeviceInfo; key: string } | null = null;
function adapterKey(info: DeviceInfo): string {
  if (adapter?.info !== info) {
    const a = info.adapter;
    adapter = { info, key: [a.vendor, a.architecture, a.device, a.description].join('/') };
  }
  return adapter.key;
}

/**
 * The kernel to run for the shape `key()` names (an op and its shape; built only where tuning is on,
 * so that launches on CPU adapters build no string): a forced candidate, the measured winner, or
 * `fallback` (and, where tuning is on, the shape is queued for the next `autotune()`).
 */
export function choose(key: () => string, candidates: readonly string[], fallback: string, prepare: () => Trial): string {
  if (forced !== null) return candidates.includes(forced) ? forced : fallback;
  const info = deviceInfo();
  if (!info.autotune) return fallback;
  const full = `${adapterKey(info)}|${key()}`;
  const hit = chosen.get(full);
  if (hit !== undefined && candidates.includes(hit)) return hit;
  if (!pending.has(full)) pending.set(full, { candidates, prepare });
  return fallback;
}

/** Shapes seen but not yet measured. */
export function pendingTunes(): number {
  return pending.size;
}

/**
 * Times every candidate of every pending shape and keeps the fastest. The time of a candidate is the
 * wall time of repeated launches between two syncs, less the time of a sync alone (in Deno a
 * completion wait alone takes ~11 ms, more than many kernels): launches double until they take
 * `minMs` beyond that. Returns what it chose, by shape.
 */
export async function autotune(opts: { minMs?: number; onShape?: (key: string, times: Record<string, number>) => void } = {}): Promise<Record<string, string>> {
  const minMs = opts.minMs ?? 10;
  const out: Record<string, string> = {};
  if (!pending.size) return out;
  const base = await syncMs();
  for (const [full, p] of [...pending]) {
    pending.delete(full);
    const trial = p.prepare();
    const times: Record<string, number> = {};
    try {
      for (const c of p.candidates) times[c] = await timeOf(() => trial.run(c), minMs, base);
    } finally {
      trial.dispose();
    }
    const best = p.candidates.reduce((a, c) => (times[c] < times[a] ? c : a));
    chosen.set(full, best);
    out[full] = best;
    opts.onShape?.(full, times);
  }
  return out;
}

/** Milliseconds of a sync with nothing to wait for (the median of five). */
async function syncMs(): Promise<number> {
  await sync();
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await sync();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[2];
}

/** Milliseconds per run of `fn` (after one run that compiles and warms up), less the sync's own `base`. */
async function timeOf(fn: () => void, minMs: number, base: number): Promise<number> {
  fn();
  await sync();
  for (let reps = 1; ; reps *= 2) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    await sync();
    const work = performance.now() - t0 - base;
    if (work >= minMs || reps >= 1024) return Math.max(work, 1e-6) / reps;
  }
}

/** Every choice made so far (adapter + shape → kernel), to save beside a checkpoint. */
export function tuningState(): Record<string, string> {
  return Object.fromEntries(chosen);
}

/** Restores saved choices (they apply on the adapter they were measured on; others ignore them). */
export function loadTuning(state: Record<string, string>): void {
  for (const [k, v] of Object.entries(state)) {
    if (typeof v !== 'string') throw new Error(`loadTuning: choice for ${k} must be a kernel name, got ${JSON.stringify(v)}`);
    chosen.set(k, v);
    pending.delete(k);
  }
}

/** Forget every choice and pending shape (tests). */
export function resetTuning(): void {
  chosen.clear();
  pending.clear();
}

/** Every op with a candidate named `name` runs it (null: back to choosing). Returns the previous setting. */
export function forceKernel(name: string | null): string | null {
  const prev = forced;
  forced = name;
  return prev;
}
