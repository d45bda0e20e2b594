import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // ffmpeg-heavy end-to-end files run one at a time on a 2-core machine
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
