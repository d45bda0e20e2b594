import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A time limit here only catches a hang: tests assert behaviour, never speed (speed is for
    // bench/), and must pass on a machine busy with other work, even another `npm test`.
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // Files run two at a time (one per core of the 2-core machine the suite is sized for); the
    // tests inside a file, ffmpeg-heavy end-to-end ones included, run one after another.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
