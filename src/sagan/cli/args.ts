/**
 * @file A small declarative argument parser for the CLI: each command lists its flags (type, default,
 * help); `--help` is generated from the same list, and an unknown flag or a bad value is an error that
 * names the flag and shows the usage.
 */
export type FlagType = 'string' | 'number' | 'int' | 'boolean';
export interface Flag {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values (strings). */
  choices?: readonly string[];
}
export type Flags = Record<string, Flag>;
export type Parsed<F extends Flags> = { [K in keyof F]: F[K]['type'] extends 'boolean' ? boolean : F[K]['type'] extends 'string' ? string : number } & { _: string[] };

export class UsageError extends Error {}

export function usage(command: string, summary: string, flags: Flags, positional = ''): string {
  const rows = Object.entries(flags).map(([name, f]) => {
    const arg = f.type === 'boolean' ? '' : f.choices ? ` <${f.choices.join('|')}>` : ` <${f.type === 'string' ? 'text' : f.type}>`;
    const def = f.default !== undefined && f.type !== 'boolean' ? ` (default ${f.default})` : '';
    return `  --${name}${arg}\n      ${f.help}${def}`;
  });
  return `usage: sagan ${command} [options]${positional ? ' ' + positional : ''}\n\n${summary}\n\noptions:\n${rows.join('\n')}\n  --help\n      show this help`;
}

export function parseArgs<F extends Flags>(command: string, argv: readonly string[], flags: F): Parsed<F> {
  const out: Record<string, unknown> = { _: [] as string[] };
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
      const n = Number(v);
      if (!Number.isFinite(n) || (f.type === 'int' && !Number.isInteger(n))) throw new UsageError(`${command}: --${name} wants ${f.type === 'int' ? 'an integer' : 'a number'}, got '${v}'`);
      out[name] = n;
    }
  }
  return out as Parsed<F>;
}
