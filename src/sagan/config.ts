/**
 * @file The training configuration, in one place: its type, the defaults (which `sagan train`'s flag
 * table, the web app and the tests all start from), the allowed range of every number (which the
 * flag table and the checkpoint loader both check against), the synthetic face set's seed and size,
 * and `checkTrainConfig`, which turns a checkpoint's stored config back into a typed one or says
 * which field is wrong.
 */
import { PAPER_WEIGHTS, type LossWeights } from './losses.ts';
import { PAPER_CONFIG, checkModelConfig, type ModelConfig } from './model.ts';
import { AUGMENTS, type Augment } from './augment.ts';

/** The synthetic face set every command defaults to: faces 0 … count−1 of this seed train; the next ones are held out. */
export const SYNTHETIC_SET = { seed: 2018, count: 4000 } as const;

/** A deliberate change made when resuming (`--steps`, `--new-lr`, `--decay-from` (−1: never), `--g-ema` (0: none)), kept in the config and printed. */
export interface ConfigChange {
  /** The iteration the run was resumed at. */
  step: number;
  field: 'steps' | 'lr' | 'decayFrom' | 'gEma' | 'rec' | 'idtMask' | 'cls' | 'clsFake';
  from: number;
  to: number;
}

export interface TrainConfig {
  attribute: string;
  /** 'synthetic' or a CelebA-layout folder. */
  data: string;
  /** Synthetic data: seed and size of the training face set (held-out faces follow it; `sagan eval` reads them). */
  dataSeed?: number;
  dataCount?: number;
  /** CelebA folder split by count: the first trainCount images train (absent: list_eval_partition.txt, or all images). */
  trainCount?: number;
  model: ModelConfig;
  batchSize: number;
  /** Iterations (each: nCritic D steps + 1 G step). */
  steps: number;
  /**
   * Critic warm-up: D steps on the attribute loss alone (BCE on real images) before the first
   * iteration; 0 in the paper. A short run needs it: the identity loss (×100) closes the attention
   * mask within ~100 iterations, long before a critic trained from scratch tells the attribute apart,
   * and a closed mask barely reopens. With a warmed-up critic the generator gets an attribute signal
   * from its first step (PyTorch, 32² w8: edits after ~50 instead of ~300 iterations).
   */
  dWarmup?: number;
  nCritic: number;
  /**
   * Not in the paper (absent or empty there): differentiable augmentation of everything the critic sees
   * (augment.ts: color, translation, cutout), so its judgement rests on what survives those transforms.
   */
  augment?: Augment[];
  lrG: number;
  lrD: number;
  betas: [number, number];
  /** Linear decay of both learning rates to 0 from this iteration on (≥ steps: none). */
  decayFrom: number;
  weights: LossWeights;
  /**
   * Not in the paper (absent: none): β of an exponential moving average of G's weights, kept beside G
   * and checkpointed as `Gema.*`; samples, `eval`, `edit` and `export` use the average. The edits of
   * single snapshots swing from one 100 iterations to the next (docs/training-recipes.md); the average
   * of a run's weights over its last few hundred iterations edits better than any of them.
   */
  gEma?: number;
  seed: number;
  logEvery: number;
  sampleEvery: number;
  checkpointEvery: number;
  /** Changes made on resume, oldest first. */
  changes?: ConfigChange[];
}

/** The defaults: `sagan train` with no flags (the paper's model and settings, synthetic faces). */
export const DEFAULT_TRAIN: TrainConfig = {
  attribute: 'Eyeglasses', data: 'synthetic', model: PAPER_CONFIG,
  batchSize: 16, steps: 10000, nCritic: 3, lrG: 2e-4, lrD: 2e-4, betas: [0.5, 0.999], decayFrom: Infinity, dWarmup: 0,
  weights: PAPER_WEIGHTS, seed: 1, logEvery: 10, sampleEvery: 250, checkpointEvery: 500,
};

export interface Range {
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
  int?: boolean;
}

/** The allowed range of each numeric setting: the CLI flags spread these, the checkpoint loader checks them. */
export const RANGES = {
  size: { min: 16, int: true }, width: { min: 1, int: true }, nRes: { min: 0, int: true }, down: { min: 0, int: true },
  batchSize: { min: 1, int: true }, steps: { min: 1, int: true }, nCritic: { min: 1, int: true },
  lr: { above: 0, max: 1 }, dWarmup: { min: 0, int: true }, seed: { min: 0, max: 2 ** 32 - 1, int: true },
  dataSeed: { min: 0, max: 2 ** 32 - 1, int: true }, dataCount: { min: 1, int: true }, trainCount: { min: 1, int: true },
  logEvery: { min: 1, int: true }, sampleEvery: { min: 1, int: true }, checkpointEvery: { min: 1, int: true },
  step: { min: 0, int: true }, batches: { min: 0, int: true }, gEma: { above: 0, max: 0.9999 },
} satisfies Record<string, Range>;

/** The bounds part of a range, for a flag (`{ ...bounds(RANGES.steps) }`). */
export function bounds(r: Range): { min?: number; max?: number; above?: number } {
  return { min: r.min, max: r.max, above: r.above };
}

/** What `v` must be, or null when it is in range. */
export function rangeProblem(v: unknown, r: Range): string | null {
  const ok = typeof v === 'number' && Number.isFinite(v) && (!r.int || Number.isInteger(v)) &&
    (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max) && (r.above === undefined || v > r.above);
  if (ok) return null;
  const parts = [r.int ? 'an integer' : 'a number'];
  if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  return `must be ${parts.join(' ')}`;
}

/**
 * A stored config (parsed JSON from a checkpoint) as a typed TrainConfig; throws naming `where` and
 * the first wrong field. decayFrom is stored as null for "never" (JSON has no Infinity).
 */
export function checkTrainConfig(c: unknown, where: string): TrainConfig {
  const fail = (field: string, what: string, v: unknown): never => {
    throw new Error(`${where}: config field '${field}' ${what}, got ${JSON.stringify(v) ?? String(v)}`);
  };
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return fail('config', 'must be an object', c);
  const o = c as Record<string, unknown>;
  const num = (field: string, r: Range, optional = false) => {
    if (optional && o[field] === undefined) return;
    const p = rangeProblem(o[field], r);
    if (p) fail(field, p, o[field]);
  };
  for (const f of ['attribute', 'data'] as const) if (typeof o[f] !== 'string' || o[f] === '') fail(f, 'must be a non-empty string', o[f]);
  const m = o.model as Record<string, unknown> | undefined;
  if (typeof m !== 'object' || m === null) fail('model', 'must be an object', m);
  for (const [f, r] of [['size', RANGES.size], ['width', RANGES.width], ['nRes', RANGES.nRes]] as const) {
    const p = rangeProblem(m![f], r);
    if (p) fail(`model.${f}`, p, m![f]);
  }
  if (m!.down !== undefined) {
    const p = rangeProblem(m!.down, RANGES.down);
    if (p) fail('model.down', p, m!.down);
  }
  if (typeof m!.attention !== 'boolean') fail('model.attention', 'must be true or false', m!.attention);
  for (const f of ['residual', 'condNorm', 'zeroInit'] as const) if (m![f] !== undefined && typeof m![f] !== 'boolean') fail(`model.${f}`, 'must be true or false', m![f]);
  try {
    checkModelConfig(m as unknown as ModelConfig);
  } catch (e) {
    fail('model', (e as Error).message, m);
  }
  num('batchSize', RANGES.batchSize); num('steps', RANGES.steps); num('nCritic', RANGES.nCritic);
  num('lrG', RANGES.lr); num('lrD', RANGES.lr); num('seed', RANGES.seed);
  num('logEvery', RANGES.logEvery); num('sampleEvery', RANGES.sampleEvery); num('checkpointEvery', RANGES.checkpointEvery);
  num('dWarmup', RANGES.dWarmup, true); num('dataSeed', RANGES.dataSeed, true); num('dataCount', RANGES.dataCount, true);
  num('trainCount', RANGES.trainCount, true); num('gEma', RANGES.gEma, true);
  if (o.decayFrom !== null && o.decayFrom !== undefined) num('decayFrom', { min: 0, int: true });
  const b = o.betas;
  if (!Array.isArray(b) || b.length !== 2 || b.some((x) => rangeProblem(x, { min: 0, max: 1 }) !== null || x === 1)) fail('betas', 'must be two numbers in [0, 1)', b);
  const w = o.weights as Record<string, unknown> | undefined;
  if (typeof w !== 'object' || w === null) fail('weights', 'must be an object', w);
  for (const k of Object.keys(PAPER_WEIGHTS)) if (rangeProblem(w![k], { min: 0 })) fail(`weights.${k}`, 'must be a number ≥ 0', w![k]);
  if (w!.clsFake !== undefined && rangeProblem(w!.clsFake, { min: 0 })) fail('weights.clsFake', 'must be a number ≥ 0', w!.clsFake);
  if (w!.idtMask !== undefined && rangeProblem(w!.idtMask, { min: 0, max: 1 })) fail('weights.idtMask', 'must be a number 0 … 1', w!.idtMask);
  if (o.augment !== undefined && (!Array.isArray(o.augment) || o.augment.some((a) => !AUGMENTS.includes(a)))) {
    fail('augment', `must be a list of ${AUGMENTS.join(', ')}`, o.augment);
  }
  if (o.changes !== undefined && !Array.isArray(o.changes)) fail('changes', 'must be a list', o.changes);
  return { ...(o as unknown as TrainConfig), decayFrom: typeof o.decayFrom === 'number' ? o.decayFrom : Infinity };
}

/** The config as JSON (config.json, checkpoint metadata): Infinity becomes null. */
export function configJson(c: TrainConfig, indent?: number): string {
  return JSON.stringify({ ...c, decayFrom: Number.isFinite(c.decayFrom) ? c.decayFrom : null }, null, indent);
}
