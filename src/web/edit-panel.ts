/**
 * @file The "Edit" card: a generator from checkpoint bytes (the training run's or an uploaded file), a
 * photo (picked, dropped, or a synthetic face), cropped and resized exactly as training data was
 * (src/sagan/edit.ts), the attribute added or removed, and input | edited | mask shown side by side
 * with PNG downloads. Edits run one after another; the model is rebuilt from its bytes after a device loss.
 */
import { edit, generatorFromCheckpoint, imagesToInput } from '../sagan/edit.ts';
import type { Generator } from '../sagan/model.ts';
import { decodeImageAsync, tensorToImage, type Image8 } from '../engine/io/image.ts';
import { encodePng } from '../engine/io/png.ts';
import { sampleFace, sampleAttributes, renderFace, squareTarget, celebaTarget } from '../sagan/data/faces.ts';
import { $, say, download, drawImage8, fileBytes, message } from './dom.ts';
import { SYNTH_SEED, SYNTH_COUNT } from './data.ts';
import { SHIPPED_MODELS, shippedModel } from '../sagan/models.ts';

interface Model {
  bytes: Uint8Array;
  /** Where it came from, for the status line and file names. */
  label: string;
  fromFile: boolean;
  G: Generator | null;
  size: number;
  data: string;
  attribute: string;
}

export class EditPanel {
  private model: Model | null = null;
  private photo: { img: Image8; name: string } | null = null;
  private result: { edited: Image8; mask: Image8 } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private synthIndex = 0;

  constructor() {
    $('photo').addEventListener('change', () => {
      const f = $<HTMLInputElement>('photo').files?.[0];
      if (f) void this.setPhotoFile(f);
    });
    $('edit-synthetic').addEventListener('click', () => this.syntheticPhoto());
    for (const r of document.querySelectorAll<HTMLInputElement>('input[name=target]')) r.addEventListener('change', () => this.update());
    $('edit-download-edited').addEventListener('click', () => this.downloadResult('edited'));
    $('edit-download-mask').addEventListener('click', () => this.downloadResult('mask'));
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const f = e.dataTransfer?.files[0];
      if (f) void this.setPhotoFile(f);
    });
  }

  /**
   * Offers the shipped models (models/ beside the page, listed in models/index.json by the build) in the
   * "Shipped model" list and loads the first one, so a visitor can edit before training anything.
   */
  async offerShipped(): Promise<void> {
    const sel = $<HTMLSelectElement>('edit-shipped');
    const files = await fetch(new URL('models/index.json', document.baseURI))
      .then((r) => (r.ok ? (r.json() as Promise<string[]>) : []))
      .catch(() => [] as string[]);
    const have = SHIPPED_MODELS.filter((m) => files.includes(m.file)).map((m) => m.name);
    sel.replaceChildren(...(have.length ? have : ['']).map((name) => {
      const o = document.createElement('option');
      o.value = name;
      o.textContent = name ? shippedModel(name).attribute.replaceAll('_', ' ') : '(none on this server)';
      return o;
    }));
    sel.disabled = !have.length;
    sel.addEventListener('change', () => void this.loadShipped(sel.value));
    if (have.length && !this.model) await this.loadShipped(have[0]);
  }

  private async loadShipped(name: string): Promise<void> {
    if (!name) return;
    try {
      const r = await fetch(new URL(`models/${shippedModel(name).file}`, document.baseURI));
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      // Not "from a file": a run trained in this page replaces it when it finishes.
      this.loadCheckpoint(new Uint8Array(await r.arrayBuffer()), `shipped model '${name}'`, false);
    } catch (e) {
      say($('edit-model'), `The shipped model '${name}' could not be loaded: ${message(e)}`, 'error');
    }
  }

  /** Whether the current model came from an uploaded file (the training run then does not replace it). */
  get hasFileModel(): boolean {
    return this.model?.fromFile ?? false;
  }

  /** Loads a generator from checkpoint bytes; throws (with `label` in the message) if they are not one. */
  loadCheckpoint(bytes: Uint8Array, label: string, fromFile: boolean): void {
    const g = generatorFromCheckpoint(bytes, label);
    this.model?.G?.dispose();
    this.model = { bytes, label, fromFile, G: g.G, size: g.model.size, data: g.data, attribute: g.attribute };
    const a = g.attribute.replaceAll('_', ' ');
    $('edit-target-add').textContent = `add ${a}`;
    $('edit-target-remove').textContent = `remove ${a}`;
    say($('edit-model'), `Model: ${label} — ${a}, ${g.model.size}² (width ${g.model.width}, ${g.model.nRes} res blocks${g.model.down !== undefined ? `, ${g.model.down} down-sampling stages` : ''}), trained on ${g.data === 'synthetic' ? 'synthetic faces' : `CelebA (${g.data})`}.`, 'ok');
    this.update();
  }

  /** The device is gone: the generator's weights went with it; it is rebuilt from its bytes when next needed. */
  deviceLost(): void {
    if (this.model) this.model.G = null;
  }

  async setPhotoFile(f: File): Promise<void> {
    try {
      const img = await decodeImageAsync(await fileBytes(f));
      this.photo = { img, name: f.name.replace(/\.[^.]*$/, '') || 'photo' };
    } catch (e) {
      say($('edit-status'), `${f.name}: not an image this page can read (${message(e)}). Use a PNG or JPEG photo.`, 'error');
      return;
    }
    this.update();
  }

  /** A held-out synthetic face, framed like the model's training data. */
  private syntheticPhoto(): void {
    const i = SYNTH_COUNT + 1000 + this.synthIndex++;
    const target = !this.model || this.model.data === 'synthetic' ? squareTarget(128) : celebaTarget();
    this.photo = { img: renderFace(sampleFace(SYNTH_SEED, i), sampleAttributes(SYNTH_SEED, i), target), name: `synthetic-${i}` };
    this.update();
  }

  /** Re-runs the edit after any change (queued: one GPU edit at a time). */
  update(): void {
    this.queue = this.queue.then(() => this.render()).catch((e) => say($('edit-status'), message(e), 'error'));
  }

  /** Resolves when queued edits are done. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async render(): Promise<void> {
    const m = this.model, p = this.photo;
    if (!p) return say($('edit-status'), m ? 'Now pick or drop a photo (or use a synthetic face).' : 'Load a model and pick a photo.');
    const S = m?.size ?? 128;
    const x = imagesToInput([p.img], S, m?.data ?? 'synthetic');
    drawImage8($<HTMLCanvasElement>('edit-input'), tensorToImage(x, 3, S, S));
    if (!m) return say($('edit-status'), 'Photo ready: now train a model or load a checkpoint.');
    m.G ??= generatorFromCheckpoint(m.bytes, m.label).G;
    const target = document.querySelector<HTMLInputElement>('input[name=target]:checked')?.value === '0' ? 0 : 1;
    say($('edit-status'), 'Editing…');
    const r = await edit(m.G, x, 1, target);
    this.result = { edited: tensorToImage(r.edited, 3, S, S), mask: tensorToImage(r.mask, 1, S, S, 0, [0, 1]) };
    drawImage8($<HTMLCanvasElement>('edit-output'), this.result.edited);
    drawImage8($<HTMLCanvasElement>('edit-mask'), this.result.mask);
    for (const id of ['edit-download-edited', 'edit-download-mask']) $<HTMLButtonElement>(id).disabled = false;
    let cover = 0;
    for (const v of r.mask) cover += v;
    say($('edit-status'), `${target ? 'Added' : 'Removed'} ${m.attribute.replaceAll('_', ' ')} on ${p.name} (${S}²); the mask covers ${(100 * cover / r.mask.length).toFixed(0)}% of the image.`, 'ok');
    $('edit-status').dataset.edits = String(Number($('edit-status').dataset.edits ?? 0) + 1);
  }

  private downloadResult(which: 'edited' | 'mask'): void {
    if (!this.result || !this.photo) return;
    download(encodePng(this.result[which]), `${this.photo.name}_${which}.png`, 'image/png');
  }
}
