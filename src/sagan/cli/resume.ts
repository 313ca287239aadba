/**
 * @file What `sagan train --resume` continues with: the run's own config (from its checkpoint), never
 * silently another. A flag given on the command line must agree with the run (`--batch 8` on a batch-4
 * run is refused, naming the flag); flags not given take the run's values. Six deliberate changes are
 * allowed, and recorded in the config's `changes`: a new total `--steps`, `--new-lr`, the loss weights
 * `--new-rec`, `--new-cls`, `--new-cls-fake` and `--new-idt-mask`, `--decay-from`
 * (a decay that starts here or later, so the learning rate never jumps — e.g. to settle a run that
 * oscillates between snapshots, branched from its best one), and `--g-ema` (an average of G's weights
 * that starts from the current ones; 0 drops it). Output
 * cadence (--log-every, --sample-every, --ckpt-every) may change freely: it does not change the result.
 */
import type { TrainConfig, ConfigChange } from '../config.ts';
import { UsageError } from './args.ts';
import type { TrainArgs } from './train.ts';
import { parseAugmentPolicy, type Augment } from '../augment.ts';
import { downStages } from '../model.ts';
import { weightOf } from '../losses.ts';

/** The loss weights a resume may change from here on: the flag, the weight it sets, the flag of a new run. */
export const WEIGHT_CHANGES = [
  { flag: 'new-rec', field: 'rec', newRun: '--rec' },
  { flag: 'new-cls', field: 'cls', newRun: '--cls' },
  { flag: 'new-cls-fake', field: 'clsFake', newRun: '--cls-fake' },
  { flag: 'new-idt-mask', field: 'idtMask', newRun: '--idt-mask' },
] as const;

/** Flags that must match the run, and how each reads its value from a config. */
const MUST_MATCH: Record<string, (c: TrainConfig) => unknown> = {
  data: (c) => c.data,
  attr: (c) => c.attribute,
  size: (c) => c.model.size,
  width: (c) => c.model.width,
  res: (c) => c.model.nRes,
  down: (c) => downStages(c.model),
  'amn-residual': (c) => c.model.residual ?? false,
  'amn-cond': (c) => c.model.condNorm ?? false,
  'amn-zero-init': (c) => c.model.zeroInit ?? false,
  'no-attention': (c) => !c.model.attention,
  batch: (c) => c.batchSize,
  'n-critic': (c) => c.nCritic,
  lr: (c) => c.lrG,
  'd-warmup': (c) => c.dWarmup ?? 0,
  seed: (c) => c.seed,
  'data-seed': (c) => c.dataSeed,
  'data-count': (c) => c.dataCount,
  'train-count': (c) => c.trainCount ?? 0,
  cls: (c) => c.weights.cls,
  'cls-fake': (c) => weightOf(c.weights, 'clsFake'),
  rec: (c) => c.weights.rec,
  idt: (c) => c.weights.idt,
  'idt-mask': (c) => weightOf(c.weights, 'idtMask'),
  augment: (c) => (c.augment?.length ? c.augment.join(',') : 'none'),
};

export function resumedConfig(run: TrainConfig, step: number, a: TrainArgs, where: string): TrainConfig {
  for (const [flag, read] of Object.entries(MUST_MATCH)) {
    if (!a._given.has(flag)) continue;
    const want = read(run);
    const raw = (a as unknown as Record<string, unknown>)[flag];
    // The augmentation policy compares in its canonical form ('translation, cutout' = 'translation,cutout').
    const got = flag === 'augment' ? (augmentPolicy(String(raw)).join(',') || 'none') : raw;
    if (want === undefined || got !== want) {
      const lrHint = flag === 'lr' ? ' To change the learning rate from here on, use --new-lr.' : '';
      throw new UsageError(`train: --${flag} ${got} differs from the run being resumed (${where}: ${want === undefined ? 'not used by this run' : want}). ` +
        `A resume continues the run exactly. Fix: drop --${flag} (the run's value is used), or start a new run in another --out (or --force).${lrHint}`);
    }
  }
  const c: TrainConfig = { ...run, changes: [...(run.changes ?? [])] };
  const change = (field: ConfigChange['field'], from: number, to: number) => c.changes!.push({ step, field, from, to });
  if (a._given.has('steps') && a.steps !== run.steps) {
    if (a.steps < step) throw new UsageError(`train: --steps ${a.steps} is below the iteration the run is at (${step}, ${where}). Fix: give a total ≥ ${step}.`);
    change('steps', run.steps, a.steps);
    c.steps = a.steps;
  }
  if (a._given.has('new-lr') && a['new-lr'] > 0 && a['new-lr'] !== run.lrG) {
    change('lr', run.lrG, a['new-lr']);
    c.lrG = c.lrD = a['new-lr'];
  }
  for (const { flag, field } of WEIGHT_CHANGES) {
    const to = a[flag], was = weightOf(run.weights, field);
    if (!a._given.has(flag) || to < 0 || to === was) continue;
    change(field, was, to);
    c.weights = { ...c.weights, [field]: to };
  }
  const decay = (d: number) => (Number.isFinite(d) ? d : -1);
  if (a._given.has('decay-from') && a['decay-from'] !== decay(run.decayFrom)) {
    const to = a['decay-from'] < 0 ? Infinity : a['decay-from'];
    // Only a decay that has not started yet may move, and only to here or later: the learning rate
    // at this iteration stays what the run had, so the change starts smoothly.
    if (run.decayFrom < step || to < step) {
      const why = run.decayFrom < step ? `the run's decay already started at ${run.decayFrom}` : `it would start before the iteration the run is at (${step})`;
      throw new UsageError(`train: --decay-from ${a['decay-from']}: ${why}, ${where}, and the learning rate would jump. ` +
        `Fix: give a value ≥ ${step}${run.decayFrom < step ? ' on a run whose decay has not started' : ''}, or drop --decay-from.`);
    }
    change('decayFrom', decay(run.decayFrom), a['decay-from']); // the flag's own −1 is "never", as recorded
    c.decayFrom = to;
  }
  if (a._given.has('g-ema') && a['g-ema'] !== (run.gEma ?? 0)) {
    change('gEma', run.gEma ?? 0, a['g-ema']);
    if (a['g-ema'] > 0) c.gEma = a['g-ema'];
    else delete c.gEma;
  }
  if (a._given.has('log-every')) c.logEvery = a['log-every'];
  if (a._given.has('sample-every')) c.sampleEvery = a['sample-every'];
  if (a._given.has('ckpt-every')) c.checkpointEvery = a['ckpt-every'];
  if (!c.changes!.length) delete c.changes;
  return c;
}

/** The --augment policy, or a usage error naming the unknown transform. */
export function augmentPolicy(s: string): Augment[] {
  try {
    return parseAugmentPolicy(s);
  } catch (e) {
    throw new UsageError(`train: --augment ${(e as Error).message}`);
  }
}
