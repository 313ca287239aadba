/**
 * @file Launching kernels: the one place where WGSL becomes pipelines and bind groups.
 * A kernel (`src/kernels/kernel.ts`) is a WGSL template; `launch(k, spec, args)` compiles it once per
 * specialisation and records one dispatch into the open batch (`queue.ts`).
 * `wgsl_reflect` reads each specialised source once: the bind-group layout (binding numbers, read vs
 * read_write) and the uniform struct's member offsets come from it, never from hand-counted numbers.
 * Pipelines are cached per kernel + specialisation key (and device). Compile errors name the kernel
 * and the line. The stack runs one way: device → queue → launch → ops.
 */
// The package's "main" is CommonJS under "type": "module" (it fails in Node ESM and Deno); its ES build works everywhere.
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { Kernel } from '../kernels/kernel.ts';
import { gpuDevice } from './device.ts';
import { addPendingCheck, dispatch, uniformSlot } from './queue.ts';
import { addEncodeTime, isTiming } from './profile.ts';

type Scalar = 'u32' | 'i32' | 'f32';
interface UniformField {
  offset: number;
  /** Scalar element type and how many (vecN and arrays of vecN are flattened). */
  type: Scalar;
  count: number;
}
interface Binding {
  name: string;
  binding: number;
  kind: 'uniform' | 'read-only-storage' | 'storage';
}
interface Compiled {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  bindings: Binding[];
  uniform: { name: string; size: number; fields: Map<string, UniformField> } | null;
  workgroupSize: [number, number, number];
  device: GPUDevice;
}

const cache = new Map<string, Compiled>();

function scalarOf(typeName: string): Scalar {
  // Long names (vec4<u32>) and WGSL's shorthands (vec4u, vec2f, vec3i) alike.
  const m = /(u32|i32|f32)|vec[234]([uif])\b/.exec(typeName);
  if (!m) throw new Error(`unsupported uniform type ${typeName}: use u32, i32, f32, vecN of them, or arrays of those`);
  return (m[1] ?? `${m[2]}32`) as Scalar;
}

/** Flattens a uniform member: scalars, vecN<T>, array<T|vecN<T>, K>. */
function fieldOf(m: { offset: number; size: number; type: { name: string; getTypeName(): string } }): UniformField {
  const tn = m.type.getTypeName();
  return { offset: m.offset, type: scalarOf(tn), count: m.size / 4 };
}

function reflect(name: string, key: string, code: string): Omit<Compiled, 'pipeline' | 'layout' | 'device'> {
  let r: WgslReflect;
  try {
    r = new WgslReflect(code);
  } catch (e) {
    throw new Error(`kernel ${name}[${key}]: WGSL does not parse: ${(e as Error).message}`);
  }
  const entry = r.entry.compute.find((f) => f.name === 'main');
  if (!entry) throw new Error(`kernel ${name}: needs a @compute entry point named main`);
  const bindings: Binding[] = [];
  let uniform: Compiled['uniform'] = null;
  for (const v of [...r.uniforms, ...r.storage]) {
    if (v.group !== 0) throw new Error(`kernel ${name}: all bindings must be in @group(0) (${v.name})`);
    if (v.resourceType === ResourceType.Uniform) {
      if (uniform) throw new Error(`kernel ${name}: at most one uniform struct`);
      const fields = new Map<string, UniformField>();
      for (const m of v.members ?? []) fields.set(m.name, fieldOf(m));
      uniform = { name: v.name, size: v.size, fields };
      bindings.push({ name: v.name, binding: v.binding, kind: 'uniform' });
    } else {
      bindings.push({ name: v.name, binding: v.binding, kind: v.access === 'read' ? 'read-only-storage' : 'storage' });
    }
  }
  bindings.sort((a, b) => a.binding - b.binding);
  const ws = entry.workgroupSize ?? [1, 1, 1];
  return { bindings, uniform, workgroupSize: [ws[0] ?? 1, ws[1] ?? 1, ws[2] ?? 1] };
}

/**
 * The launch path finds a specialisation's pipeline without building a string: a trie per kernel,
 * walked by the spec's values (objects and arrays field by field, with markers for their ends), whose
 * nodes remember the pipeline. Only a miss builds the JSON key (the compile cache's, shared by specs
 * that differ only in key order or undefined fields).
 */
interface SpecNode {
  next: Map<unknown, SpecNode>;
  compiled?: Compiled;
}
const OPEN_OBJECT = Symbol('{'), OPEN_ARRAY = Symbol('['), CLOSE = Symbol('}');
const specRoots = new WeakMap<Kernel<unknown>, SpecNode>();

function specNode(k: Kernel<unknown>, spec: unknown): SpecNode {
  let node = specRoots.get(k);
  if (!node) specRoots.set(k, (node = { next: new Map() }));
  const step = (v: unknown) => {
    let n = node!.next.get(v);
    if (!n) node!.next.set(v, (n = { next: new Map() }));
    node = n;
  };
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return step(v);
    if (Array.isArray(v)) {
      step(OPEN_ARRAY);
      for (const e of v) walk(e);
    } else {
      step(OPEN_OBJECT);
      for (const key in v) {
        step(key);
        walk((v as Record<string, unknown>)[key]);
      }
    }
    step(CLOSE);
  };
  walk(spec);
  return node;
}

function compile<S>(k: Kernel<S>, spec: S): Compiled {
  const device = gpuDevice();
  const node = specNode(k as Kernel<unknown>, spec);
  if (node.compiled && node.compiled.device === device) return node.compiled;
  node.compiled = compileKeyed(k, spec, device);
  return node.compiled;
}

function compileKeyed<S>(k: Kernel<S>, spec: S, device: GPUDevice): Compiled {
  const key = spec === undefined ? '' : JSON.stringify(spec);
  const id = `${k.name}|${key}`;
  const hit = cache.get(id);
  if (hit && hit.device === device) return hit;
  const code = k.source(spec);
  const info = reflect(k.name, key, code);
  const module = device.createShaderModule({ label: id, code });
  // Compilation messages arrive asynchronously; they are thrown at the next readback, naming the kernel.
  addPendingCheck(
    module.getCompilationInfo().then((ci) => {
      const errs = ci.messages.filter((m) => m.type === 'error');
      if (!errs.length) return null;
      const lines = code.split('\n');
      return errs.map((m) => `kernel ${k.name}[${key}] line ${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ''}`).join('\n');
    }),
  );
  const layout = device.createBindGroupLayout({
    label: id,
    entries: info.bindings.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.kind },
    })),
  });
  const pipeline = device.createComputePipeline({
    label: id,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main' },
  });
  const c: Compiled = { ...info, pipeline, layout, device };
  cache.set(id, c);
  return c;
}

/** A buffer range to bind: a tensor's storage, or any buffer. */
export interface BufferRef {
  buffer: GPUBuffer;
  offset?: number;
  bytes: number;
}

export interface LaunchArgs {
  /** Storage buffers by their WGSL variable names. */
  buffers: Record<string, BufferRef>;
  /** Uniform struct members by name: numbers, or arrays for vector/array members. */
  uniforms?: Record<string, number | readonly number[]>;
  /** Workgroups to dispatch. */
  grid: [number, number?, number?];
  /** What dispatch counts and profiles call this launch (default: the kernel's name). */
  label?: string;
}

/** Writes the uniform struct's members (by name) into this dispatch's slot of the uniform arena. */
function writeUniforms(k: Kernel<unknown>, u: NonNullable<Compiled['uniform']>, given: LaunchArgs['uniforms'] = {}): GPUBufferBinding {
  const slot = uniformSlot(u.size);
  for (const [fname, f] of u.fields) {
    const v = given[fname];
    if (v === undefined) throw new Error(`kernel ${k.name}: uniform '${fname}' not given`);
    const vals = typeof v === 'number' ? [v] : v;
    if (vals.length > f.count) throw new Error(`kernel ${k.name}: uniform '${fname}' takes ${f.count} values, got ${vals.length}`);
    for (let i = 0; i < vals.length; i++) {
      const o = f.offset + 4 * i;
      if (f.type === 'f32') slot.view.setFloat32(o, vals[i], true);
      else if (f.type === 'i32') slot.view.setInt32(o, vals[i], true);
      else slot.view.setUint32(o, vals[i], true);
    }
  }
  for (const name of Object.keys(given)) {
    if (!u.fields.has(name)) throw new Error(`kernel ${k.name}: no uniform named '${name}'`);
  }
  return { buffer: slot.buffer, offset: slot.offset, size: u.size };
}

/** The bind group of one launch: storage buffers by WGSL name, the uniform struct from `args.uniforms`. */
function bindGroup(k: Kernel<unknown>, c: Compiled, args: LaunchArgs): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = c.bindings.map((b) => {
    if (b.kind === 'uniform') return { binding: b.binding, resource: writeUniforms(k, c.uniform!, args.uniforms) };
    const ref = args.buffers[b.name];
    if (!ref) throw new Error(`kernel ${k.name}: buffer '${b.name}' not given`);
    return { binding: b.binding, resource: { buffer: ref.buffer, offset: ref.offset ?? 0, size: Math.max(4, Math.ceil(ref.bytes / 4) * 4) } };
  });
  return c.device.createBindGroup({ layout: c.layout, entries });
}

/** Records one launch of kernel `k` specialised by `spec`. */
export function launch<S>(k: Kernel<S>, spec: S, args: LaunchArgs): void {
  const t0 = isTiming() ? performance.now() : 0;
  const c = compile(k, spec);
  const bg = bindGroup(k as Kernel<unknown>, c, args);
  const [x, y = 1, z = 1] = args.grid;
  if (x === 0 || y === 0 || z === 0) return;
  const max = c.device.limits.maxComputeWorkgroupsPerDimension;
  if (x > max || y > max || z > max) throw new Error(`kernel ${k.name}: grid ${x}×${y}×${z} exceeds ${max} per dimension`);
  dispatch(c.pipeline, bg, [x, y, z], args.label ?? k.name);
  if (t0) addEncodeTime(args.label ?? k.name, performance.now() - t0);
}

/** Workgroup grid for `n` invocations of `wg` threads, folded into 2D past the per-dimension limit.
 *  Kernels recover the flat index as (wid.y * nwg.x + wid.x) * wg + lid.x. */
export function grid1d(n: number, wg: number): [number, number] {
  const groups = Math.ceil(n / wg);
  if (groups <= 65535) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/** Number of distinct pipelines compiled (for tests and benchmarks). */
export function pipelineCount(): number {
  return cache.size;
}
