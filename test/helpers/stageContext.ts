/**
 * The context a transform stage gets in a run, built whole for a test: the test says what its
 * stage sees (frames of a size, a stats map to read back) and the rest is a quiet, real default.
 */
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import type { ResolvedBinaries } from '../../src/ffmpeg/binaries.js';
import { fullRect, type Depth } from '../../src/image/image.js';
import { DEFAULT_STREAM_FORMAT, type FrameGeometry, type TransformContext } from '../../src/stages/stage.js';
import { silentLogger } from '../../src/util/logger.js';

/** Frames of this size and depth, the picture filling them (no padding). */
export function frameGeometry(width: number, height: number, depth: Depth = 8): FrameGeometry {
  return { width, height, depth, active: fullRect({ width, height }) };
}

/** The ffmpeg and ffprobe inside the npm packages: there without a search. */
const BUNDLED: ResolvedBinaries = {
  ffmpeg: ffmpegInstaller.path,
  ffprobe: ffprobeInstaller.path,
  source: '@ffmpeg-installer',
  probeSource: '@ffprobe-installer',
};

/**
 * A transform's context for frames of `geometry`: the default stream format, an input named
 * `test.mp4` of unknown rate, a silent logger, the bundled ffmpeg, no stats and no records, each
 * replaced by what `given` holds.
 */
export function transformContext(
  geometry: FrameGeometry,
  given: Partial<TransformContext> = {},
): TransformContext {
  return {
    ...DEFAULT_STREAM_FORMAT,
    geometry,
    label: 'test.mp4',
    logger: silentLogger,
    binaries: BUNDLED,
    signal: new AbortController().signal,
    ...given,
  };
}
