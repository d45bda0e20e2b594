import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A time limit here only catches a hang: tests assert behaviour, never speed (speed is for
    // bench/), and must pass on a machine busy with other work, even another `npm test`.
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // ffmpeg-heavy end-to-end files run one at a time on a 2-core machine
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
