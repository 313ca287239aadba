#!/usr/bin/env node
/**
 * @file `npm run web`: builds the web app (esbuild bundles src/web/main.ts; index.html and styles.css
 * are copied) into dist/web and serves it on http://127.0.0.1:<port> — a secure context, which WebGPU
 * requires — then prints the URL. `buildWeb()` is also what scripts/build.mjs calls.
 * Options: --port N (default 8080, or $PORT; 0 = any free port; a busy port moves on to the next one);
 * --out DIR (default dist/web; the e2e test builds elsewhere so a concurrent `npm run build` cannot
 * rewrite the files under the page it is loading).
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STATIC = ['index.html', 'styles.css'];

/** Bundles the page into `out` (main.js + the static files); returns the files written. */
export async function buildWeb(out = join(root, 'dist/web')) {
  mkdirSync(out, { recursive: true });
  await build({
    absWorkingDir: root, entryPoints: { main: 'src/web/main.ts' }, outdir: out, bundle: true, format: 'esm',
    target: 'es2022', platform: 'browser', sourcemap: 'linked', logLevel: 'warning',
    // init() loads Dawn ('webgpu') and files.ts loads node:fs only outside browsers.
    external: ['webgpu', 'node:*'],
  });
  for (const f of STATIC) copyFileSync(join(root, 'src/web', f), join(out, f));
  // The shipped models, copied to models/ beside the page with an index the page reads (always written,
  // so a build without models serves an empty list rather than 404s).
  const models = existsSync(join(root, 'models')) ? readdirSync(join(root, 'models')).filter((f) => f.endsWith('.safetensors')).sort() : [];
  mkdirSync(join(out, 'models'), { recursive: true });
  for (const f of models) copyFileSync(join(root, 'models', f), join(out, 'models', f));
  writeFileSync(join(out, 'models', 'index.json'), JSON.stringify(models) + '\n');
  return ['main.js', ...STATIC, 'models/index.json', ...models.map((f) => `models/${f}`)].map((f) => relative(root, join(out, f)));
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json',
  '.png': 'image/png', '.json': 'application/json', '.safetensors': 'application/octet-stream', '.ico': 'image/x-icon',
};

/** Serves the folder `dir` on 127.0.0.1; resolves to the URL once listening. */
export function serveWeb(port, dir) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    let body = null;
    try {
      if (!relative(dir, file).startsWith('..') && statSync(file).isFile()) body = readFileSync(file);
    } catch { /* not found */ }
    res.writeHead(body ? 200 : 404, { 'content-type': body ? TYPES[extname(file)] ?? 'application/octet-stream' : 'text/plain', 'cache-control': 'no-store' });
    res.end(body ?? 'not found');
  });
  return new Promise((ok, fail) => {
    const listen = (p) => server.listen(p, '127.0.0.1');
    server.on('error', (e) => {
      if (e.code === 'EADDRINUSE' && port !== 0 && port < 65535) listen(++port);
      else fail(e);
    });
    server.on('listening', () => ok({ url: `http://127.0.0.1:${server.address().port}/`, server }));
    listen(port);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const portText = flag('--port') ?? process.env.PORT ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve-web: --port must be an integer 0…65535, got '${portText}'`);
    process.exit(2);
  }
  const out = resolve(root, flag('--out') ?? 'dist/web');
  const t0 = performance.now();
  await buildWeb(out);
  const { url } = await serveWeb(port, out);
  console.log(`[web] built ${relative(root, out)} in ${Math.round(performance.now() - t0)} ms`);
  console.log(`[web] SaGAN in the browser: ${url}`);
  console.log('[web] open it in Chrome/Edge 113+ (Linux: chrome://flags/#enable-unsafe-webgpu), Firefox 141+ or Safari 26+; Ctrl-C stops');
}
