/**
 * @file Compiles (without running) every specialisation family of the GPU-shaped conv kernels
 * (conv_gemm.wgsl.ts: each tile × conv / convT / weight gradient, with and without bias, LeakyReLU and
 * split-K) in the runtime it runs in, and reports the compiler's errors. Deno's WebGPU compiles WGSL
 * with naga, stricter in places than Dawn's Tint: the lent GPU machines run the engine in Deno, so a
 * kernel naga rejects must fail here, not there. test/runtime/wgsl.test.ts runs it.
 */
import { init, destroyDevice } from '../../src/index.ts';
import { gpuDevice } from '../../src/engine/device.ts';
import { convGemmKernel, type ConvGemmSpec } from '../../src/kernels/conv_gemm.wgsl.ts';
import { GEMM_TILES } from '../../src/engine/ops/conv.ts';
import { report } from './report.ts';

export interface WgslResult {
  runtime: string;
  compiled: number;
  errors: string[];
}

async function main(): Promise<WgslResult> {
  await init();
  const device = gpuDevice();
  const geo = { ci: 3, co: 5, h: 12, w: 10, kh: 4, kw: 4, stride: 2, pad: 1 };
  const specs: ConvGemmSpec[] = [];
  for (const tile of Object.values(GEMM_TILES)) {
    specs.push({ mode: 'conv', ...geo, oh: 6, ow: 5, tile, bias: true, split: false, leaky: 0.2 });
    specs.push({ mode: 'convT', ...geo, oh: 24, ow: 20, tile, bias: true, split: false });
    specs.push({ mode: 'wgrad', ...geo, oh: 6, ow: 5, tile, bias: false, split: true });
    specs.push({ mode: 'wgrad', ...geo, kh: 3, kw: 3, stride: 1, oh: 12, ow: 10, tile, bias: false, split: false });
  }
  const errors: string[] = [];
  for (const spec of specs) {
    // Deno reports WGSL errors as validation errors (its compilation info stays empty), Dawn as both.
    device.pushErrorScope('validation');
    const mod = device.createShaderModule({ code: convGemmKernel.source(spec) });
    const info = await mod.getCompilationInfo();
    const err = await device.popErrorScope();
    const where = `${spec.mode} ${JSON.stringify(spec.tile)}`;
    for (const m of info.messages) if (m.type === 'error') errors.push(`${where} line ${m.lineNum}: ${m.message}`);
    if (err && !info.messages.some((m) => m.type === 'error')) errors.push(`${where}: ${err.message}`);
  }
  const g = globalThis as { Deno?: unknown };
  destroyDevice();
  return { runtime: g.Deno ? 'deno' : 'node', compiled: specs.length, errors };
}

await report(main);
