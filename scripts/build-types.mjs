#!/usr/bin/env node
/**
 * @file The package's TypeScript declarations: dist/types/ (one .d.ts per source file reachable from
 * src/index.ts), for Node and bundler users of the published package — so their compiler checks our
 * declarations, not our sources under their settings. Deno keeps importing the sources. Run by
 * `npm pack` / `npm publish` (prepack) after the bundle build; ~6 s.
 *
 * The declarations name WebGPU's types (GPUDevice, GPUBuffer, …), which TypeScript's DOM library does
 * not have yet: the entry gets a reference to @webgpu/types (a dependency for that reason).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, 'dist/types');
const t0 = performance.now();
rmSync(out, { recursive: true, force: true }); // no stale declarations of deleted files
const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', resolve(root, 'tsconfig.types.json')], { stdio: 'inherit' });
const entry = resolve(out, 'index.d.ts');
writeFileSync(entry, `/// <reference types="@webgpu/types" />\n${readFileSync(entry, 'utf8')}`);
console.log(`[build-types] wrote dist/types/ in ${Math.round(performance.now() - t0)} ms`);
