/*
 * What the scripts that write training examples share: the train split's references with the
 * canvases of its media and of `--extra` folders, and a loop that draws examples with progress.
 */
import { loadReferences, type ReferenceSet } from '../src/models/data.js';
import { listSources } from '../src/dataset/build.js';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { argList, argValue } from '../bench/args.js';

/** The train split's trainable frames and canvases (`--frames-per-video`, `--extra`). */
export async function trainingReferences(
  data: string,
  argv: readonly string[],
  started: number,
  chooseSources?: (extra: {
    videos: readonly string[];
    photos: readonly string[];
  }) => Promise<Set<string> | undefined>,
): Promise<ReferenceSet> {
  const binaries = await resolveBinaries();
  const extra = await listSources(argList(argv, 'extra'));
  const onlySources = chooseSources && (await chooseSources(extra));
  const train = await loadReferences(data, 'train', {
    frames: 'trainable',
    ...(onlySources && { onlySources }),
    canvases: {
      ffmpeg: binaries.ffmpeg,
      ffprobe: binaries.ffprobe,
      framesPerVideo: Number(argValue(argv, 'frames-per-video', '40')),
      extra,
      onSkip: (source, reason) => process.stderr.write(`skipped ${source}: ${reason}\n`),
    },
  });
  process.stderr.write(
    `train: ${train.frames.length} frames, ${train.canvases?.length ?? 0} canvases, loaded in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  return train;
}

/** `count` examples from `draw`, saying how far it is every 10,000. */
export function drawExamples<T>(count: number, started: number, draw: () => T): T[] {
  const items: T[] = [];
  for (let i = 0; i < count; i++) {
    items.push(draw());
    if ((i + 1) % 10000 === 0) {
      process.stderr.write(`${i + 1}/${count} examples, ${Math.round((Date.now() - started) / 1000)} s\n`);
    }
  }
  return items;
}

/** The options every example writer takes: `--data DS --out DIR [--count N] [--seed S]`. */
export function exampleOptions(argv: readonly string[]): {
  data: string;
  out: string;
  count: number;
  seed: number;
} {
  const data = argValue(argv, 'data', '');
  const out = argValue(argv, 'out', '');
  if (!data || !out) throw new Error('--data and --out are required');
  return {
    data,
    out,
    count: Number(argValue(argv, 'count', '10000')),
    seed: Number(argValue(argv, 'seed', '1')),
  };
}
