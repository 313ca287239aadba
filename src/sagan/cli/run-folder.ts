/**
 * @file The run folder's files around a (re)start: a folder holding a run is only replaced with
 * --force; stale temporary files of atomic writes (left by a kill during a write, each a whole
 * checkpoint) are removed; on resume the log is cut back, atomically, to the checkpoint's iteration,
 * so that it stays one line per iteration however often the run was killed and resumed.
 */
import * as fsp from 'node:fs/promises';
import { writeFileAtomic, mkdir, exists } from '../data/fs.ts';
import { UsageError } from './args.ts';

/** The files that make a folder a run. */
const RUN_FILES = ['checkpoint.safetensors', 'log.jsonl', 'config.json'];
/** writeFileAtomic's temporaries: `<name>.<pid>.<random>.tmp`. */
const TEMP = /^(checkpoint\.safetensors|log\.jsonl|config\.json)\.\d+\.[a-z0-9]*\.tmp$/;

async function list(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}

/** Throws (before anything is written) when `out` holds a run and neither resume nor force was asked for. */
export async function checkRunFolder(out: string, o: { resume: boolean; force: boolean }): Promise<void> {
  if (o.resume || o.force) return;
  const found = [];
  for (const f of RUN_FILES) if (await exists(`${out}/${f}`)) found.push(f);
  if (found.length) {
    throw new UsageError(`train: ${out} already holds a run (${found.join(', ')}). Fix: --resume to continue it, --force to replace it, or another --out.`);
  }
}

/**
 * Prepares `out` for writing: removes stale temporaries; a fresh run (resumeStep null) deletes an
 * earlier run's checkpoint, log and sample grids and starts an empty log; a resume cuts the log to
 * resumeStep.
 */
export async function prepareRunFolder(out: string, o: { resumeStep: number | null; force: boolean }): Promise<void> {
  await checkRunFolder(out, { resume: o.resumeStep !== null, force: o.force });
  await mkdir(`${out}/samples`);
  const own = `.${(globalThis as { process?: { pid?: number } }).process?.pid ?? 0}.`;
  for (const f of await list(out)) if (TEMP.test(f) && !f.includes(own)) await fsp.rm(`${out}/${f}`, { force: true });
  const logPath = `${out}/log.jsonl`;
  if (o.resumeStep === null) {
    await fsp.rm(`${out}/checkpoint.safetensors`, { force: true });
    for (const f of await list(`${out}/samples`)) if (/^step_\d+\.png$/.test(f)) await fsp.rm(`${out}/samples/${f}`, { force: true });
    await writeFileAtomic(logPath, '');
    return;
  }
  const text = (await exists(logPath)) ? new TextDecoder().decode(await fsp.readFile(logPath)) : '';
  await writeFileAtomic(logPath, cutLog(text, o.resumeStep));
}

/** The log's lines of iterations 1 … step (a line cut short by a kill, and every later one, dropped). */
export function cutLog(text: string, step: number): string {
  const keep: string[] = [], seen = new Set<number>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let rec: { step?: unknown };
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof rec.step !== 'number' || rec.step > step || seen.has(rec.step)) continue;
    seen.add(rec.step);
    keep.push(line);
  }
  return keep.map((l) => l + '\n').join('');
}

export async function appendLine(path: string, line: string): Promise<void> {
  await fsp.appendFile(path, line + '\n');
}
