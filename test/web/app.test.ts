/**
 * @file The web app end to end in headless Chromium (SwiftShader), served by `npm run web`'s script:
 * train a tiny SaGAN (16², width 2, 1 res block, batch 2) with a pause and resume, watching the loss
 * plots and the sample grid update; download the checkpoint and check that this process (Node + Dawn)
 * edits the same photo to the same pixels as the page; refuse a corrupt checkpoint and a non-image with
 * clear messages; continue training from an uploaded checkpoint; train on a picked CelebA-layout
 * folder; lose the GPU device and resume from the last checkpoint; tell a browser without WebGPU what
 * to do. Screenshots go to test-artifacts/web/ (the cards also to docs/img/web-{train,edit}.png).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { init, destroyDevice } from '../../src/index.ts';
import { edit, generatorFromCheckpoint, imagesToInput } from '../../src/sagan/edit.ts';
import { decodeImage, tensorToImage, type Image8 } from '../../src/engine/io/image.ts';
import { encodePng } from '../../src/engine/io/png.ts';
import { renderFace, sampleFace, sampleAttributes, celebaTarget } from '../../src/sagan/data/faces.ts';
import { synthesizeCelebA } from '../../src/sagan/data/synth.ts';
import { openPage, closeBrowser, ROOT } from '../runtime/runners.ts';

const OUT = join(ROOT, 'test-artifacts/web');
const STEPS = 2;

let server: ChildProcess;
let url = '';
let page: Page;
let log: string[] = [];
const t0 = performance.now();
const took = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Starts `node scripts/serve-web.mjs` (what `npm run web` runs) on a free port and reads the URL it prints. */
function startServer(): Promise<string> {
  server = spawn(process.execPath, ['scripts/serve-web.mjs', '--port', '0', '--out', join(OUT, 'dist')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((ok, fail) => {
    server.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) ok(m[0]);
    });
    server.stderr!.on('data', (d) => (out += d));
    server.on('exit', (code) => fail(new Error(`serve-web exited with ${code}:\n${out}`)));
  });
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  await init();
  url = await startServer();
  ({ page, log } = await openPage());
  await page.setViewportSize({ width: 1100, height: 900 });
  // Keep a handle on each GPUDevice the page makes, so the test can lose one on purpose; record long tasks.
  await page.addInitScript(() => {
    const w = window as unknown as { __devices: GPUDevice[]; __longTasks: number[] };
    w.__devices = [];
    w.__longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask' });
    const request = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, d?: GPUDeviceDescriptor) {
      const dev = await request.call(this, d);
      w.__devices.push(dev);
      return dev;
    };
  });
}, 60_000);

afterAll(async () => {
  await closeBrowser();
  server?.kill();
  destroyDevice();
});

/** The page's text of #id. */
const text = (id: string) => page.locator(`#${id}`).innerText();

/** Clicks a button that starts a download and returns the downloaded bytes (also kept under OUT). */
async function downloadVia(id: string): Promise<{ bytes: Uint8Array; name: string }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
  const path = join(OUT, d.suggestedFilename());
  await d.saveAs(path);
  return { bytes: new Uint8Array(readFileSync(path)), name: d.suggestedFilename() };
}

function maxDiff(a: Image8, b: Image8): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

// A CelebA-shaped (178×218) synthetic photo: the page and Node must crop and resize it alike.
const photo = encodePng(renderFace(sampleFace(77, 3), sampleAttributes(77, 3), celebaTarget()));
let checkpoint: Uint8Array;
let pageEdited: Uint8Array;

describe('web app (npm run web) in headless Chromium', () => {
  it('loads, shows the GPU adapter, trains a tiny model with pause and resume, live plots and sample grid', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-ready]');
    expect(await page.getAttribute('body', 'data-ready'), `${await text('banner')}\n${log.join('\n')}`).toBe('yes');
    expect(await text('gpu')).toMatch(/^GPU: .+/);

    await page.selectOption('#size', '16');
    await page.click('details summary');
    for (const [id, v] of [['width', 2], ['res', 1], ['batch', 2], ['steps', STEPS], ['sample-every', 1], ['log-every', 1], ['n-critic', 1]] as const) {
      await page.fill(`#${id}`, String(v));
    }
    await page.click('#start');
    await page.waitForSelector('#train-card[data-state="running"]');
    // Pause during iteration 1 (its first run compiles every kernel: by far the longest): it stops after it.
    await page.click('#pause');
    await page.waitForSelector('#train-card[data-state="paused"]', { timeout: 60_000 });
    console.log(`[web] paused after iteration 1 at ${took()}`);
    expect(await text('train-status')).toBe('Paused at iteration 1.');
    expect(await page.getAttribute('#samples', 'data-step')).toBe('1');
    expect(await page.getAttribute('#plot-d', 'data-points')).toBe('1');
    await page.evaluate(() => ((window as unknown as { __longTasks: number[] }).__longTasks = []));

    await page.click('#resume');
    // Plots and the grid update as training goes on.
    await page.waitForSelector('#train-card[data-state="done"]', { timeout: 60_000 });
    console.log(`[web] ${STEPS} iterations done at ${took()}`);
    for (const id of ['plot-d', 'plot-gp', 'plot-g', 'plot-cls', 'plot-rec', 'plot-mask']) {
      expect(await page.getAttribute(`#${id}`, 'data-points'), id).toBe(String(STEPS));
    }
    expect(await page.getAttribute('#samples', 'data-step')).toBe(String(STEPS));
    const grid = await page.locator('#samples').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    expect(grid).toEqual([2 + 4 * 18, 2 + 4 * 18]); // 4 held-out rows × (input | edited | mask | back), 16² cells, 2-px gaps
    expect(await text('train-status')).toMatch(new RegExp(`^Done: ${STEPS} iterations`));
    // Responsive while training: once the kernels exist, no task holds the main thread for long.
    const longest = await page.evaluate(() => Math.max(0, ...(window as unknown as { __longTasks: number[] }).__longTasks));
    console.log(`[web] longest main-thread task during iteration ${STEPS}: ${longest.toFixed(0)} ms`);
    expect(longest).toBeLessThan(1000);
    await page.screenshot({ path: join(OUT, 'train.png'), fullPage: true });
    await page.locator('#train-card').screenshot({ path: join(ROOT, 'docs/img/web-train.png') });
    expect(log).toEqual([]);
  }, 120_000);

  it('downloads a checkpoint that edits a photo to the same pixels in Node as in the page', async () => {
    const ck = await downloadVia('ckpt-download');
    expect(ck.name).toBe(`sagan-Eyeglasses-16px-w2-it${STEPS}.safetensors`);
    checkpoint = ck.bytes;
    // The finished run went to the editor on its own; give it a photo.
    expect(await text('edit-model')).toMatch(new RegExp(`this page's run, iteration ${STEPS} — Eyeglasses, 16²`));
    console.log(`[web] checkpoint downloaded at ${took()}`);
    writeFileSync(join(OUT, 'face.png'), photo);
    await page.setInputFiles('#photo', join(OUT, 'face.png'));
    await page.waitForSelector('#edit-status[data-edits="1"]', { timeout: 30_000 });
    expect(await text('edit-status')).toMatch(/^Added Eyeglasses on face \(16²\)/);
    console.log(`[web] page edit done at ${took()}`);
    pageEdited = (await downloadVia('edit-download-edited')).bytes;
    const pageMask = (await downloadVia('edit-download-mask')).bytes;
    await page.screenshot({ path: join(OUT, 'edit.png'), fullPage: true });
    await page.locator('#edit-card').screenshot({ path: join(ROOT, 'docs/img/web-edit.png') });

    console.log(`[web] screenshots at ${took()}`);
    const { G, model, data } = generatorFromCheckpoint(checkpoint, ck.name);
    expect(model).toEqual({ size: 16, width: 2, nRes: 1, attention: true });
    const x = imagesToInput([decodeImage(photo)], 16, data);
    const r = await edit(G, x, 1, 1);
    G.dispose();
    // Same weights, same input; SwiftShader and lavapipe differ in the last float bits only.
    expect(maxDiff(decodeImage(pageEdited), tensorToImage(r.edited, 3, 16, 16))).toBeLessThanOrEqual(1);
    expect(maxDiff(decodeImage(pageMask), tensorToImage(r.mask, 1, 16, 16, 0, [0, 1]))).toBeLessThanOrEqual(1);
    // …and the edit is not the input passed through.
    expect(maxDiff(decodeImage(pageEdited), tensorToImage(x, 3, 16, 16))).toBeGreaterThan(2);
  }, 60_000);

  it('says what is wrong with a corrupt checkpoint or a file that is not an image', async () => {
    await page.setInputFiles('#ckpt-file', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a checkpoint') });
    await expect.poll(() => text('ckpt-status')).toMatch(/^broken\.safetensors: not a valid safetensors checkpoint/);
    expect(await page.getAttribute('#ckpt-status', 'data-tone')).toBe('error');
    await page.setInputFiles('#ckpt-file', { name: 'cut.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(checkpoint.subarray(0, checkpoint.length >> 1)) });
    await expect.poll(() => text('ckpt-status')).toMatch(/^cut\.safetensors: not a valid safetensors checkpoint/);
    expect(await page.isDisabled('#ckpt-resume')).toBe(true);
    await page.setInputFiles('#photo', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect.poll(() => text('edit-status')).toMatch(/^notes\.txt: not an image this page can read .*Use a PNG or JPEG/);
  });

  it('continues training from an uploaded checkpoint', async () => {
    const edits = Number(await page.getAttribute('#edit-status', 'data-edits'));
    await page.setInputFiles('#ckpt-file', { name: 'mine.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(checkpoint) });
    await expect.poll(() => text('ckpt-status')).toMatch(new RegExp(`^mine\\.safetensors: iteration ${STEPS}, Eyeglasses, 16² width 2, 1 res blocks`));
    await page.waitForSelector(`#edit-status[data-edits="${edits + 1}"]`); // the editor switched to the file
    await page.fill('#steps', String(STEPS + 1));
    await page.click('#ckpt-resume');
    await page.waitForSelector(`#train-card[data-state="done"] #train-status[data-step="${STEPS + 1}"]`, { timeout: 60_000 });
    expect(await page.getAttribute('#plot-d', 'data-points')).toBe('1'); // iteration 3 only: plots restart with the run
    console.log(`[web] continued to iteration ${STEPS + 1} at ${took()}`);
  }, 60_000);

  it('trains on a picked CelebA-layout folder', async () => {
    const dir = join(OUT, 'celeba-mini');
    rmSync(dir, { recursive: true, force: true });
    await synthesizeCelebA(dir, { count: 6, seed: 3, format: 'jpg', masks: false });
    await page.setInputFiles('#celeba-dir', dir);
    await expect.poll(() => text('data-status')).toMatch(/^celeba-mini: 6 images, 40 attributes\.$/);
    expect(await page.locator('#attr option').count()).toBe(40);
    await page.selectOption('#attr', 'Smiling');
    await page.fill('#steps', '1');
    await page.click('#start');
    await page.waitForSelector('#train-card[data-state="done"]', { timeout: 60_000 });
    expect(await page.getAttribute('#samples', 'data-step')).toBe('1');
    const ck = await downloadVia('ckpt-download');
    expect(ck.name).toBe('sagan-Smiling-16px-w2-it1.safetensors');
    const { G, data } = generatorFromCheckpoint(ck.bytes, ck.name);
    G.dispose();
    expect(data).toBe('celeba-mini'); // not 'synthetic': edits crop photos the CelebA way
    console.log(`[web] CelebA folder run done at ${took()}`);
  }, 60_000);

  it('offers to resume from the last checkpoint when the GPU device is lost', async () => {
    const edits = Number(await page.getAttribute('#edit-status', 'data-edits'));
    await page.evaluate(() => (window as unknown as { __devices: GPUDevice[] }).__devices.at(-1)!.destroy());
    await page.waitForSelector('#banner:not([hidden])');
    expect(await text('banner-text')).toMatch(/GPU device was lost/);
    expect(await text('banner-action')).toBe('Resume from the last checkpoint (iteration 1)');
    expect(await text('train-status')).toMatch(/^Stopped: the GPU device was lost/);
    expect(await page.getAttribute('#train-card', 'data-state')).toBe('lost');
    await page.click('#banner-action');
    await page.waitForSelector('#banner[hidden]', { state: 'attached', timeout: 60_000 });
    expect(await text('gpu')).toMatch(/^GPU: /);
    // The CelebA run is back at its checkpoint, on the new device.
    await page.waitForSelector('#train-card[data-state="done"] #train-status[data-step="1"]');
    // The editor holds the uploaded file (= the page's iteration-2 model): rebuilt on the new device, same pixels.
    await page.waitForSelector(`#edit-status[data-edits="${edits + 1}"]`, { timeout: 30_000 });
    expect((await downloadVia('edit-download-edited')).bytes).toEqual(pageEdited);
    console.log(`[web] device-loss recovery done at ${took()}`);
  }, 60_000);

  it('tells a browser without WebGPU which flag or version it needs', async () => {
    const p = await openPage({ hideWebGPU: true });
    try {
      await p.page.goto(url);
      await p.page.waitForSelector('body[data-ready="no-webgpu"]');
      expect(await p.page.locator('#banner-text').innerText()).toMatch(/on Linux keeps WebGPU behind a flag: .*chrome:\/\/flags\/#enable-unsafe-webgpu.*--enable-unsafe-webgpu/);
      expect(await p.page.isVisible('#banner')).toBe(true);
    } finally {
      await p.page.close();
    }
  });
});
