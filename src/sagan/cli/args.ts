/**
 * @file A small declarative argument parser for the CLI: each command lists its flags (type, default,
 * help, allowed range); `--help` is generated from the same list, and an unknown flag, a bad value or
 * a value out of range is an error that names the flag and what it accepts. Numeric flags are checked
 * here and nowhere else, before a command does anything.
 */
export type FlagType = 'string' | 'number' | 'int' | 'boolean';
export interface Flag {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values (strings). */
  choices?: readonly string[];
  /** Numbers: smallest allowed value (inclusive). */
  min?: number;
  /** Numbers: largest allowed value (inclusive). */
  max?: number;
  /** Numbers: the value must be greater than this (exclusive: learning rates > 0). */
  above?: number;
  /** Numbers: a further check; returns what the value must be, or null when it is fine. */
  check?: (v: number) => string | null;
}
export type Flags = Record<string, Flag>;
export type Parsed<F extends Flags> = { [K in keyof F]: F[K]['type'] extends 'boolean' ? boolean : F[K]['type'] extends 'string' ? string : number } & {
  _: string[];
  /** The flags given on the command line (not defaulted), e.g. to tell a resume what the user asked to change. */
  _given: Set<string>;
};

export class UsageError extends Error {}

export function usage(command: string, summary: string, flags: Flags, positional = ''): string {
  const rows = Object.entries(flags).map(([name, f]) => {
    const arg = f.type === 'boolean' ? '' : f.choices ? ` <${f.choices.join('|')}>` : ` <${f.type === 'string' ? 'text' : f.type}>`;
    const def = f.default !== undefined && f.type !== 'boolean' ? ` (default ${f.default})` : '';
    const r = range(f);
    return `  --${name}${arg}\n      ${f.help}${def}${r ? `; ${r}` : ''}`;
  });
  return `usage: sagan ${command} [options]${positional ? ' ' + positional : ''}\n\n${summary}\n\noptions:\n${rows.join('\n')}\n  --help\n      show this help`;
}

/** The allowed range of a numeric flag in words ('≥ 1', '> 0', '0 … 1'), or ''. */
function range(f: Flag): string {
  if (f.min !== undefined && f.max !== undefined) return `${f.min} … ${f.max}`;
  if (f.min !== undefined) return `≥ ${f.min}`;
  if (f.above !== undefined) return `> ${f.above}${f.max !== undefined ? ` and ≤ ${f.max}` : ''}`;
  if (f.max !== undefined) return `≤ ${f.max}`;
  return '';
}

/** Why `v` is not allowed for flag `f`, or null. */
function outOfRange(f: Flag, v: number): string | null {
  if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max) || (f.above !== undefined && !(v > f.above))) return `must be ${range(f)}`;
  return f.check?.(v) ?? null;
}

export function parseArgs<F extends Flags>(command: string, argv: readonly string[], flags: F): Parsed<F> {
  const out: Record<string, unknown> = { _: [] as string[], _given: new Set<string>() };
  for (const [k, f] of Object.entries(flags)) if (f.default !== undefined) out[k] = f.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      (out._ as string[]).push(a);
      continue;
    }
    let [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let f = flags[name];
    if (!f && name.startsWith('no-') && flags[name.slice(3)]?.type === 'boolean') {
      f = flags[name.slice(3)];
      name = name.slice(3);
      inline = 'false';
    }
    if (!f) throw new UsageError(`${command}: unknown option --${name}. Run 'sagan ${command} --help' for the list.`);
    (out._given as Set<string>).add(name);
    if (f.type === 'boolean') {
      out[name] = inline === undefined ? true : !['false', '0', 'no'].includes(inline);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`${command}: --${name} needs a value`);
    if (f.type === 'string') {
      if (f.choices && !f.choices.includes(v)) throw new UsageError(`${command}: --${name} must be one of ${f.choices.join(', ')}, got '${v}'`);
      out[name] = v;
    } else {
      const n = v.trim() === '' ? NaN : Number(v); // Number('') is 0: an empty value is no number
      if (!Number.isFinite(n) || (f.type === 'int' && !Number.isInteger(n))) throw new UsageError(`${command}: --${name} wants ${f.type === 'int' ? 'an integer' : 'a number'}, got '${v}'`);
      const bad = outOfRange(f, n);
      if (bad) throw new UsageError(`${command}: --${name} ${bad}, got ${v}`);
      out[name] = n;
    }
  }
  return out as Parsed<F>;
}
