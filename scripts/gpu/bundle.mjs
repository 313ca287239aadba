#!/usr/bin/env node
/**
 * @file Bundles the CLI and the training bench for Deno on the lent GPU machine (scripts/gpu/run.sh):
 * .gpu/cli.js and .gpu/bench.js, ESM, node:* left to Deno's Node compatibility, 'webgpu' (Dawn, Node
 * only) left external — Deno has navigator.gpu and never imports it.
 *   node scripts/gpu/bundle.mjs        (after bash ../shared/gpu/prepare.sh has made .gpu/)
 */
import { build } from 'esbuild';

const entries = { cli: 'src/sagan/cli.ts', bench: 'bench/train.ts' };
await build({
  entryPoints: entries, outdir: '.gpu', bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
  mainFields: ['module', 'main'], external: ['node:*', 'webgpu'], logLevel: 'warning',
});
console.log(`[gpu bundle] wrote ${Object.keys(entries).map((k) => `.gpu/${k}.js`).join(', ')}`);
