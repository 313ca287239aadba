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

/** The components of a WGSL vec4, by index. */
export const comp = ['x', 'y', 'z', 'w'] as const;

/** Element j of a uniform `array<vec4<…>, N>` packed four to a vector (uniform arrays are 16-byte strided). */
export const packed = (j: number) => `[${j >> 2}].${comp[j & 3]}`;
