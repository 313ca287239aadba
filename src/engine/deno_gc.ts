/**
 * @file Keeps Deno's WebGPU objects from piling up. Deno frees a bind group (and the command buffers,
 * passes and encoders of a submit) only when V8 collects its JS wrapper, which only a major GC does,
 * and V8 does not see the native memory behind those small wrappers, so it sees no reason to run one.
 * The engine creates one bind group per dispatch; on lavapipe each holds a memory mapping, so a
 * training loop grew by ~2,400 mappings and ~15 MB per iteration (32², width 8) until the process
 * reached vm.max_map_count (65,530) and segfaulted after ~28 iterations.
 *
 * The fix: in Deno only, `init()` obtains V8's `gc` (through node:v8's setFlagsFromString, the
 * documented way to expose it at run time) and `submit()` runs a full collection once every
 * GC_EVERY dispatches: the mappings then stay below ~10,000 and RSS flat. A collection costs ~0.1–0.2 s
 * on lavapipe (most of it freeing the native objects, which has to happen anyway), a few % of the time
 * those dispatches take. Node (Dawn) and browsers collect these wrappers on their own: their
 * mappings and RSS stay flat without it (test/runtime/memory.test.ts).
 */
const GC_EVERY = 8192;

let collect: (() => void) | null = null;
let since = 0;

/** Deno: makes `gc` available (once). Elsewhere, and if Deno refuses, nothing happens. */
export async function enableDenoCollection(): Promise<void> {
  if (collect) return;
  const g = globalThis as { gc?: () => void };
  if (typeof g.gc === 'function') {
    collect = g.gc; // run with --v8-flags=--expose-gc
    return;
  }
  try {
    // Specifiers in variables: bundlers for browsers leave these imports alone (Deno only runs them).
    const v8Spec = 'node:v8', vmSpec = 'node:vm';
    const v8 = await import(v8Spec);
    const vm = await import(vmSpec);
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc');
    if (typeof fn === 'function') collect = fn;
  } catch {
    // Without gc the engine still works; long loops then rely on V8's own (rare) major collections.
  }
}

/** Counts dispatches; runs a collection when GC_EVERY have been recorded since the last one. */
export function collectAfter(dispatches: number): void {
  if (!collect) return;
  since += dispatches;
  if (since < GC_EVERY) return;
  since = 0;
  collect();
}

/** Runs the collection now, where there is one (Deno): memory tests sample after it, so that they see
 *  what is retained rather than where a sample happens to fall in the GC_EVERY sawtooth (~8,000 mappings). */
export function collectNow(): void {
  if (!collect) return;
  since = 0;
  collect();
}
