/**
 * @file The runtime-matrix smoke program: the same op chain and its first and second derivatives in
 * Node (bundled), Deno (this .ts file unbundled: every relative import must end in .ts and nothing
 * may need Node) and headless Chromium (bundled for the browser). It reports its inputs and results
 * through report.ts; test/runtime/runtimes.test.ts compares them across runtimes and with float64.
 *
 *   x = 3·rand[4,3] − 1.5 (seed 11), w = 3·rand[3,5] − 1.5 (seed 12), both requiring grad
 *   z = leakyRelu(tanh(x·w), 0.1),  loss = Σ z²
 *   (gx, gw) = grad(loss, (x, w), createGraph)      — first order, on the tape
 *   s = Σ gx²,  hw = ∂s/∂w                           — second order
 *   normals = randn[64] (seed 13)
 * The chain starts from uniforms, which are integer hashes and exact f32 arithmetic, so every runtime
 * feeds it the same bits. Normals use WGSL's cos, which WGSL only bounds to 2^-11 absolute error
 * (SwiftShader's is off by ~2e-4), so they are reported and checked separately.
 */
import { init, destroyDevice, rand, randn, matmul, tanh, leakyRelu, sum, mul, grad, requiresGrad, readAll, tidy, memory } from '../../src/index.ts';
import { report } from './report.ts';

const SMOKE = { n: 4, k: 3, m: 5, slope: 0.1, seedX: 11, seedW: 12, seedNormals: 13, normals: 64 } as const;

export interface SmokeResult {
  runtime: string;
  adapter: string;
  /** leakyRelu's negative slope, for the float64 reference. */
  slope: number;
  /** The seeds, for the float64 reference of the generator. */
  seeds: { x: number; w: number; normals: number };
  x: number[];
  w: number[];
  loss: number;
  gx: number[];
  gw: number[];
  s: number;
  hw: number[];
  normals: number[];
  /** Tensors still alive after the tidy() that made everything: must be 0. */
  liveTensors: number;
  /** init() + the computation + the readback, in the program. */
  ms: number;
}

async function main(): Promise<SmokeResult> {
  const t0 = performance.now();
  const info = await init();
  const vals = await tidy(async () => {
    const x = requiresGrad(rand([SMOKE.n, SMOKE.k], { seed: SMOKE.seedX }).mul(3).sub(1.5));
    const w = requiresGrad(rand([SMOKE.k, SMOKE.m], { seed: SMOKE.seedW }).mul(3).sub(1.5));
    const z = leakyRelu(tanh(matmul(x, w)), SMOKE.slope);
    const loss = sum(mul(z, z));
    const [gx, gw] = grad(loss, [x, w], { createGraph: true });
    const s = sum(mul(gx, gx));
    const [hw] = grad(s, w);
    const normals = randn([SMOKE.normals], { seed: SMOKE.seedNormals });
    return (await readAll([x, w, loss, gx, gw, s, hw, normals])).map((v) => Array.from(v));
  });
  const [x, w, [loss], gx, gw, [s], hw, normals] = vals;
  const a = info.adapter;
  const result: SmokeResult = {
    runtime: info.runtime,
    adapter: [a.vendor, a.architecture, a.description || a.device].filter(Boolean).join(' · '),
    slope: SMOKE.slope,
    seeds: { x: SMOKE.seedX, w: SMOKE.seedW, normals: SMOKE.seedNormals },
    x, w, loss, gx, gw, s, hw, normals,
    liveTensors: memory().liveTensors,
    ms: Math.round(performance.now() - t0),
  };
  destroyDevice();
  return result;
}

await report(main);
