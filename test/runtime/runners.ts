/**
 * @file The runner side of the runtime harness: runs a TypeScript program that reports through
 * report.ts in Node (esbuild bundle, 'webgpu' external), in Deno (the .ts source, unbundled) or in
 * headless Chromium (browser bundle served from http://127.0.0.1:<ephemeral>, Debian's
 * /usr/bin/chromium driven by playwright-core with a fresh profile), and returns what it reported.
 * `openPage` hands the same browser to tests that drive a whole page themselves (test/web).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'test-artifacts/runtime');
export const CHROMIUM = '/usr/bin/chromium';
const ENV = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };

export interface Run<T> {
  result: T;
  /** Wall time of the whole run: process or page start to the reported result. */
  wallMs: number;
}

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (or kills it after `timeoutMs`). */
export function exec(cmd: string, args: string[], timeoutMs: number): Promise<Exec> {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => (clearTimeout(timer), fail(e)));
    p.on('close', (code) => (clearTimeout(timer), done({ code, stdout, stderr })));
  });
}

function parseResult<T>(what: string, r: Exec): T {
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.code !== 0 || !line) {
    throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`);
  }
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

async function bundle(entry: string, platform: 'node' | 'browser', outfile: string): Promise<void> {
  await build({
    absWorkingDir: ROOT, entryPoints: [entry], outfile, bundle: true, format: 'esm', target: 'es2022',
    platform, external: platform === 'node' ? ['webgpu'] : ['webgpu', 'node:*'], logLevel: 'error',
  });
}

/** Node: bundles `entry` (relative to the repo root) and runs it with node. */
export async function runNode<T>(entry: string, timeoutMs = 60_000, args: string[] = []): Promise<Run<T>> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${basename(entry, '.ts')}.node.mjs`);
  await bundle(entry, 'node', file);
  const t0 = performance.now();
  const r = await exec(process.execPath, [file, ...args], timeoutMs);
  return { result: parseResult<T>(`node ${entry}`, r), wallMs: performance.now() - t0 };
}

/** Deno: runs the .ts source itself (checks .ts import specifiers and that nothing needs Node). */
export async function runDeno<T>(entry: string, timeoutMs = 60_000, args: string[] = []): Promise<Run<T>> {
  const deno = join(ROOT, 'node_modules/.bin/deno');
  if (!existsSync(deno)) throw new Error(`deno is not installed (${deno}). Fix: run 'bash scripts/setup.sh' (npm ci installs it).`);
  const t0 = performance.now();
  const r = await exec(deno, ['run', '-A', '--no-lock', entry, ...args], timeoutMs);
  return { result: parseResult<T>(`deno run ${entry}`, r), wallMs: performance.now() - t0 };
}

let context: Promise<{ ctx: BrowserContext; profile: string }> | null = null;

/** One headless Chromium per test file (fresh profile), started on first use. */
function browser(): Promise<{ ctx: BrowserContext; profile: string }> {
  context ??= (async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: the browser tests need Debian's chromium package. ` +
        `Fix: run 'bash scripts/setup.sh' (it installs chromium), or 'apt-get install chromium'.`);
    }
    const profile = mkdtempSync(join(tmpdir(), 'sagan-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--headless=new', '--no-sandbox'],
    });
    return { ctx, profile };
  })();
  return context;
}

/** Closes the browser (call in afterAll) and removes its profile. */
export async function closeBrowser(): Promise<void> {
  if (!context) return;
  const c = context;
  context = null;
  const { ctx, profile } = await c.catch(() => ({ ctx: null, profile: null }));
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
}

export interface PageOutcome {
  /** The text of <pre id="result">, or null. */
  result: string | null;
  /** The text of <pre id="error">, or null. */
  error: string | null;
  /** Console errors and uncaught exceptions of the page. */
  log: string[];
  wallMs: number;
}

/**
 * A fresh page in this file's headless Chromium. `log` collects the page's console errors and uncaught
 * exceptions. `hideWebGPU` removes navigator.gpu before the page runs, to see how a browser without
 * WebGPU is told.
 */
export async function openPage(opts: { hideWebGPU?: boolean } = {}): Promise<{ page: Page; log: string[] }> {
  const { ctx } = await browser();
  const page = await ctx.newPage();
  const log: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') log.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`uncaught: ${e.message}`));
  if (opts.hideWebGPU) {
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
  }
  return { page, log };
}

/**
 * Chromium: bundles `entry` for the browser, serves it from 127.0.0.1 (a secure context, which
 * WebGPU requires) and waits for the page to show a result or an error.
 */
export async function runChromiumPage(entry: string, opts: { hideWebGPU?: boolean; timeoutMs?: number } = {}): Promise<PageOutcome> {
  const r = await build({
    absWorkingDir: ROOT, entryPoints: [entry], outfile: 'program.js', bundle: true, format: 'esm', target: 'es2022',
    platform: 'browser', external: ['webgpu', 'node:*'], logLevel: 'error', write: false,
  });
  const files = new Map<string, { type: string; body: string | Uint8Array }>([
    ['/', { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>running</title><script type="module" src="program.js"></script>' }],
    ['/program.js', { type: 'text/javascript', body: r.outputFiles[0].contents }],
  ]);
  const server = createServer((req, res) => {
    const f = files.get(req.url ?? '');
    res.writeHead(f ? 200 : 404, { 'content-type': f?.type ?? 'text/plain' });
    res.end(f?.body ?? 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { page, log } = await openPage({ hideWebGPU: opts.hideWebGPU });
  try {
    const t0 = performance.now();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    try {
      await page.waitForSelector('#result, #error', { state: 'attached', timeout: opts.timeoutMs ?? 60_000 });
    } catch (e) {
      throw new Error(`the page showed neither a result nor an error: ${(e as Error).message}\n${log.join('\n')}`);
    }
    const text = (id: string) => page.$eval(`#${id}`, (el) => el.textContent).catch(() => null);
    return { result: await text('result'), error: await text('error'), log, wallMs: performance.now() - t0 };
  } finally {
    await page.close();
    server.close();
  }
}

/** Chromium, for a program that must succeed: its parsed result. */
export async function runChromium<T>(entry: string, timeoutMs = 60_000): Promise<Run<T>> {
  const p = await runChromiumPage(entry, { timeoutMs });
  if (p.error !== null || p.result === null) throw new Error(`chromium ${entry} failed: ${p.error}\n${p.log.join('\n')}`);
  return { result: JSON.parse(p.result) as T, wallMs: p.wallMs };
}
