/**
 * @file `npm start`'s path, shortened: the build, then the engine demo for 60 steps in Node (the
 * built dist/node/demo.js) and in Deno (examples/demo.ts unbundled). The loss must fall and memory
 * must not grow between the first log and the end (the demo itself exits 1 otherwise).
 */
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exec, ROOT } from './runners.ts';

const ARGS = ['--steps', '60', '--log-every', '20'];

function checkOutput(what: string, r: { code: number | null; stdout: string; stderr: string }): void {
  expect(r.code, `${what} exited with ${r.code}:\n${r.stderr.slice(-2000)}\n${r.stdout}`).toBe(0);
  const losses = [...r.stdout.matchAll(/^step +\d+ +loss (\S+)/gm)].map((m) => Number(m[1]));
  expect(losses.length, r.stdout).toBe(3);
  expect(losses[2], `${what}: loss should fall`).toBeLessThan(losses[0]);
  expect(r.stdout).toMatch(/^device: /m);
  expect(r.stdout).toMatch(/memory did not grow/);
}

describe('engine demo (npm start)', () => {
  it('builds, and the Node bundle trains with falling loss and flat memory', async () => {
    const b = await exec(process.execPath, ['scripts/build.mjs'], 60_000);
    expect(b.code, b.stderr).toBe(0);
    for (const f of ['dist/browser/index.js', 'dist/node/index.js', 'dist/node/demo.js']) expect(existsSync(join(ROOT, f)), f).toBe(true);
    checkOutput('node dist/node/demo.js', await exec(process.execPath, ['dist/node/demo.js', ...ARGS], 120_000));
  }, 180_000);

  it('runs unbundled in Deno', async () => {
    const deno = join(ROOT, 'node_modules/.bin/deno');
    checkOutput('deno run examples/demo.ts', await exec(deno, ['run', '-A', '--no-lock', 'examples/demo.ts', ...ARGS], 120_000));
  }, 180_000);
});
