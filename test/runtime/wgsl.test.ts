/**
 * @file The GPU-shaped conv kernels compile in Deno (naga) as well as in Node (Tint, where
 * test/conv/gemm.test.ts runs them): see wgsl_program.ts.
 */
import { describe, it, expect } from 'vitest';
import { runDeno } from './runners.ts';
import type { WgslResult } from './wgsl_program.ts';

describe('GPU-shaped conv kernels in Deno', () => {
  it('every tile and mode compiles with naga', async () => {
    const { result } = await runDeno<WgslResult>('test/runtime/wgsl_program.ts', 120_000);
    expect(result.runtime).toBe('deno');
    expect(result.errors).toEqual([]);
    expect(result.compiled).toBeGreaterThanOrEqual(32);
  }, 180_000);
});
