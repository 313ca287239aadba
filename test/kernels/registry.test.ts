import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { init, destroyDevice, tensor, add, tidy, counters, readAll, Tensor } from '../../src/index.ts';
import { kernel } from '../../src/kernels/kernel.ts';
import { launch, pipelineCount } from '../../src/engine/launch.ts';

beforeAll(async () => { await init(); });
afterAll(() => destroyDevice());

describe('kernel registry', () => {
  it('packs uniforms at the offsets wgsl_reflect reports (vec3 padding, arrays of vec4)', async () => {
    // WGSL layout: a: u32 @0, b: vec3<f32> @16 (align 16), c: f32 @28, d: array<vec4<u32>,2> @32, e: i32 @64.
    const k = kernel('test_uniform_layout', () => /* wgsl */ `
struct U { a: u32, b: vec3<f32>, c: f32, d: array<vec4<u32>, 2>, e: i32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1)
fn main() {
  out[0] = f32(u.a); out[1] = u.b.x; out[2] = u.b.z; out[3] = u.c;
  out[4] = f32(u.d[0].y); out[5] = f32(u.d[1].w); out[6] = f32(u.e);
}`);
    const out = Tensor.empty([7]);
    launch(k, undefined, { buffers: { out: out.ref }, uniforms: { a: 3, b: [1.5, 2, 2.5], c: -4, d: [0, 9, 0, 0, 0, 0, 0, 11], e: -7 }, grid: [1] });
    expect(Array.from(await out.data())).toEqual([3, 1.5, 2.5, -4, 9, 11, -7]);
  });

  it('names a missing or unknown uniform', () => {
    const k = kernel('test_uniform_names', () => `
struct U { n: u32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1) fn main() { out[0] = f32(u.n); }`);
    const out = Tensor.empty([1]);
    expect(() => launch(k, undefined, { buffers: { out: out.ref }, uniforms: {}, grid: [1] })).toThrow(/test_uniform_names: uniform 'n' not given/);
    expect(() => launch(k, undefined, { buffers: { out: out.ref }, uniforms: { n: 1, m: 2 }, grid: [1] })).toThrow(/no uniform named 'm'/);
    expect(() => launch(k, undefined, { buffers: {}, uniforms: { n: 1 }, grid: [1] })).toThrow(/buffer 'out' not given/);
  });

  it('reports a WGSL compile error with the kernel name and line at the next sync point', async () => {
    const k = kernel('test_broken', () => `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1)
fn main() {
  out[0] = undefined_function(1.0);
}`);
    const out = Tensor.empty([1]);
    let err: unknown;
    try {
      launch(k, undefined, { buffers: { out: out.ref }, grid: [1] });
      await out.data();
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/test_broken/);
    expect(String(err)).toMatch(/line 4/);
  });

  it('caches pipelines per specialisation and batches submits', async () => {
    const a = tensor([1, 2, 3], [3]);
    tidy(() => add(a, a));
    const pipes = pipelineCount();
    const before = { ...counters };
    let acc = a;
    for (let i = 0; i < 100; i++) acc = add(acc, a);
    const [v] = await readAll([acc]);
    expect(Array.from(v)).toEqual([101, 202, 303]);
    expect(pipelineCount()).toBe(pipes);
    expect(counters.dispatches - before.dispatches).toBe(100);
    expect(counters.submits - before.submits).toBeLessThanOrEqual(2); // one batch (plus the readback's)
    expect(counters.readbacks - before.readbacks).toBe(1);
  });
});
