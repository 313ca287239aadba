import { defineConfig } from 'vitest/config';

// One Dawn device per test file; files run in forked processes (Dawn and worker threads do not mix).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { XDG_RUNTIME_DIR: '/tmp' },
  },
});
