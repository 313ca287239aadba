/**
 * @file The SaGAN training loop (runtime-agnostic: Deno, Node, browsers). Per iteration: n_critic
 * critic steps on fresh batches, then one generator step on the last batch, each inside a tidy()
 * scope so nothing leaks. Losses stay on the GPU as one small tensor per iteration and are read back
 * together every `logEvery` iterations — one readback, not one per scalar or per step.
 * Sample grids and checkpoints are written through an injected `sink`, so the same loop serves the
 * CLI (files) and the web app (downloads, canvas). With config.gEma, an average of G's weights (Gema)
 * follows every generator step; it is what the samples show and what eval, edit and export use.
 */
import {
  Tensor, tensor, rand, grad, tidy, keep, noGrad, readAll, reshape, sub, getRngState, setRngState, manualSeed,
} from '../engine/index.ts';
import { Adam, ParameterEMA, linearDecay, encodePng, tensorGrid, autotune, pendingTunes, tuningState, loadTuning } from '../engine/index.ts';
import { Generator, Discriminator } from './model.ts';
import { discriminatorLoss, generatorLoss, bceWithLogits, type CriticView } from './losses.ts';
import { saveCheckpoint, readCheckpoint } from './checkpoint.ts';
import { diffAugment } from './augment.ts';
import { Rng, hashInts } from './data/rng.ts';
import type { TrainConfig } from './config.ts';
import type { Batch, BatchSource } from './batches.ts';

export { DEFAULT_TRAIN, type TrainConfig } from './config.ts';

/** One line of the JSONL log. */
export interface LogRecord {
  step: number;
  d_loss: number; d_adv: number; gp: number; d_cls: number;
  g_loss: number; g_adv: number; g_cls: number; rec: number; idt: number;
  /** Mean attention mask of the edits (NaN without attention). */
  mask_mean: number;
  lr: number;
  /** Wall seconds per iteration over the log window. */
  sec_per_iter: number;
}
const FIELDS = ['d_loss', 'd_adv', 'gp', 'd_cls', 'g_loss', 'g_adv', 'g_cls', 'rec', 'idt', 'mask_mean'] as const;
/** Critic warm-up steps between readbacks (each one waits for the GPU; see warmupCritic). */
const WARMUP_SYNC_EVERY = 25;

/** Training produced NaN or ±Infinity; nothing from that iteration on was logged or saved. */
export class DivergedError extends Error {}

export interface Progress {
  step: number;
  steps: number;
  itPerSec: number;
  etaSec: number;
  last: LogRecord | null;
}

/** Where the trainer's outputs go. */
export interface TrainerSink {
  log?(rec: LogRecord): void | Promise<void>;
  /** A PNG grid: input | edited | mask | back-translated, one row per held-out sample. */
  samples?(step: number, png: Uint8Array): void | Promise<void>;
  /** Checkpoint bytes (the sink writes them atomically). */
  checkpoint?(step: number, bytes: Uint8Array): void | Promise<void>;
  progress?(p: Progress): void;
}

export class Trainer {
  readonly G: Generator;
  readonly D: Discriminator;
  readonly optG: Adam;
  readonly optD: Adam;
  /** The moving average of G's weights (config.gEma), or null. */
  readonly Gema: Generator | null = null;
  private readonly ema: ParameterEMA | null = null;
  step = 0;
  /** Training batches drawn so far (the data stream's position). */
  batches = 0;
  private pending: { step: number; t: Tensor[]; lr: number }[] = [];
  private windowStart = { step: 0, time: 0 };
  private last: LogRecord | null = null;
  private stopRequested = false;
  private warmedUp = false;

  constructor(readonly config: TrainConfig, readonly data: BatchSource, readonly heldOut: Batch | null, readonly sink: TrainerSink = {}) {
    if (data.size !== config.model.size) throw new Error(`trainer: data is ${data.size}² but the model is ${config.model.size}²`);
    manualSeed(config.seed);
    this.G = new Generator(config.model);
    this.D = new Discriminator(config.model);
    this.optG = new Adam(this.G.parameters(), { lr: config.lrG, betas: config.betas });
    this.optD = new Adam(this.D.parameters(), { lr: config.lrD, betas: config.betas });
    if (config.gEma) {
      // Its initial weights are overwritten by G's: built with the RNG put back, so a run trains exactly as without it.
      const rng = getRngState();
      this.Gema = new Generator(config.model);
      setRngState(rng);
      this.ema = new ParameterEMA(this.Gema.parameters(), this.G.parameters(), config.gEma);
      this.ema.reset();
    }
  }

  /** The generator that samples, eval, edit and export use: the average when there is one. */
  get editor(): Generator {
    return this.Gema ?? this.G;
  }

  /** Restores weights, optimiser states, RNG and data position from a checkpoint. */
  async resume(bytes: Uint8Array, source = 'checkpoint'): Promise<void> {
    const ck = readCheckpoint(bytes, source);
    // checked before anything is loaded: an export holds G only, so D's load would fail with a less helpful message
    if (!ck.optMeta.optG || !ck.optMeta.optD) throw new Error(`${source}: holds no optimiser state (a weights-only export?); cannot resume training from it. Fix: resume from a run folder's checkpoint.safetensors (sagan export keeps G only)`);
    const want = JSON.stringify(this.config.model), got = JSON.stringify(ck.meta.config.model);
    if (want !== got) throw new Error(`${source}: model config ${got} differs from this run's ${want}. Fix: resume with the same --size/--width/--res/--no-attention.`);
    this.G.loadStateDict(ck.parts.G);
    this.D.loadStateDict(ck.parts.D);
    if (this.Gema) {
      if (Object.keys(ck.parts.Gema).length) this.Gema.loadStateDict(ck.parts.Gema);
      else if (ck.meta.config.gEma) throw new Error(`${source}: the run keeps an average of G's weights (gEma ${ck.meta.config.gEma}) but the checkpoint holds none (Gema.*); the file is damaged`);
      else this.ema!.reset(); // --g-ema added on resume: the average starts from the current weights
    }
    await this.optG.loadStateDict({ tensors: ck.parts.optG, metadata: ck.optMeta.optG });
    await this.optD.loadStateDict({ tensors: ck.parts.optD, metadata: ck.optMeta.optD });
    setRngState(ck.meta.rng);
    if (ck.meta.tuning) loadTuning(ck.meta.tuning);
    this.step = ck.meta.step;
    this.batches = ck.meta.batches;
    this.warmedUp = true;
  }

  private lr(base: number): number {
    const c = this.config;
    return c.decayFrom < c.steps ? linearDecay(base, this.step, c.decayFrom, c.steps) : base;
  }

  /**
   * The critic's view for the batch about to be drawn: identity, or DiffAugment with parameters from a CPU
   * stream seeded by (seed, data position) — checkpointed through `batches`, so resume stays exact.
   */
  private criticView(): CriticView {
    const policy = this.config.augment ?? [];
    if (!policy.length) return (x) => x;
    const rng = new Rng(hashInts(this.config.seed, this.batches, 0x41554721));
    return (x) => diffAugment(x, policy, rng);
  }

  private upload(b: Batch): { x: Tensor; c: Tensor } {
    const S = this.config.model.size;
    return { x: tensor(b.images, [b.n, 3, S, S]), c: tensor(b.labels, [b.n]) };
  }

  /**
   * The critic warm-up (config.dWarmup steps of BCE(cls(real), c) on fresh batches); runs once, before
   * iteration 1. Returns the last step's attribute loss (read back; one readback every WARMUP_SYNC_EVERY steps bounds the queue).
   */
  async warmupCritic(onStep?: (i: number, n: number) => void): Promise<number | null> {
    const n = this.config.dWarmup ?? 0;
    if (n <= 0 || this.step > 0 || this.warmedUp) return null;
    const dParams = this.D.parameters();
    let last: Tensor | null = null;
    for (let i = 0; i < n; i++) {
      const view = this.criticView();
      const b = await this.data.batch(this.batches++);
      const l = tidy(() => {
        const { x, c } = this.upload(b);
        const cls = bceWithLogits(this.D.forward(view(x)).cls, c);
        this.optD.step(grad(cls, dParams, { allowUnused: true })); // the critic head (src) gets none
        return noGrad(() => reshape(cls, [1]));
      });
      last?.dispose();
      last = l;
      // A readback now and then keeps the CPU from queueing thousands of steps ahead of the GPU: an
      // unbounded queue grew until Dawn on lavapipe crashed (SIGSEGV) within --d-warmup 3000.
      if ((i + 1) % WARMUP_SYNC_EVERY === 0 && i + 1 < n) await readAll([l]);
      onStep?.(i + 1, n);
    }
    this.warmedUp = true;
    const [v] = await readAll([last!]);
    last!.dispose();
    return v[0];
  }

  /** One iteration; returns its losses in FIELDS order, as kept scalars (read back later, all at once:
   *  a readback copies each into one staging buffer, so gathering them first would only add dispatches). */
  private async iteration(): Promise<Tensor[]> {
    const { nCritic, weights } = this.config;
    this.optD.setLr(this.lr(this.config.lrD));
    this.optG.setLr(this.lr(this.config.lrG));
    const dParams = this.D.parameters(), gParams = this.G.parameters();
    let dStats: Tensor[] = [];
    let last: Batch | null = null;
    for (let i = 0; i < nCritic; i++) {
      const view = this.criticView();
      last = await this.data.batch(this.batches++);
      const b = last;
      const stats = tidy(() => {
        const { x, c } = this.upload(b);
        const d = discriminatorLoss(this.G, this.D, x, c, rand([b.n]), weights, view);
        this.optD.step(grad(d.loss, dParams));
        return i === nCritic - 1 ? [d.loss, d.adv, d.gp, d.cls] : []; // the last critic step's are logged
      });
      dStats = stats;
    }
    const b = last!;
    const gView = this.criticView(); // seeded by the position after the critic's batches: differs from theirs
    const out = tidy(() => {
      const { x, c } = this.upload(b);
      const g = generatorLoss(this.G, this.D, x, c, weights, gView);
      this.optG.step(grad(g.loss, gParams));
      this.ema?.update();
      return [g.loss, g.adv, g.cls, g.rec, g.idt, g.maskMean ?? tensor(NaN)];
    });
    return [...dStats, ...out].map((t) => keep(t));
  }

  /** Reads back and emits the pending log records (one readback for all of them). */
  async flushLog(): Promise<void> {
    if (!this.pending.length) return;
    const vals = await readAll(this.pending.flatMap((p) => p.t));
    const now = performance.now();
    const iters = this.step - this.windowStart.step;
    const spi = iters > 0 ? (now - this.windowStart.time) / 1000 / iters : NaN;
    this.windowStart = { step: this.step, time: now };
    const pending = this.pending;
    this.pending = [];
    for (const [i, p] of pending.entries()) {
      const rec = { step: p.step } as LogRecord;
      FIELDS.forEach((f, j) => (rec[f] = vals[i * FIELDS.length + j][0]));
      // The mask mean is NaN by design without attention; every loss must be finite.
      const bad = FIELDS.filter((f) => f !== 'mask_mean' && !Number.isFinite(rec[f]));
      if (bad.length) {
        for (const q of pending.slice(i)) for (const t of q.t) t.dispose();
        throw new DivergedError(`training diverged: ${bad.map((f) => `${f} = ${rec[f]}`).join(', ')} at iteration ${p.step}. ` +
          `Stopped before logging or saving it: the last checkpoint written is untouched. Fix: a lower --lr, then --resume (or start again with --force).`);
      }
      rec.lr = p.lr;
      rec.sec_per_iter = spi;
      for (const t of p.t) t.dispose();
      this.last = rec;
      await this.sink.log?.(rec);
    }
  }

  /** The sample grid for the held-out batch: input | edited (attribute flipped) | mask | back-translated. */
  async sampleGrid(): Promise<Uint8Array | null> {
    if (!this.heldOut) return null;
    const b = this.heldOut;
    const S = this.config.model.size;
    const ts = noGrad(() => tidy(() => {
      const { x, c } = this.upload(b);
      const t = sub(1, c);
      const e = this.editor.call(x, t);
      const back = this.editor.call(e.image, c).image;
      return [x, e.image, e.mask ?? tensor(new Float32Array(b.n * S * S).fill(1), [b.n, 1, S, S]), back];
    }));
    const [x, e, m, bk] = await readAll(ts);
    ts.forEach((t) => t.dispose());
    const grid = tensorGrid([
      { data: x, shape: [b.n, 3, S, S] }, { data: e, shape: [b.n, 3, S, S] },
      { data: m, shape: [b.n, 1, S, S], range: [0, 1] }, { data: bk, shape: [b.n, 3, S, S] },
    ]);
    return encodePng(grid);
  }

  /** The checkpoint; refuses (DivergedError) to produce one whose weights are not all finite. */
  async checkpointBytes(): Promise<Uint8Array> {
    const bytes = await saveCheckpoint(this.G, this.D, this.optG, this.optD, { step: this.step, config: this.config, rng: getRngState(), batches: this.batches, tuning: tuningState() }, this.Gema);
    try {
      readCheckpoint(bytes, `the checkpoint of iteration ${this.step}`); // the loader's checks, before anything is written
    } catch (e) {
      throw new DivergedError(`training diverged: ${(e as Error).message} Not written: the last checkpoint on disk is untouched.`);
    }
    return bytes;
  }

  /** Frees the networks' and optimisers' GPU memory (the trainer is unusable after). */
  dispose(): void {
    for (const m of [this.G, this.D, this.optG, this.optD, this.Gema]) m?.dispose();
  }

  /** Asks `run` to stop after the current iteration (the browser's pause button). */
  stop(): void {
    this.stopRequested = true;
  }

  /** Trains until `config.steps` (or `until`), logging, sampling and checkpointing as configured. */
  async run(until = this.config.steps): Promise<void> {
    const c = this.config;
    this.stopRequested = false;
    await this.warmupCritic();
    const t0 = performance.now(), s0 = this.step;
    this.windowStart = { step: this.step, time: t0 };
    while (this.step < until && !this.stopRequested) {
      const lr = this.lr(c.lrG);
      const stats = await this.iteration();
      // New shapes on an autotuning device (a GPU): time their candidate kernels once, after the
      // iteration that met them (it ran the defaults); the choices go into the checkpoints.
      if (pendingTunes()) await autotune();
      this.step++;
      this.pending.push({ step: this.step, t: stats, lr });
      const done = this.step >= until;
      if (this.step % c.logEvery === 0 || done) await this.flushLog();
      if (this.step % c.sampleEvery === 0 || done) {
        const png = await this.sampleGrid();
        if (png) await this.sink.samples?.(this.step, png);
      }
      if (this.step % c.checkpointEvery === 0 || done) {
        // Log first: the log then always reaches the checkpoint's step, and a non-finite loss stops the run before it is saved.
        await this.flushLog();
        await this.sink.checkpoint?.(this.step, await this.checkpointBytes());
      }
      const el = (performance.now() - t0) / 1000;
      const rate = (this.step - s0) / el;
      this.sink.progress?.({ step: this.step, steps: until, itPerSec: rate, etaSec: (until - this.step) / rate, last: this.last });
    }
    await this.flushLog();
  }
}
