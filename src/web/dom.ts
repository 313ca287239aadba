/**
 * @file Small DOM helpers for the web app: typed element lookup, status lines, downloads, reading a
 * picked File, drawing an 8-bit image on a canvas, and yielding the main thread between GPU steps.
 */
import type { Image8 } from '../engine/io/types.ts';

/** The element with this id (throws if the page lacks it: a bug in index.html, not user input). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: #${id} is missing from index.html`);
  return el as T;
}

export type Tone = 'info' | 'ok' | 'error';

/** Sets a status line's text and tone (CSS colours it by data-tone). */
export function say(el: HTMLElement, text: string, tone: Tone = 'info'): void {
  el.textContent = text;
  el.dataset.tone = tone;
}

/** Offers bytes as a file download. */
export function download(bytes: Uint8Array, name: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function fileBytes(f: Blob): Promise<Uint8Array> {
  return new Uint8Array(await f.arrayBuffer());
}

/** Draws an Image8 (1, 3 or 4 channels) at its own size; CSS scales the canvas up. */
export function drawImage8(canvas: HTMLCanvasElement, img: Image8): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const rgba = new ImageData(img.width, img.height);
  const c = img.channels;
  for (let i = 0; i < img.width * img.height; i++) {
    const s = i * c;
    rgba.data[i * 4] = img.data[s]!;
    rgba.data[i * 4 + 1] = img.data[c >= 3 ? s + 1 : s]!;
    rgba.data[i * 4 + 2] = img.data[c >= 3 ? s + 2 : s]!;
    rgba.data[i * 4 + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(rgba, 0, 0);
}

/**
 * Resolves in a fresh task, so input events and painting run between training steps. A MessageChannel
 * post is not clamped to 4 ms like nested setTimeout(0).
 */
export function nextTask(): Promise<void> {
  return new Promise((done) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      done();
    };
    ch.port2.postMessage(null);
  });
}

export { formatDuration } from '../sagan/format.ts';

/** An error's message without a leading "Error: ". */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
