/**
 * @file The "Train" card: the form (data, attribute, model size, batch, schedule), start / pause /
 * resume of one Trainer, live loss plots, the sample grid, it/s and ETA, and the latest checkpoint
 * (kept in memory for downloads and for recovering from a lost GPU device).
 * The Trainer runs on the main thread but never for long at a stretch: every batch is handed over in a
 * fresh task (data.ts), losses are read back `logEvery` iterations at a time, grids every `sampleEvery`.
 */
import { DEFAULT_TRAIN, Trainer, type LogRecord, type TrainConfig } from '../sagan/trainer.ts';
import { readCheckpoint } from '../sagan/checkpoint.ts';
import { SAGAN_ATTRIBUTES } from '../sagan/data/attrs.ts';
import { $, say, formatDuration, message } from './dom.ts';
import { LinePlot } from './plot.ts';
import { pickFolder, trainingData, SYNTH_COUNT, type PickedFolder } from './data.ts';

export type TrainState = 'idle' | 'preparing' | 'running' | 'paused' | 'done' | 'failed' | 'lost';

export interface Snapshot {
  bytes: Uint8Array;
  step: number;
  config: TrainConfig;
}

/** The page's number fields: id, what the error calls it, smallest value. */
const INT_FIELDS = {
  width: ['width', 1], res: ['residual blocks', 0], batch: ['batch', 1], steps: ['iterations', 1],
  'sample-every': ['samples every', 1], 'log-every': ['plot every', 1], 'ckpt-every': ['checkpoint every', 1],
  'n-critic': ['critic steps', 1], seed: ['seed', 0],
} as const;

export class TrainPanel {
  private trainer: Trainer | null = null;
  private running: Promise<void> | null = null;
  private state: TrainState = 'idle';
  private folder: PickedFolder | null = null;
  private gridUrl = '';
  /** Bumped when the device is lost: work started before then must not touch the page any more. */
  private generation = 0;
  /** The latest checkpoint (written every `checkpointEvery` iterations, at the end, and on demand). */
  last: Snapshot | null = null;
  /** Called when the state changes or a checkpoint is taken. */
  onChange: (state: TrainState) => void = () => {};
  private readonly plots: Record<string, { plot: LinePlot; fields: (keyof LogRecord)[] }>;

  constructor() {
    const p = (id: string, title: string, series: [keyof LogRecord, string, string][]) => ({
      plot: new LinePlot($<HTMLCanvasElement>(id), title, series.map(([, label, color]) => ({ label, color }))),
      fields: series.map(([f]) => f),
    });
    this.plots = {
      d: p('plot-d', 'Critic D', [['d_loss', 'D', '#1f77b4'], ['d_adv', 'adv', '#9ecae1']]),
      gp: p('plot-gp', 'Gradient penalty', [['gp', 'GP', '#d62728']]),
      g: p('plot-g', 'Generator G', [['g_loss', 'G', '#2ca02c'], ['g_adv', 'adv', '#98df8a']]),
      cls: p('plot-cls', 'Attribute classification', [['d_cls', 'D real', '#9467bd'], ['g_cls', 'G fake', '#ff7f0e']]),
      rec: p('plot-rec', 'Reconstruction', [['rec', 'rec', '#8c564b'], ['idt', 'identity', '#e377c2']]),
      mask: p('plot-mask', 'Mean attention mask', [['mask_mean', 'mask', '#17becf']]),
    };
    this.fillAttributes([...SAGAN_ATTRIBUTES]);
    $('start').addEventListener('click', () => void this.start());
    $('pause').addEventListener('click', () => void this.pause());
    $('resume').addEventListener('click', () => void this.resume());
    $('celeba-dir').addEventListener('change', () => void this.pickFolder());
    for (const r of document.querySelectorAll<HTMLInputElement>('input[name=data]')) r.addEventListener('change', () => this.dataChanged());
    this.render();
  }

  get status(): TrainState {
    return this.state;
  }

  /** Whether there is a run (running, paused or done) to snapshot. */
  get hasRun(): boolean {
    return this.trainer !== null;
  }

  get step(): number {
    return this.trainer?.step ?? 0;
  }

  private dataKind(): 'synthetic' | 'celeba' {
    return document.querySelector<HTMLInputElement>('input[name=data]:checked')?.value === 'celeba' ? 'celeba' : 'synthetic';
  }

  private fillAttributes(names: string[], keep = $<HTMLSelectElement>('attr').value): void {
    const sel = $<HTMLSelectElement>('attr');
    sel.replaceChildren(...names.map((n) => new Option(n.replaceAll('_', ' '), n)));
    sel.value = names.includes(keep) ? keep : names.includes('Eyeglasses') ? 'Eyeglasses' : names[0]!;
  }

  private dataChanged(): void {
    const celeba = this.dataKind() === 'celeba';
    this.fillAttributes(celeba && this.folder ? this.folder.attributes : [...SAGAN_ATTRIBUTES]);
    if (celeba && !this.folder) say($('data-status'), 'Pick a CelebA-layout folder: list_attr_celeba.txt and img_align_celeba/.');
    else if (!celeba) say($('data-status'), `Synthetic faces: rendered in this page as training needs them (set of ${SYNTH_COUNT}).`);
  }

  private async pickFolder(): Promise<void> {
    const input = $<HTMLInputElement>('celeba-dir');
    if (!input.files?.length) return;
    say($('data-status'), `Reading ${input.files.length} files…`);
    try {
      this.folder = await pickFolder(input.files);
      (document.querySelector('input[name=data][value=celeba]') as HTMLInputElement).checked = true;
      this.dataChanged();
      say($('data-status'), `${this.folder.root || 'picked folder'}: ${this.folder.images.toLocaleString('en')} images, ${this.folder.attributes.length} attributes.`, 'ok');
    } catch (e) {
      this.folder = null;
      say($('data-status'), message(e), 'error');
    }
  }

  /** The run configuration from the form; throws naming the field that is wrong. */
  private readForm(): TrainConfig {
    const n: Record<string, number> = {};
    for (const [id, [what, min]] of Object.entries(INT_FIELDS)) {
      const v = Number($<HTMLInputElement>(id).value);
      if (!Number.isInteger(v) || v < min) throw new Error(`${what} must be a whole number ≥ ${min}, not '${$<HTMLInputElement>(id).value}'`);
      n[id] = v;
    }
    const lr = Number($<HTMLInputElement>('lr').value);
    if (!(lr > 0 && lr < 1)) throw new Error(`learning rate must be between 0 and 1, not '${$<HTMLInputElement>('lr').value}'`);
    return {
      ...DEFAULT_TRAIN,
      attribute: $<HTMLSelectElement>('attr').value,
      data: this.dataKind() === 'synthetic' ? 'synthetic' : this.folder?.root || 'celeba',
      model: { size: Number($<HTMLSelectElement>('size').value), width: n.width!, nRes: n.res!, attention: true },
      batchSize: n.batch!, steps: n.steps!, nCritic: n['n-critic']!, lrG: lr, lrD: lr, seed: n.seed!,
      logEvery: n['log-every']!, sampleEvery: n['sample-every']!, checkpointEvery: n['ckpt-every']!,
    };
  }

  /** Shows a checkpoint's configuration in the form (before continuing from it). */
  private writeForm(c: TrainConfig): void {
    const set = (id: string, v: unknown) => ($<HTMLInputElement>(id).value = String(v));
    (document.querySelector(`input[name=data][value=${c.data === 'synthetic' ? 'synthetic' : 'celeba'}]`) as HTMLInputElement).checked = true;
    this.dataChanged();
    this.fillAttributes([...$<HTMLSelectElement>('attr').options].map((o) => o.value), c.attribute);
    set('size', c.model.size); set('width', c.model.width); set('res', c.model.nRes); set('batch', c.batchSize);
    set('n-critic', c.nCritic); set('lr', c.lrG); set('seed', c.seed);
    if (Number($<HTMLInputElement>('steps').value) <= this.step) set('steps', c.steps > this.step ? c.steps : this.step + 1000);
  }

  /** A new run from the form's settings (replacing any earlier one). */
  async start(): Promise<void> {
    if (this.running) return;
    let config: TrainConfig;
    try {
      config = this.readForm();
    } catch (e) {
      return this.fail(e);
    }
    await this.open(config, null);
  }

  /** Continues training from checkpoint bytes with their configuration (iterations from the form if higher). */
  async continueFrom(bytes: Uint8Array, source: string): Promise<void> {
    if (this.running) await this.pause();
    let config: TrainConfig;
    try {
      const ck = readCheckpoint(bytes, source);
      const c = ck.meta.config;
      config = { ...DEFAULT_TRAIN, ...c, steps: Math.max(c.steps, Number($<HTMLInputElement>('steps').value) || 0, ck.meta.step + 1) };
      if (config.data !== 'synthetic' && !this.folder) throw new Error(`${source} was trained on the CelebA folder '${config.data}': pick that folder above, then continue`);
      this.writeForm(config);
      if (config.data !== 'synthetic') config.data = this.folder!.root || config.data;
    } catch (e) {
      return this.fail(e);
    }
    await this.open(config, { bytes, source });
  }

  private async open(config: TrainConfig, from: { bytes: Uint8Array; source: string } | null, run = true): Promise<void> {
    this.dispose();
    this.setState('preparing');
    say($('train-status'), 'Preparing data and compiling GPU kernels…');
    const gen = this.generation;
    let t: Trainer;
    try {
      const kind = config.data === 'synthetic' ? 'synthetic' : 'celeba';
      const { data, heldOut, notes } = await trainingData(kind, this.folder, config);
      if (notes.length) say($('data-status'), notes.join(' '));
      t = new Trainer(config, data, heldOut, {
        log: (r) => this.logged(r),
        samples: (step, png) => this.showSamples(step, png),
        checkpoint: (step, bytes) => this.keepCheckpoint(step, bytes),
        progress: (p) => this.progress(p.step, p.steps, p.itPerSec, p.etaSec),
      });
      this.trainer = t;
      if (from) await t.resume(from.bytes, from.source);
    } catch (e) {
      if (gen === this.generation) this.fail(e);
      return;
    }
    if (gen !== this.generation) return;
    for (const { plot } of Object.values(this.plots)) plot.clear();
    this.last = from ? { bytes: from.bytes, step: t.step, config } : null;
    this.progress(t.step, config.steps, NaN, NaN);
    if (run) this.loop();
    else this.setState(t.step >= config.steps ? 'done' : 'paused');
  }

  /** Runs the trainer until it is done, paused, or the device goes. */
  private loop(): void {
    const t = this.trainer!, gen = this.generation;
    this.setState('running');
    const done: Promise<void> = t.run().then(
      () => {
        if (gen === this.generation) this.setState(t.step >= t.config.steps ? 'done' : 'paused');
      },
      async (e) => {
        // A lost device also fails the step in flight; its own event (main.ts) may arrive a moment later.
        await new Promise((r) => setTimeout(r, 250));
        if (gen === this.generation) this.fail(e);
      },
    ).finally(() => {
      if (this.running === done) this.running = null;
    });
    this.running = done;
  }

  /** Stops after the iteration in flight (and after the GPU has caught up with the queued work). */
  async pause(): Promise<void> {
    if (!this.running) return;
    this.trainer?.stop();
    say($('train-status'), `Pausing after iteration ${this.step}, once the GPU has caught up…`);
    await this.running;
  }

  /** Continues the paused run; a raised iteration count or changed intervals in the form apply. */
  async resume(): Promise<void> {
    const t = this.trainer;
    if (!t || this.running) return;
    try {
      const f = this.readForm();
      Object.assign(t.config, { steps: Math.max(f.steps, t.step), sampleEvery: f.sampleEvery, logEvery: f.logEvery, checkpointEvery: f.checkpointEvery });
    } catch (e) {
      return this.fail(e);
    }
    if (t.step >= t.config.steps) {
      say($('train-status'), `Already at iteration ${t.step}: raise Iterations, then Resume.`, 'error');
      return;
    }
    this.loop();
  }

  /** A checkpoint of the current state, taken between iterations (pausing and resuming around it). */
  async snapshot(): Promise<Snapshot | null> {
    const t = this.trainer;
    if (!t || this.state === 'lost' || this.state === 'preparing') return this.last;
    const wasRunning = this.running !== null;
    if (wasRunning) await this.pause();
    if (!this.last || this.last.step !== t.step) this.keepCheckpoint(t.step, await t.checkpointBytes());
    if (wasRunning && this.state === 'paused') this.loop();
    return this.last;
  }

  /** The device is gone: the trainer's tensors are dead. Keeps the last checkpoint to recover from. */
  deviceLost(): void {
    this.generation++;
    this.trainer = null; // its buffers belonged to the lost device; nothing to dispose
    this.running = null;
    this.setState('lost');
    say($('train-status'), `Stopped: the GPU device was lost${this.last ? ` (last checkpoint: iteration ${this.last.step})` : ''}.`, 'error');
  }

  /** After a new device: rebuilds the run from the last checkpoint; `run`: and continues training. */
  async recover(run: boolean): Promise<void> {
    const last = this.last;
    if (!last) return this.setState('idle');
    await this.open({ ...last.config }, { bytes: last.bytes, source: `checkpoint of iteration ${last.step}` }, run);
  }

  private dispose(): void {
    const t = this.trainer;
    this.trainer = null;
    t?.dispose();
  }

  private logged(r: LogRecord): void {
    for (const { plot, fields } of Object.values(this.plots)) plot.push(r.step, fields.map((f) => r[f]));
  }

  private showSamples(step: number, png: Uint8Array): void {
    const img = $<HTMLImageElement>('samples');
    if (this.gridUrl) URL.revokeObjectURL(this.gridUrl);
    this.gridUrl = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }));
    img.src = this.gridUrl;
    img.dataset.step = String(step);
    $('samples-caption').textContent = `Held-out faces at iteration ${step}: input | edited (attribute flipped) | attention mask | edited back.`;
  }

  private keepCheckpoint(step: number, bytes: Uint8Array): void {
    this.last = { bytes, step, config: this.trainer!.config };
    this.onChange(this.state);
  }

  private progress(step: number, steps: number, itPerSec: number, etaSec: number): void {
    const bar = $<HTMLProgressElement>('progress');
    bar.max = steps;
    bar.value = step;
    const rate = Number.isFinite(itPerSec) ? `${itPerSec < 1 ? itPerSec.toFixed(2) : itPerSec.toFixed(1)} it/s` : '– it/s';
    say($('train-status'), `Iteration ${step} / ${steps} · ${rate} · ETA ${formatDuration(etaSec)}`);
    $('train-status').dataset.step = String(step);
  }

  private fail(e: unknown): void {
    this.setState(this.trainer ? 'paused' : 'failed');
    say($('train-status'), message(e), 'error');
  }

  private setState(s: TrainState): void {
    this.state = s;
    this.render();
    this.onChange(s);
    if (s === 'done') say($('train-status'), `Done: ${this.step} iterations. Raise Iterations and press Resume to train on.`, 'ok');
    if (s === 'paused' && this.trainer) say($('train-status'), `Paused at iteration ${this.step}.`);
  }

  private render(): void {
    const s = this.state, busy = s === 'running' || s === 'preparing';
    $<HTMLButtonElement>('start').disabled = busy || s === 'lost';
    $<HTMLButtonElement>('start').textContent = this.trainer ? 'Start over' : 'Start';
    $<HTMLButtonElement>('pause').disabled = s !== 'running';
    $<HTMLButtonElement>('resume').disabled = busy || !this.trainer;
    $('train-card').dataset.state = s;
    for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('#train-form .model')) el.disabled = busy;
  }
}
