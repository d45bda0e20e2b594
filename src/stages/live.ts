/**
 * live: the source of a live preview (`vgrade preview --input`). The preview's live input reads
 * the camera or stream in a thread of its own and keeps only its newest picture (at the preview's
 * size, rgb24); this stage takes the pictures handed to its run, makes each one's proxy in a
 * pooled frame (the area average that `downscale` after it asks for), and hands the picture on
 * beside it (`Frame.full`), for the `preview` sink to grade and show.
 *
 * The one drop policy of the live preview: at most `in_flight` frames are inside the pipeline at
 * once, and the preview asks its input for a picture only when there is room; pictures that come
 * meanwhile are not graded (the input keeps the newest), so a machine that cannot keep up grades
 * fewer pictures, never older ones. A picture handed in while the pool is dry (a stage holding
 * more context than it declared) is dropped here, counted, and the next frame marked as a
 * discontinuity.
 */
import { Observable } from '../util/rx.js';
import { noteKey } from '../frame/notes.js';
import type { Frame } from '../frame/frame.js';
import { downscaleRgb24 } from '../image/downscale.js';
import { defineStage, endsOf, type LivePicture, type LiveRunContext } from './stage.js';
import type { OptionValues } from './options.js';

const options = {
  in_flight: {
    type: 'integer',
    default: 2,
    min: 1,
    max: 8,
    help: 'Frames inside the pipeline at once: more keeps the cores busier, fewer keeps the delay lower; pictures that come meanwhile are not graded (the newest is graded next)',
  },
} as const;

/** The live picture a frame was made from: its place in the input and when it entered ffmpeg. */
export const LIVE_PICTURE = noteKey<LivePicture>('live');

function liveFrames(opts: OptionValues<typeof options>, run: LiveRunContext): Observable<Frame> {
  const { pool, live, geometry, logger } = run;
  const padded = geometry.active.width !== geometry.width || geometry.active.height !== geometry.height;
  // No downscale after live (`off`): the proxy is the picture itself.
  const sameSize = !padded && geometry.width === live.width && geometry.height === live.height;
  return new Observable<Frame>((subscriber) => {
    let index = 0;
    let dropped = 0;
    let afterDrop = false;
    const subscription = live.pictures.subscribe({
      next: (picture) => {
        const frame = pool.tryAcquire();
        if (!frame) {
          picture.release();
          dropped++;
          afterDrop = true;
          run.stats?.set('droppedFrames', dropped);
          logger.debug({ seq: picture.seq, dropped }, 'picture dropped: no free frame in the pool');
          return;
        }
        frame.index = index++;
        frame.pts = picture.enteredAt / 1000;
        frame.ptsMicros = Math.round(picture.enteredAt * 1000);
        frame.discontinuity = picture.discontinuity || afterDrop || frame.index === 0;
        afterDrop = false;
        frame.active = geometry.active;
        const proxy = frame.image.data as Uint8Array;
        if (sameSize) proxy.set(picture.bytes);
        else {
          // Only a padded proxy (fit: pad) has pixels outside the picture; they stay black.
          if (padded) proxy.fill(0);
          downscaleRgb24(picture.bytes, live.width, live.height, proxy, geometry.width, geometry.active);
        }
        frame.full = picture;
        frame.notes.set(LIVE_PICTURE, picture);
        subscriber.next(frame);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => subscription.unsubscribe();
  });
}

export const live = defineStage({
  kind: 'source',
  name: 'live',
  ends: 'live',
  description:
    "The live preview's source: the newest picture of the camera or stream whenever the pipeline has room, its proxy made in Node",
  options,
  maxInFlight: (opts) => opts.in_flight,
  open: (opts, run) => liveFrames(opts, endsOf(run, 'live', 'live')),
});
