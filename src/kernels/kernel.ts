/**
 * @file What a kernel is: a named WGSL template (a function of its specialisation) with one compute
 * entry point `main`, storage buffers and at most one uniform struct, all in `@group(0)`. The files
 * beside this one define kernels with `kernel()`; they are plain sources and import nothing from the
 * engine. The engine compiles and launches them (`src/engine/launch.ts`).
 */

export interface Kernel<S> {
  name: string;
  /** WGSL source for one specialisation. */
  source: (spec: S) => string;
}

/** Defines a kernel; `source` is called once per distinct specialisation (the engine caches the pipeline). */
export function kernel<S = void>(name: string, source: (spec: S) => string): Kernel<S> {
  return { name, source };
}
