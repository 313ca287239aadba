/**
 * @file Times the synthetic face generator: N faces (default 10 000) at 128² with all four masks, then
 * PNG-encoding them (image + 4 masks), and prints ms/face and the projected time for 10 000 faces.
 * Run: deno run -A bench/synth.ts [--count N] [--size S]   (or bundle with esbuild for Node).
 */

import process from 'node:process';
import { renderFaceWithMasks, sampleAttributes, sampleFace, squareTarget } from '../src/sagan/data/faces.ts';
import { SAGAN_ATTRIBUTES } from '../src/sagan/data/attrs.ts';
import { encodePng } from '../src/engine/io/png.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const count = opt('--count', 10_000);
const size = opt('--size', 128);
const target = squareTarget(size);

// Warm-up (JIT) outside the timed loops.
for (let i = 0; i < 20; i++) renderFaceWithMasks(sampleFace(99, i), sampleAttributes(99, i), target);

let t0 = performance.now();
const kept: ReturnType<typeof renderFaceWithMasks>[] = [];
for (let i = 0; i < count; i++) {
  const r = renderFaceWithMasks(sampleFace(0, i), sampleAttributes(0, i), target);
  if (i < 200) kept.push(r);
}
const render = performance.now() - t0;

t0 = performance.now();
let bytes = 0;
for (let i = 0; i < count; i++) {
  const r = kept[i % kept.length]!;
  bytes += encodePng(r.image).length;
  for (const a of SAGAN_ATTRIBUTES) bytes += encodePng(r.masks[a]).length;
}
const encode = performance.now() - t0;

const per = (ms: number) => (ms / count).toFixed(2);
console.log(`synthetic faces at ${size}², ${count} faces (${typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'Deno' : `Node ${process.version}`})`);
console.log(`  render + 4 masks : ${per(render)} ms/face, ${(render / 1000).toFixed(1)} s total`);
console.log(`  PNG encode (1+4) : ${per(encode)} ms/face, ${(encode / 1000).toFixed(1)} s total, ${(bytes / count / 1024).toFixed(1)} KiB/face`);
console.log(`  projected 10 000 : ${(((render + encode) / count) * 10).toFixed(1)} s`);
