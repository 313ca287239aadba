/**
 * @file The runtime matrix: smoke_program.ts in Node + Dawn (lavapipe), Deno (lavapipe) and headless
 * Chromium (SwiftShader). In each runtime: the seeded uniforms are the generator's exact values, the
 * op chain and its first and second derivatives match a float64 reference within 1e-4 relative, the
 * normals match float64 Box–Muller to a few ulps (the engine computes ln and cos itself). Across runtimes: the chain's inputs
 * are bit-identical and its results agree within 1e-4 relative (drivers differ in the last ulps of
 * exp). A browser without WebGPU must show init()'s error on the page.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { expectClose } from '../helpers/gradcheck.ts';
import { runNode, runDeno, runChromium, runChromiumPage, closeBrowser } from './runners.ts';
import type { SmokeResult } from './smoke_program.ts';

const PROGRAM = 'test/runtime/smoke_program.ts';
const RTOL = 1e-4, ATOL = 1e-6;
const N = 4, K = 3, M = 5;

afterAll(() => closeBrowser());

type Mat = Float64Array;
/** (r×n)·(n×c), row-major. */
function mm(a: Mat, b: Mat, r: number, n: number, c: number): Mat {
  const o = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) for (let k = 0; k < n; k++) o[i * c + j] += a[i * n + k] * b[k * c + j];
  return o;
}
function tr(a: Mat, r: number, c: number): Mat {
  const o = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) o[j * r + i] = a[i * c + j];
  return o;
}
const sumsq = (a: Mat) => a.reduce((s, v) => s + v * v, 0);

/** The engine's documented generator, written out again: PCG hash (Jarzynski & Olano 2020). */
function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}
/** Draw i of a seed's stream: two 24-bit uniforms in (0, 1]. */
function uniforms(seed: number, i: number): [number, number] {
  const key = pcg((seed ^ 0x6a09e667) >>> 0);
  const u = (h: number) => ((h >>> 8) + 1) * 2 ** -24;
  return [u(pcg((pcg(i) ^ key) >>> 0)), u(pcg((pcg(i) ^ key ^ 0x9e3779b9) >>> 0))];
}
/** rand: uniform on [0, 1), as an f32. */
const randRef = (seed: number, n: number) => Array.from({ length: n }, (_, i) => uniforms(seed, i)[0] - 2 ** -24);
/** randn: Box–Muller √(−2 ln u₁)·cos(2πu₂) in float64, with the radius √(−2 ln u₁) for the tolerance. */
function randnRef(seed: number, n: number): { z: number[]; radius: number[] } {
  const d = Array.from({ length: n }, (_, i) => uniforms(seed, i));
  const radius = d.map(([u1]) => Math.sqrt(-2 * Math.log(u1)));
  return { z: d.map(([, u2], i) => radius[i] * Math.cos(2 * Math.PI * u2)), radius };
}
/**
 * randn computes ln and cos with + − × ÷ only (not WGSL's log/cos, which SwiftShader gets ~1e-4 wrong),
 * so normals match float64 Box–Muller, and each other across runtimes, to a few f32 ulps.
 */
function expectNormals(name: string, got: number[], want: number[], radius: number[], factor: number): void {
  got.forEach((g, i) => {
    const tol = factor * 4e-7 * (radius[i] + Math.abs(want[i]));
    if (!(Math.abs(g - want[i]) <= tol)) throw new Error(`${name}: normal ${i} is ${g}, want ${want[i]} ± ${tol.toExponential(2)}`);
  });
}

/**
 * float64 reference of the smoke chain, derived by hand. With a = x·w, h = tanh a, σ = 1 if h > 0 else
 * slope, z = σh, loss = Σ z²:
 *   G = ∂loss/∂a = 2σ²(h − h³),  gx = G·wᵀ,  gw = xᵀ·G
 *   s = Σ gx²;  ∂s/∂w = 2·gxᵀ·G + xᵀ·(P ⊙ G′)  with  P = 2·gx·w,  G′ = 2σ²(1 − 3h²)(1 − h²)
 */
function reference(r: SmokeResult) {
  const x = Float64Array.from(r.x), w = Float64Array.from(r.w);
  const a = mm(x, w, N, K, M);
  const h = a.map(Math.tanh);
  const sig2 = h.map((v) => (v > 0 ? 1 : r.slope * r.slope));
  const loss = h.reduce((s, v, i) => s + sig2[i] * v * v, 0);
  const G = h.map((v, i) => 2 * sig2[i] * (v - v * v * v));
  const gx = mm(G, tr(w, K, M), N, M, K);
  const gw = mm(tr(x, N, K), G, K, N, M);
  const P = mm(gx, w, N, K, M).map((v) => 2 * v);
  const Q = P.map((p, i) => p * 2 * sig2[i] * (1 - 3 * h[i] ** 2) * (1 - h[i] ** 2));
  const direct = mm(tr(gx, N, K), G, K, N, M).map((v) => 2 * v);
  const viaA = mm(tr(x, N, K), Q, K, N, M);
  return { loss, gx, gw, s: sumsq(gx), hw: direct.map((v, i) => v + viaA[i]) };
}

function checkAgainstReference(name: string, r: SmokeResult): void {
  expect(r.x.length, `${name}: x`).toBe(N * K);
  expect(r.w.length, `${name}: w`).toBe(K * M);
  expect(r.liveTensors, `${name}: tensors left alive after tidy()`).toBe(0);
  // The chain's inputs: 3·u − 1.5 of the exact uniforms (f32 × and − are correctly rounded).
  const f = Math.fround;
  expect(r.x, `${name}: x = 3·rand − 1.5`).toEqual(randRef(r.seeds.x, N * K).map((u) => f(f(3 * u) - 1.5)));
  expect(r.w, `${name}: w = 3·rand − 1.5`).toEqual(randRef(r.seeds.w, K * M).map((u) => f(f(3 * u) - 1.5)));
  const normals = randnRef(r.seeds.normals, r.normals.length);
  expect(r.normals.length).toBe(64);
  expectNormals(`${name} randn`, r.normals, normals.z, normals.radius, 1);
  const ref = reference(r);
  expectClose(`${name} loss`, [r.loss], [ref.loss], ATOL, RTOL);
  expectClose(`${name} gx`, r.gx, ref.gx, ATOL, RTOL);
  expectClose(`${name} gw`, r.gw, ref.gw, ATOL, RTOL);
  expectClose(`${name} s`, [r.s], [ref.s], ATOL, RTOL);
  expectClose(`${name} hw (second order)`, r.hw, ref.hw, ATOL, RTOL);
}

const results: Record<string, SmokeResult> = {};
/** Process start, shader compilation and (Chromium) browser start on a busy 2-core machine. */
const SLOW = 120_000;

function logRun(name: string, r: SmokeResult, wallMs: number): void {
  console.log(`[runtime] ${name}: ${Math.round(wallMs)} ms wall, ${r.ms} ms in program (${r.runtime}, ${r.adapter})`);
}

describe('runtime matrix: the same program in Node, Deno and Chromium', () => {
  it('Node + Dawn matches the float64 reference', async () => {
    const { result, wallMs } = await runNode<SmokeResult>(PROGRAM);
    logRun('node', result, wallMs);
    expect(result.runtime).toBe('node');
    checkAgainstReference('node', result);
    results.node = result;
  }, SLOW);

  it('Deno (unbundled .ts) matches the float64 reference', async () => {
    const { result, wallMs } = await runDeno<SmokeResult>(PROGRAM);
    logRun('deno', result, wallMs);
    expect(result.runtime).toBe('deno');
    checkAgainstReference('deno', result);
    results.deno = result;
  }, SLOW);

  it('headless Chromium matches the float64 reference', async () => {
    const { result, wallMs } = await runChromium<SmokeResult>(PROGRAM);
    logRun('chromium', result, wallMs);
    expect(result.runtime).toBe('browser');
    checkAgainstReference('chromium', result);
    results.chromium = result;
  }, SLOW);

  it('the runtimes agree with each other', () => {
    const names = Object.keys(results);
    expect(names, 'every runtime above must have run').toEqual(['node', 'deno', 'chromium']);
    const base = results.node;
    for (const name of names.slice(1)) {
      const r = results[name];
      expect(r.x, `${name} vs node: x (bit for bit)`).toEqual(base.x);
      expect(r.w, `${name} vs node: w (bit for bit)`).toEqual(base.w);
      for (const key of ['gx', 'gw', 'hw'] as const) expectClose(`${name} vs node: ${key}`, r[key], base[key], ATOL, RTOL);
      for (const key of ['loss', 's'] as const) expectClose(`${name} vs node: ${key}`, [r[key]], [base[key]], ATOL, RTOL);
      expectNormals(`${name} vs node: randn`, r.normals, base.normals, randnRef(r.seeds.normals, r.normals.length).radius, 2);
    }
  });

  it('a browser without WebGPU shows init()\'s error on the page', async () => {
    const page = await runChromiumPage(PROGRAM, { hideWebGPU: true });
    expect(page.result).toBeNull();
    expect(page.error).toMatch(/no WebGPU/);
    expect(page.error).toMatch(/Fix:/);
  }, SLOW);
});
