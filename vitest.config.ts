import { defineConfig } from 'vitest/config';

// chDB binds one data directory per process and crashes under worker threads: forks only.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
