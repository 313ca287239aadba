/**
 * @file The import graph of src/ (read from the sources, no GPU): the engine is a one-way stack.
 *  - no import circle between files, except through type-only imports (erased at run time);
 *  - src/kernels imports nothing from src/engine (kernels are WGSL sources; the engine launches them);
 *  - src/engine imports nothing from src/sagan or src/web;
 *  - src/sagan reaches the engine only through src/engine/index.ts;
 *  - backward rules are written in one place, src/engine/ops/rules.ts (autograd only reads the table).
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of one file (static, side-effect and dynamic), with whether each is type-only. */
function importsOf(code: string): { spec: string; typeOnly: boolean }[] {
  const text = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: { spec: string; typeOnly: boolean }[] = [];
  // import … from '…' / export … from '…' (clauses may span lines)
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^;'"]*?)\s+from\s+['"]([^'"]+)['"]/gm)) {
    const clause = m[3];
    const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const names = braces ? braces[1].split(',').map((s) => s.trim()).filter(Boolean) : null;
    const typeOnly = Boolean(m[2]) || (names !== null && names.length > 0 && names.every((n) => n.startsWith('type ')));
    out.push({ spec: m[4], typeOnly });
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[1], typeOnly: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    // `typeof import('…')` is a type; `await import('…')` loads the module.
    const before = text.slice(Math.max(0, m.index! - 7), m.index);
    out.push({ spec: m[1], typeOnly: /typeof\s*$/.test(before) });
  }
  return out.filter((i) => i.spec.startsWith('.'));
}

function graph(): { files: string[]; edges: Edge[] } {
  const files = sources(join(root, 'src')).map((f) => relative(root, f));
  const edges: Edge[] = [];
  for (const f of files) {
    for (const { spec, typeOnly } of importsOf(readFileSync(join(root, f), 'utf8'))) {
      edges.push({ from: f, to: relative(root, resolve(root, dirname(f), spec)), typeOnly });
    }
  }
  return { files, edges };
}

/** Strongly connected components with more than one file (or a self-import), over value imports. */
function cycles(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (!e.typeOnly) next.get(e.from)?.push(e.to);
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [], out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next.get(v)!.includes(v)) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out;
}

describe('import graph of src/', () => {
  const { files, edges } = graph();
  const under = (p: string, dir: string) => p.startsWith(`src/${dir}/`);

  it('reads the imports it should (sanity check of the parser)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(importsOf(`import type { A } from './a.ts';\nimport { type B, type C } from './b.ts';\nimport {\n  D,\n  type E,\n} from './d.ts';\nexport * from './e.ts';\nimport './f.ts';\ntype G = typeof import('./g.ts');\nconst h = await import('./h.ts');\nimport x from 'pkg';`))
      .toEqual([
        { spec: './a.ts', typeOnly: true }, { spec: './b.ts', typeOnly: true }, { spec: './d.ts', typeOnly: false },
        { spec: './e.ts', typeOnly: false }, { spec: './f.ts', typeOnly: false }, { spec: './g.ts', typeOnly: true },
        { spec: './h.ts', typeOnly: false },
      ]);
    // Every relative import names a file that exists.
    const missing = edges.filter((e) => !files.includes(e.to)).map((e) => `${e.from} → ${e.to}`);
    expect(missing).toEqual([]);
  });

  it('has no import circle except through type-only imports', () => {
    expect(cycles(files, edges)).toEqual([]);
  });

  it('src/kernels imports nothing from src/engine', () => {
    expect(edges.filter((e) => under(e.from, 'kernels') && under(e.to, 'engine')).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('src/engine imports nothing from src/sagan or src/web', () => {
    const up = edges.filter((e) => under(e.from, 'engine') && (under(e.to, 'sagan') || under(e.to, 'web')));
    expect(up.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('src/sagan reaches the engine only through src/engine/index.ts', () => {
    const direct = edges.filter((e) => under(e.from, 'sagan') && under(e.to, 'engine') && e.to !== 'src/engine/index.ts');
    expect(direct.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('keeps every backward rule in the one table of src/engine/ops/rules.ts', () => {
    const mention = files.filter((f) => /\bRule(Table)?</.test(readFileSync(join(root, f), 'utf8')));
    expect(mention.sort()).toEqual(['src/engine/autograd.ts', 'src/engine/ops/rules.ts']);
  });
});
