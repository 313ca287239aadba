/**
 * @file The package as a user gets it: `npm pack` (which builds dist/ and the declarations on prepack)
 * from a copy of this tree, then `npm ci --offline` of the tarball into a fresh project, then:
 * Node ESM imports it and computes a gradient; esbuild bundles a browser entry against it; tsc checks a
 * consumer file under `strict` (and rejects a wrong one, so the types are real, not `any`); the
 * installed `sagan --help` runs; Deno imports vendored sources by path, and the package through `npm:`.
 *
 * Offline: npm ci needs no registry when every package in the lockfile is in npm's cache by integrity,
 * and `npm ci` of this repository put exactly these versions there. The consumer's lockfile is this
 * repository's entries for the package's dependency closure (with their registry URLs), plus the tarball.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { exec as run, ROOT } from '../runtime/runners.ts';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
let tmp = '';
let app = '';

async function sh(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<string> {
  const r = await run('bash', ['-c', `cd "$1" && shift && exec "$@"`, 'sh', cwd, cmd, ...args], timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`);
  return r.stdout + r.stderr;
}

/** This repository's lockfile entries for `name` and everything it depends on (optional ones included). */
function closure(name: string, lock: Record<string, Record<string, unknown>>, out: Record<string, unknown> = {}): Record<string, unknown> {
  const key = `node_modules/${name}`;
  if (key in out) return out;
  const e = lock[key];
  if (!e) throw new Error(`package-lock.json has no entry for ${name}: run npm install`);
  // With `resolved` (npm 11 omits it for the default registry) npm ci reads the tarball from its cache by
  // integrity; without it npm first asks the registry for the package's metadata, which is not cached.
  const base = name.split('/').pop();
  out[key] = { resolved: `https://registry.npmjs.org/${name}/-/${base}-${e.version}.tgz`, ...e };
  const deps = { ...(e.dependencies as object), ...(e.optionalDependencies as object) };
  for (const d of Object.keys(deps)) closure(d, lock, out);
  return out;
}

beforeAll(async () => {
  const t0 = performance.now();
  tmp = mkdtempSync(join(tmpdir(), 'sagan-pack-'));
  // Pack a copy, so prepack's build never rewrites dist/ under the other test files.
  const src = join(tmp, 'src-tree');
  mkdirSync(src);
  for (const p of ['src', 'scripts', 'examples', 'bench', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.types.json', 'README.md']) {
    cpSync(join(ROOT, p), join(src, p), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
  await sh('npm', ['pack', '--pack-destination', tmp, '--loglevel=error'], src, 180_000);
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'))!;

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages;
  const deps: Record<string, unknown> = {};
  for (const d of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]) closure(d, lock, deps);
  const integrity = 'sha512-' + createHash('sha512').update(readFileSync(join(tmp, tgz))).digest('base64');
  app = join(tmp, 'app');
  mkdirSync(app);
  const spec = `file:../${tgz}`;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { 'sagan-webgpu': spec } }, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify({
    name: 'app', lockfileVersion: 3, requires: true,
    packages: {
      '': { name: 'app', dependencies: { 'sagan-webgpu': spec } },
      'node_modules/sagan-webgpu': {
        version: pkg.version, resolved: spec, integrity, license: pkg.license, bin: pkg.bin,
        dependencies: pkg.dependencies, optionalDependencies: pkg.optionalDependencies,
      },
      ...deps,
    },
  }, null, 2));
  await sh('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app, 180_000).catch((e: Error) => {
    if (/ENOTCACHED/.test(e.message)) e.message += '\nA dependency is not in npm\'s cache: run `npm ci` in this repository (it fills the cache), then retry.';
    throw e;
  });
  console.log(`[consumer] packed ${tgz} and installed it offline in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the published package, installed offline into a fresh project', () => {
  it('ships the bundles, declarations and CLI it points at, and no bench or web app', () => {
    const root = join(app, 'node_modules/sagan-webgpu');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const f of [pkg.main, pkg.types, pkg.bin.sagan, ...Object.values(pkg.exports['.'] as Record<string, string>)]) {
      expect(() => readFileSync(join(root, f)), f).not.toThrow();
    }
    const dist = readdirSync(join(root, 'dist'), { recursive: true }).map(String);
    expect(dist.filter((f) => /bench|demo|web\b|\.map$/.test(f))).toEqual([]);
  });

  it('Node ESM: imports it and computes a gradient', async () => {
    writeFileSync(join(app, 'grad.mjs'), `
import { init, tensor, grad, mul, sum, readAll, destroyDevice } from 'sagan-webgpu';
await init();
const x = tensor([1, -2, 3], [3]);
x.requiresGrad = true;
const [g] = grad(sum(mul(mul(x, x), x)), x);   // d/dx Σx³ = 3x²
console.log('RESULT ' + JSON.stringify([...(await readAll([g]))[0]]));
destroyDevice();
`);
    const out = await sh('node', ['grad.mjs'], app);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '))!;
    expect(JSON.parse(line.slice(7))).toEqual([3, 12, 27]);
  }, 180_000);

  it('esbuild bundles a browser entry against it (no Dawn, no node: modules in the bundle)', async () => {
    writeFileSync(join(app, 'main.ts'), `import { init, tensor, relu } from 'sagan-webgpu';\nawait init();\nconsole.log(relu(tensor([1, -1], [2])).shape);\n`);
    const r = await build({ absWorkingDir: app, entryPoints: ['main.ts'], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((f) => f.includes('sagan-webgpu/dist/browser/index.js'))).toBe(true);
    expect(inputs.filter((f) => /node_modules\/webgpu\//.test(f))).toEqual([]);
    expect(r.outputFiles[0]!.text).not.toMatch(/from ["']node:|import\(["']node:/);
  });

  it('tsc --strict type-checks a consumer file against the shipped declarations, and rejects a wrong one', async () => {
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false },
      files: ['typed.ts', 'wrong.ts'],
    }));
    writeFileSync(join(app, 'typed.ts'), `
import { init, tensor, grad, sum, mul, readAll, nn, type Tensor, type DeviceInfo, type InitOptions } from 'sagan-webgpu';
const opts: InitOptions = { gpu: navigator.gpu };   // GPU: from @webgpu/types, which the declarations reference
const info: DeviceInfo = await init(opts);
const x: Tensor = tensor([1, 2], [2]);
const [g] = grad(sum(mul(x, x)), x);
const layer = new nn.Conv2d(3, 8, 3, { padding: 1 });
const vals: Float32Array[] = await readAll([g!]);
console.log(vals, layer, info.adapter.vendor);
`);
    // A type error beside it must be reported (or the declarations would be `any`), and be the only one
    // (one tsc run for both: it takes seconds). Shipped .d.ts files are checked too (skipLibCheck false).
    writeFileSync(join(app, 'wrong.ts'), `import { tensor } from 'sagan-webgpu';\nconst n: number = tensor([1], [1]);\nconsole.log(n);\nexport {};\n`);
    const r = await run('node', [TSC, '-p', join(app, 'tsconfig.json')], 150_000);
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(r.code).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/\bwrong\.ts\(2,7\): error TS2322: Type 'Tensor' is not assignable to type 'number'/);
  }, 180_000);

  it('npx sagan --help runs the installed CLI', async () => {
    const out = await sh('npx', ['--no-install', 'sagan', '--help'], app);
    expect(out).toMatch(/train/);
    expect(out).toMatch(/edit/);
  }, 180_000);

  // Deno refuses TypeScript under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), so `npm:`
  // gets the JavaScript build (the 'node' export; Deno has navigator.gpu, so Dawn is not loaded) and the
  // sources are for a copy outside node_modules — here the tarball's, unpacked into vendor/.
  it('Deno imports the sources by path (a vendored copy) and the package through an npm: specifier', async () => {
    mkdirSync(join(app, 'vendor'));
    await sh('tar', ['xzf', join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!), '-C', 'vendor'], app);
    writeFileSync(join(app, 'deno.ts'), `
import * as byPath from './vendor/package/src/index.ts';
import * as byNpm from 'npm:sagan-webgpu';
await byPath.init();
const x = byPath.tensor([1, 2, 3], [3]);
x.requiresGrad = true;
const [g] = byPath.grad(byPath.sum(byPath.mul(x, x)), x);
await byNpm.init();   // a second copy of the engine (its own module state and device)
const y = byNpm.tensor([1, 2, 3], [3]);
y.requiresGrad = true;
const [h] = byNpm.grad(byNpm.sum(byNpm.mul(y, y)), y);
console.log('RESULT ' + JSON.stringify({ byPath: [...(await byPath.readAll([g!]))[0]!], byNpm: [...(await byNpm.readAll([h!]))[0]!] }));
`);
    const out = await sh(join(ROOT, 'node_modules/.bin/deno'), ['run', '-A', '--quiet', 'deno.ts'], app, 180_000);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '))!;
    expect(JSON.parse(line.slice(7))).toEqual({ byPath: [2, 4, 6], byNpm: [2, 4, 6] });
  }, 180_000);
});
