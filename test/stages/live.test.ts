import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../src/pipeline/compile.js';
import { parsePipeline } from '../../src/pipeline/load.js';
import { buildStream, gradeOne } from '../../src/run/grade.js';
import { FramePool } from '../../src/frame/pool.js';
import type { Frame } from '../../src/frame/frame.js';
import { decoderGeometry } from '../../src/pipeline/compile.js';
import { identityLut, type Lut3d } from '../../src/correction/lut3d.js';
import type { LivePicture, LiveRunContext, PictureDisplay, ShownPicture } from '../../src/stages/stage.js';
import { LIVE_PICTURE } from '../../src/stages/live.js';
import { fileInput } from '../../src/ffmpeg/input.js';
import { fileOutput } from '../../src/ffmpeg/output.js';
import { UsageError } from '../../src/util/errors.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { silentLogger } from '../../src/util/logger.js';
import { transformContext } from '../helpers/stageContext.js';

/**
 * The live preview's ends, run by the file runtime's `buildStream`: `live` makes each picture
 * handed to the run into a pooled proxy frame carrying the picture, and `preview` grades the
 * picture with the frame's LUT through the display's look and shows it.
 */

const W = 64;
const H = 32;

/** A picture whose left half is (200, 100, 50) and right half (20, 40, 60). */
function picture(seq: number, released: number[], discontinuity = false): LivePicture {
  const bytes = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) bytes.set(x < W / 2 ? [200, 100, 50] : [20, 40, 60], (y * W + x) * 3);
  return { seq, enteredAt: 1000 + seq * 40, discontinuity, bytes, release: () => released.push(seq) };
}

/** A display that records what it is shown (copied: the buffers are only valid during `show`). */
function display(look: (correction: Lut3d | undefined) => Lut3d | undefined = (c) => c) {
  const shown: Array<{ seq: number; after: Uint8Array; look: boolean; index: number }> = [];
  const d: PictureDisplay = {
    look,
    show: (s: ShownPicture) =>
      shown.push({
        seq: s.picture.seq,
        after: s.after.slice(),
        look: s.look !== undefined,
        index: s.frame.index,
      }),
  };
  return { d, shown };
}

/** A live run of `yaml`'s pipeline over a Subject of pictures, its frames released as they leave. */
function liveRun(yaml: string, shownThrough: PictureDisplay, poolSize?: number) {
  const pipeline = compilePipeline(parsePipeline(yaml, 'live.yaml'));
  const { geometry } = decoderGeometry(pipeline, { width: W, height: H, depth: 8 });
  const pictures = new Subject<LivePicture>();
  const pool = new FramePool(poolSize ?? pipeline.poolSize, geometry.width, geometry.height, 8);
  const stats = new Map<string, number>();
  const run: LiveRunContext = {
    ...transformContext(geometry, { stats }),
    kind: 'live',
    pool,
    live: { width: W, height: H, pictures },
    display: shownThrough,
  };
  const left: Frame[] = [];
  let keep = false;
  buildStream(pipeline, run).subscribe((frame) => {
    if (keep) left.push(frame);
    else frame.release();
  });
  return { pictures, pool, stats, left, keepFrames: () => (keep = true) };
}

describe('live (source) and preview (sink)', () => {
  it('off (live, preview): each picture shown as it came, in order, and handed back', () => {
    const released: number[] = [];
    const { d, shown } = display(() => undefined);
    const { pictures } = liveRun('stages: [live, preview]', d);
    for (let seq = 0; seq < 3; seq++) pictures.next(picture(seq, released));
    expect(shown.map((s) => [s.seq, s.index, s.look])).toEqual([
      [0, 0, false],
      [1, 1, false],
      [2, 2, false],
    ]);
    expect(shown[2]!.after).toEqual(picture(2, []).bytes);
    expect(released).toEqual([0, 1, 2]);
  });

  it("makes the proxy by area average, and grades the picture with the frame's LUT through the display's look", () => {
    const released: number[] = [];
    // The display's look: the correction (merge's LUT), or a fixed one that halves every value.
    const half: Lut3d = identityLut(2);
    for (let i = 0; i < half.data.length; i++) half.data[i] = half.data[i]! / 2;
    const { d, shown } = display(() => half);
    const { pictures, keepFrames, left } = liveRun(
      'stages:\n  - live:\n  - downscale:\n      width: 16\n      height: 16\n      fit: stretch\n  - preview:\n',
      d,
    );
    keepFrames();
    pictures.next(picture(7, released, true));
    const frame = left[0]!;
    // Each proxy pixel averages its box of the picture: left half red-ish, right half blue-ish.
    expect([...frame.image.data.subarray(0, 3)]).toEqual([200, 100, 50]);
    expect([...frame.image.data.subarray(45, 48)]).toEqual([20, 40, 60]);
    expect(frame.discontinuity).toBe(true);
    expect(frame.notes.get(LIVE_PICTURE)?.seq).toBe(7);
    expect(frame.pts).toBeCloseTo(1.28, 6);
    // The picture shown is the preview-size picture graded with the look, not the proxy.
    expect(shown[0]!.after.length).toBe(W * H * 3);
    expect([...shown[0]!.after.subarray(0, 3)]).toEqual([100, 50, 25]);
    // The picture goes back to the live input when its frame is released, not before.
    expect(released).toEqual([]);
    frame.release();
    expect(released).toEqual([7]);
  });

  it('drops a picture handed in while the pool is dry, counts it, and marks the next frame a discontinuity', () => {
    const released: number[] = [];
    const { d, shown } = display(() => undefined);
    const { pictures, keepFrames, left, stats } = liveRun('stages: [live, preview]', d, 1);
    keepFrames();
    pictures.next(picture(0, released));
    pictures.next(picture(1, released));
    expect(shown.map((s) => s.seq)).toEqual([0]);
    expect(released).toEqual([1]);
    expect(stats.get('droppedFrames')).toBe(1);
    left[0]!.release();
    pictures.next(picture(2, released));
    expect(left[1]!.discontinuity).toBe(true);
  });

  it('live declares how many frames it lets inside the pipeline (in_flight)', () => {
    const pipeline = compilePipeline(
      parsePipeline('stages:\n  - live:\n      in_flight: 3\n  - preview:\n', 'x.yaml'),
    );
    const source = pipeline.stages[0]!.definition;
    expect(source.kind === 'source' && source.maxInFlight?.(pipeline.stages[0]!.options)).toBe(3);
  });

  it('a file run refuses a live pipeline, naming the command that runs it', async () => {
    const pipeline = compilePipeline(parsePipeline('stages: [live, preview]', 'preview-off.yaml'));
    const binaries = await resolveBinaries();
    const err = await gradeOne(pipeline, fileInput('in.mp4'), fileOutput('out.mp4'), {
      logger: silentLogger,
      binaries,
      caps: await getCapabilities(binaries.ffmpeg, silentLogger),
      signal: new AbortController().signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'preview-off.yaml is a live pipeline (it starts with live): run it with vgrade preview',
    );
  });
});
