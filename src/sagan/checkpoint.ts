/**
 * @file SaGAN checkpoints: one safetensors file with G's and D's parameters (PyTorch names prefixed
 * `G.` / `D.`), both Adam states (`optG.` / `optD.`), and metadata: format, step, the full training
 * config, the RNG state and the data position — everything an exact resume needs. PyTorch can read it
 * (safetensors.torch.load_file) and load `G.*` into the port in scripts/fixtures/sagan_torch.py.
 */
import { saveSafetensors, parseSafetensors, type HostTensor } from '../engine/index.ts';
import type { Adam, Tensor, Module } from '../engine/index.ts';
import { checkModelConfig, type ModelConfig } from './model.ts';

export const CHECKPOINT_FORMAT = 'sagan-webgpu/1';

export interface CheckpointMeta {
  step: number;
  /** The training configuration (JSON-serialisable). */
  config: Record<string, unknown> & { model: ModelConfig };
  rng: { seed: number; offset: number };
  /** Batches drawn from the training stream so far. */
  batches: number;
}

// deno-lint-ignore no-explicit-any
type AnyMod = Module<any[], unknown>;

function prefixed(prefix: string, sd: Record<string, Tensor | HostTensor>): Record<string, Tensor | HostTensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** Serialises the training state (one batched readback). `optG`/`optD` may be null (weights only). */
export async function saveCheckpoint(G: AnyMod, D: AnyMod | null, optG: Adam | null, optD: Adam | null, meta: CheckpointMeta): Promise<Uint8Array> {
  const tensors = { ...prefixed('G.', G.stateDict()), ...(D ? prefixed('D.', D.stateDict()) : {}) };
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    step: String(meta.step),
    config: JSON.stringify(meta.config),
    rng: JSON.stringify(meta.rng),
    batches: String(meta.batches),
  };
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
  /** Host tensors by prefix ('G', 'D', 'optG', 'optD'), keys without the prefix. */
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
  let config: CheckpointMeta['config'], rng: CheckpointMeta['rng'];
  try {
    config = JSON.parse(md.config);
    rng = JSON.parse(md.rng);
    checkModelConfig(config.model);
  } catch (e) {
    throw new Error(`${source}: checkpoint metadata is damaged (${(e as Error).message})`);
  }
  const parts: LoadedCheckpoint['parts'] = { G: {}, D: {}, optG: {}, optD: {} };
  for (const [k, v] of Object.entries(parsed.tensors)) {
    const dot = k.indexOf('.');
    const p = k.slice(0, dot);
    if (!(p in parts)) throw new Error(`${source}: unexpected tensor '${k}' (expected G., D., optG. or optD. prefixes)`);
    parts[p][k.slice(dot + 1)] = v;
  }
  if (!Object.keys(parts.G).length) throw new Error(`${source}: the checkpoint holds no generator weights (G.*)`);
  const optMeta: LoadedCheckpoint['optMeta'] = {};
  for (const name of ['optG', 'optD']) if (md[`${name}.param_groups`]) optMeta[name] = { param_groups: md[`${name}.param_groups`] };
  return { meta: { step: Number(md.step), config, rng, batches: Number(md.batches) }, parts, optMeta };
}
