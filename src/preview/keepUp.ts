/** From this share of the source's frames not shown, the preview says it cannot keep up. */
export const CANNOT_KEEP_UP = 0.1;

/** How the preview keeps up with its source, over the last window (2 s). */
export interface KeepUpFigures {
  /** The source's own frame rate (from its timestamps); undefined until it is known. */
  readonly sourceFps: number | undefined;
  /** Pictures shown per second. */
  readonly shownFps: number;
  /**
   * The share (0 to 1) of the source's frames that were not shown; 0 until the source has been
   * live for a whole window.
   */
  readonly dropping: number;
  /** False once `dropping` reaches {@link CANNOT_KEEP_UP}. */
  readonly keepingUp: boolean;
}

/**
 * Whether the preview keeps up with its source: the pictures shown over the last window against
 * the frames the source made in it, at its own rate. Nothing on the way queues (the source thread,
 * the grader, the page encoder and each viewer keep the newest frame and drop the rest), so a
 * machine that cannot keep up shows fewer pictures, not later ones: a frame the source made that
 * was not shown was dropped, or (a source that ffmpeg itself cannot make in real time) never made
 * in time. Either way it counts here, and the share is what the page reports.
 */
export class KeepUp {
  private readonly times: number[] = [];
  private sourceFps: number | undefined;
  private liveSince: number | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly windowMs = 2000,
  ) {}

  /** The source is live (again): a verdict once it has been for a whole window. */
  live(): void {
    this.liveSince = this.now();
  }

  /** The source is lost (reconnecting): no verdict meanwhile. */
  lost(): void {
    this.liveSince = undefined;
  }

  /** A frame of the source, which says the source's own frame rate. */
  frame(sourceFps: number | undefined): void {
    if (sourceFps !== undefined && Number.isFinite(sourceFps) && sourceFps > 0) this.sourceFps = sourceFps;
  }

  /** One picture shown. */
  shown(): void {
    this.times.push(this.now());
    this.prune();
  }

  figures(): KeepUpFigures {
    this.prune();
    const now = this.now();
    const shownFps = this.times.length / (this.windowMs / 1000);
    const whole = this.liveSince !== undefined && now - this.liveSince >= this.windowMs;
    const dropping =
      whole && this.sourceFps !== undefined ? Math.min(1, Math.max(0, 1 - shownFps / this.sourceFps)) : 0;
    return { sourceFps: this.sourceFps, shownFps, dropping, keepingUp: dropping < CANNOT_KEEP_UP };
  }

  private prune(): void {
    const since = this.now() - this.windowMs;
    while (this.times.length > 0 && this.times[0]! < since) this.times.shift();
  }
}
