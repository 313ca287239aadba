/**
 * @file Long loops keep memory flat in Deno and Node (issue 13): memory_program.ts runs 10,000
 * upload+kernel pairs and 200 training iterations (Node: 40); mappings and RSS late in each loop must stay
 * near their level early in it. Before src/engine/deno_gc.ts, Deno gained one mapping per dispatch
 * (+20,000 over the uploads: two kernels each) and died at vm.max_map_count during training.
 */
import { describe, it, expect } from 'vitest';
import { runDeno, runNode } from './runners.ts';
import type { MemoryResult, MemorySample } from './memory_program.ts';

const PROGRAM = 'test/runtime/memory_program.ts';

const max = (s: MemorySample[], f: (x: MemorySample) => number) => Math.max(...s.map(f));

function expectFlat(what: string, s: MemorySample[], mapSlack: number, rssSlackMB: number): void {
  const warm = s.slice(1, Math.ceil(s.length / 2)), late = s.slice(Math.ceil(s.length / 2));
  const msg = `${what}: ${JSON.stringify(s)}`;
  expect(max(late, (x) => x.maps), msg).toBeLessThanOrEqual(max(warm, (x) => x.maps) + mapSlack);
  expect(max(late, (x) => x.rssMB), msg).toBeLessThanOrEqual(max(warm, (x) => x.rssMB) + rssSlackMB);
  // Samples are taken after a collection (memory_program.ts); before it, the engine's own collections
  // (deno_gc.ts) must keep the count far below vm.max_map_count (65,530): without them it passes that.
  expect(max(s, (x) => x.peakMaps), msg).toBeLessThan(30_000);
}

function check(r: MemoryResult): void {
  expect(r.uploads.length).toBe(10);
  expect(r.training.length).toBe(20);
  expectFlat(`${r.runtime} uploads`, r.uploads, 3000, 48);
  expectFlat(`${r.runtime} training`, r.training, 2000, 64);
}

describe('memory stays flat over long loops', () => {
  it('Deno: 10,000 uploads and 200 training iterations', async () => {
    const { result } = await runDeno<MemoryResult>(PROGRAM, 560_000, ['10000', '200']);
    check(result);
  }, 580_000); // generous: it timed out at 280 s on 2 cores shared with four training jobs
  // Node never grew (Dawn frees its objects); a shorter run keeps it that way without doubling the time.
  it('Node: 10,000 uploads and 40 training iterations', async () => {
    const { result } = await runNode<MemoryResult>(PROGRAM, 280_000, ['10000', '40']);
    check(result);
  }, 300_000);
});
