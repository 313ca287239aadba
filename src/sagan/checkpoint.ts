/**
 * @file SaGAN checkpoints: one safetensors file with G's and D's parameters (PyTorch names prefixed
 * `G.` / `D.`), both Adam states (`optG.` / `optD.`), the average of G's weights when the run keeps one
 * (`Gema.`, G's names), and metadata: format, step, the full training
 * config, the RNG state and the data position — everything an exact resume needs. PyTorch can read it
 * (safetensors.torch.load_file) and load `G.*` into the port in scripts/fixtures/sagan_torch.py.
 */
import { saveSafetensors, parseSafetensors, type HostTensor } from '../engine/index.ts';
import type { Adam, Tensor, Module } from '../engine/index.ts';
import { checkTrainConfig, configJson, rangeProblem, RANGES, type TrainConfig } from './config.ts';

export const CHECKPOINT_FORMAT = 'sagan-webgpu/1';

export interface CheckpointMeta {
  step: number;
  /** The training configuration. */
  config: TrainConfig;
  rng: { seed: number; offset: number };
  /** Batches drawn from the training stream so far. */
  batches: number;
  /** The kernels autotuning chose (src/engine/tune.ts), so that a resume runs the same ones: bit-exact. */
  tuning?: Record<string, string>;
}

// deno-lint-ignore no-explicit-any
type AnyMod = Module<any[], unknown>;

function prefixed(prefix: string, sd: Record<string, Tensor | HostTensor>): Record<string, Tensor | HostTensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** Serialises the training state (one batched readback). `optG`/`optD`/`Gema` may be null (weights only). */
export async function saveCheckpoint(G: AnyMod, D: AnyMod | null, optG: Adam | null, optD: Adam | null, meta: CheckpointMeta, Gema: AnyMod | null = null): Promise<Uint8Array> {
  const tensors = { ...prefixed('G.', G.stateDict()), ...(D ? prefixed('D.', D.stateDict()) : {}), ...(Gema ? prefixed('Gema.', Gema.stateDict()) : {}) };
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    step: String(meta.step),
    config: configJson(meta.config),
    rng: JSON.stringify(meta.rng),
    batches: String(meta.batches),
  };
  if (meta.tuning && Object.keys(meta.tuning).length) metadata.tuning = JSON.stringify(meta.tuning);
  for (const [name, opt] of [['optG', optG], ['optD', optD]] as const) {
    if (!opt) continue;
    const sd = opt.stateDict();
    Object.assign(tensors, prefixed(`${name}.`, sd.tensors));
    metadata[`${name}.param_groups`] = sd.metadata.param_groups;
  }
  return saveSafetensors(tensors, metadata);
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /** Host tensors by prefix ('G', 'D', 'optG', 'optD', 'Gema'), keys without the prefix. */
  parts: Record<string, Record<string, HostTensor>>;
  optMeta: Record<string, Record<string, string>>;
}

/** Parses and validates a checkpoint (CPU only); errors say what is wrong and what the file is. */
export function readCheckpoint(bytes: Uint8Array, source = 'checkpoint'): LoadedCheckpoint {
  let parsed: ReturnType<typeof parseSafetensors>;
  try {
    parsed = parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`${source}: not a valid safetensors checkpoint: ${(e as Error).message}`);
  }
  const md = parsed.metadata;
  if (md.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${source}: not a sagan-webgpu checkpoint (metadata format is ${JSON.stringify(md.format ?? null)}, expected '${CHECKPOINT_FORMAT}'). Fix: pass a file written by 'train' or the web app.`);
  }
  const meta = checkMeta(md, source);
  const parts: LoadedCheckpoint['parts'] = { G: {}, D: {}, optG: {}, optD: {}, Gema: {} };
  for (const [k, v] of Object.entries(parsed.tensors)) {
    const dot = k.indexOf('.');
    const p = k.slice(0, dot);
    if (!(p in parts)) throw new Error(`${source}: unexpected tensor '${k}' (expected G., D., optG., optD. or Gema. prefixes)`);
    parts[p][k.slice(dot + 1)] = v;
  }
  if (!Object.keys(parts.G).length) throw new Error(`${source}: the checkpoint holds no generator weights (G.*)`);
  for (const p of ['G', 'D', 'Gema'] as const) {
    const bad = nonFinite(parts[p]);
    if (bad) throw new Error(`${source}: weight ${p}.${bad} holds NaN or infinite values (the run diverged before this was saved). Fix: use an earlier checkpoint, or retrain with a lower --lr.`);
  }
  const optMeta: LoadedCheckpoint['optMeta'] = {};
  for (const name of ['optG', 'optD']) if (md[`${name}.param_groups`]) optMeta[name] = { param_groups: md[`${name}.param_groups`] };
  return { meta, parts, optMeta };
}

/** The first float tensor holding NaN or ±Infinity, by name, or null. */
export function nonFinite(tensors: Record<string, HostTensor>): string | null {
  for (const [k, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32' && t.dtype !== 'F64') continue;
    const d = t.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return k;
  }
  return null;
}

/** Every metadata field, parsed and range-checked; errors name the file and the field. */
function checkMeta(md: Record<string, string>, source: string): CheckpointMeta {
  const field = (name: string, what: string, v: unknown): never => {
    throw new Error(`${source}: checkpoint metadata field '${name}' ${what}, got ${JSON.stringify(v) ?? String(v)}. The file is damaged or was not written by 'train'.`);
  };
  const json = (name: string): unknown => {
    try {
      return JSON.parse(md[name] ?? '');
    } catch {
      return field(name, 'is not valid JSON', md[name]);
    }
  };
  const int = (name: 'step' | 'batches'): number => {
    const raw = md[name];
    const v = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    const p = rangeProblem(v, RANGES[name]);
    return p ? field(name, p, raw) : v;
  };
  const step = int('step'), batches = int('batches');
  const config = checkTrainConfig(json('config'), `${source}: checkpoint metadata`);
  const rng = json('rng') as Record<string, unknown> | null;
  if (typeof rng !== 'object' || rng === null) return field('rng', 'must be an object {seed, offset}', md.rng);
  if (rangeProblem(rng.seed, { min: 0, max: 2 ** 32 - 1, int: true })) field('rng.seed', 'must be an integer 0 … 2^32−1', rng.seed);
  if (rangeProblem(rng.offset, { min: 0, max: Number.MAX_SAFE_INTEGER, int: true })) field('rng.offset', 'must be an integer ≥ 0', rng.offset);
  if (step > config.steps) field('step', `exceeds the config's steps (${config.steps})`, md.step);
  const meta: CheckpointMeta = { step, config, rng: { seed: rng.seed as number, offset: rng.offset as number }, batches };
  if (md.tuning !== undefined) {
    const t = json('tuning') as Record<string, unknown> | null;
    if (typeof t !== 'object' || t === null || Object.values(t).some((v) => typeof v !== 'string')) field('tuning', 'must map shapes to kernel names', md.tuning);
    meta.tuning = t as Record<string, string>;
  }
  return meta;
}
