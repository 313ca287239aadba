/**
 * @file The trained generators that ship with the package (models/<name>.safetensors: the checkpoint
 * format with G only, see models/README.md for how each was trained and how it scores). Runtime-neutral:
 * it names the files and where they are relative to this module — two folders below the package root,
 * both as source (src/sagan/) and bundled (dist/node/, and dist/web/ whose build copies models/ beside
 * it) — and leaves reading them to the caller (file system or fetch).
 */
import type { SaganAttribute } from './data/attrs.ts';

export interface ShippedModel {
  /** The name users type: `sagan edit --model eyeglasses`. */
  name: string;
  attribute: SaganAttribute;
  file: string;
}

export const SHIPPED_MODELS: readonly ShippedModel[] = [
  { name: 'eyeglasses', attribute: 'Eyeglasses', file: 'eyeglasses.safetensors' },
  { name: 'smiling', attribute: 'Smiling', file: 'smiling.safetensors' },
  { name: 'mouth-slightly-open', attribute: 'Mouth_Slightly_Open', file: 'mouth-slightly-open.safetensors' },
  { name: 'no-beard', attribute: 'No_Beard', file: 'no-beard.safetensors' },
];

/** The shipped model called `name` (or named by its attribute, any case); throws listing the names. */
export function shippedModel(name: string): ShippedModel {
  const key = name.trim().toLowerCase().replace(/_/g, '-');
  const m = SHIPPED_MODELS.find((s) => s.name === key);
  if (!m) throw new Error(`no shipped model '${name}'. The shipped models are: ${SHIPPED_MODELS.map((s) => s.name).join(', ')}`);
  return m;
}

/** Where a shipped model's file is, relative to this module (a file: URL for source and Node bundles;
 *  the web app lists its copies in models/index.json instead). */
export function shippedModelUrl(m: ShippedModel): URL {
  return new URL(`../../models/${m.file}`, import.meta.url);
}
