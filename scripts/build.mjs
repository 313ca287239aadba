#!/usr/bin/env node
/**
 * @file The build: esbuild bundles the library for browsers and for Node, and the Node entry points
 * (`npm start`'s demo, …) into dist/. Takes well under a second; prints each file it wrote.
 *  - dist/browser/index.js  the library for browsers (init() uses navigator.gpu; node:* stays external,
 *                           never imported there; Dawn — 'webgpu' — is replaced by a stub, because a
 *                           user's bundler would otherwise try to bundle the native addon that npm
 *                           installs beside the package as an optional dependency)
 *  - dist/node/index.js     the library for Node ('webgpu' is a native addon: external, resolved
 *                           from node_modules at run time)
 *  - dist/node/<name>.js    one per entry in NODE_ENTRIES
 *  - dist/web/              the web app (`npm run web` serves it; see serve-web.mjs)
 */
import { build } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './serve-web.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Node programs to bundle: dist/node/<name>.js from <source>. Add entries here. */
const NODE_ENTRIES = [
  { name: 'demo', source: 'examples/demo.ts' },
  { name: 'cli', source: 'src/sagan/cli.ts' },
  { name: 'bench-train', source: 'bench/train.ts' },
];

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
};

/** Resolves 'webgpu' (Dawn, Node only) to a stub whose create() says to use the Node build. */
const noDawn = {
  name: 'no-dawn-in-browsers',
  setup(b) {
    b.onResolve({ filter: /^webgpu$/ }, () => ({ path: 'webgpu', namespace: 'no-dawn' }));
    b.onLoad({ filter: /.*/, namespace: 'no-dawn' }, () => ({
      contents: "export const globals = {}; export function create() { throw new Error(\"sagan-webgpu: this is the browser build, which has no Dawn; Node resolves the package's 'node' export\"); }",
    }));
  },
};

const builds = [
  { ...common, platform: 'browser', entryPoints: { index: 'src/index.ts' }, outdir: 'dist/browser', external: ['node:*'], plugins: [noDawn] },
  {
    ...common,
    platform: 'node',
    entryPoints: Object.fromEntries([['index', 'src/index.ts'], ...NODE_ENTRIES.map((e) => [e.name, e.source])]),
    outdir: 'dist/node',
    external: ['webgpu'],
  },
];

const t0 = performance.now();
for (const entry of NODE_ENTRIES) {
  if (!existsSync(resolve(root, entry.source))) throw new Error(`build: entry ${entry.name}: ${entry.source} does not exist`);
}
const [results, web] = await Promise.all([Promise.all(builds.map((b) => build(b))), buildWeb()]);
for (const r of results) {
  for (const out of Object.keys(r.metafile.outputs).filter((f) => f.endsWith('.js'))) {
    const kib = (statSync(resolve(root, out)).size / 1024).toFixed(1);
    console.log(`[build] wrote ${relative(root, resolve(root, out))} (${kib} KiB)`);
  }
}
for (const f of web) console.log(`[build] wrote ${f}`);
console.log(`[build] done in ${Math.round(performance.now() - t0)} ms`);
