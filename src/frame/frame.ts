import type { ColourTransform, Lut3d } from '../correction/lut3d.js';
import type { Rect, RgbImage } from '../image/image.js';
import type { FrameNotes } from './notes.js';

/**
 * The full-resolution picture decoded beside a proxy frame, in the source's own layout (8-bit
 * 4:2:0 Y'CbCr planes), when the sink grades it in Node. Its buffer comes from the decoder's own
 * ring and goes back there when the frame is released.
 */
export interface FullPicture {
  readonly bytes: Uint8Array;
  release(): void;
}

/**
 * One decoded frame as it travels through a pipeline.
 *
 * Frames come from a fixed {@link FramePool} and are reference counted. The stream owns one
 * reference to each frame it carries: an operator that passes a frame on passes that reference
 * with it; an operator that drops a frame calls `release()`; an operator that keeps a frame after
 * passing it on (context for later frames) calls `retain()` first and `release()` when done. When
 * the count reaches zero the frame goes back to its pool and its buffers are reused, so nothing may
 * be read from a released frame.
 */
export interface Frame {
  /** Position in the stream, from 0, in presentation order. */
  index: number;
  /** Presentation time in seconds (after ffmpeg's start-time offset), if known. */
  pts: number | undefined;
  /** Presentation time in microseconds, floored: what the encoder's CLUT stream carries. */
  ptsMicros: number;
  /** Set on the first frame after frames were dropped or the source restarted: temporal state resets. */
  discontinuity: boolean;
  /** Set on the first frame of a new shot: no correction or blend crosses it. */
  sceneCut: boolean;
  /** The pixels as decoded (the proxy when a downscale runs in the decoder). */
  readonly image: RgbImage;
  /** The part of `image` that holds picture (the rest is padding added by downscale). */
  active: Rect;
  /** The graded pixels, valid when `hasGraded` is set. Preallocated with the frame. */
  readonly graded: RgbImage;
  hasGraded: boolean;
  /** The colour correction to apply to the full-resolution frame, when a stage has found one. */
  correction: ColourTransform | undefined;
  /** The correction as a 3D LUT, built by `merge`: what the encoder applies at full resolution. */
  lut: Lut3d | undefined;
  /**
   * The full-resolution picture, when the decoder hands it to Node (see `RunContext.fullFrames`);
   * released with the frame. The sink may grade it in place.
   */
  full: FullPicture | undefined;
  /** Per-stage notes (statistics, classifier records), each under a typed key. Cleared on reuse. */
  readonly notes: FrameNotes;
  /** A LUT of this size owned by the frame (allocated once, reused with the frame). */
  lutStorage(size: number): Lut3d;
  retain(): void;
  release(): void;
  /** The current reference count (for tests and assertions). */
  readonly refs: number;
}

/** True where a temporal stage must start afresh. */
export function startsSegment(frame: Frame): boolean {
  return frame.discontinuity || frame.sceneCut;
}
