import type { GradeProgress } from '../run/grade.js';

export type ProgressMode = 'bar' | 'json' | 'none';

/**
 * Progress on stderr: a one-line bar (frames, fps, ETA) redrawn at most 10 times a second in a
 * terminal, or one JSON object per second for machines (`--progress json`).
 */
export class ProgressReporter {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly mode: ProgressMode,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(p: GradeProgress, force = false): void {
    if (this.mode === 'none') return;
    const now = Date.now();
    const interval = this.mode === 'json' ? 1000 : 100;
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const fps = p.elapsedSeconds > 0 ? p.frames / p.elapsedSeconds : 0;
    const eta = p.total && fps > 0 ? Math.max(0, (p.total - p.frames) / fps) : undefined;
    if (this.mode === 'json') {
      this.stream.write(
        `${JSON.stringify({ type: 'progress', input: p.input, frames: p.frames, total: p.total ?? null, fps: +fps.toFixed(2), eta: eta === undefined ? null : +eta.toFixed(1) })}\n`,
      );
      return;
    }
    const width = 30;
    const share = p.total ? Math.min(1, p.frames / p.total) : 0;
    const bar = p.total
      ? `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ${(share * 100).toFixed(0).padStart(3)}% `
      : '';
    const line = `${bar}${p.frames}${p.total ? `/${p.total}` : ''} frames  ${fps.toFixed(1)} fps${eta !== undefined ? `  ETA ${formatDuration(eta)}` : ''}  ${p.input}`;
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`
    : `${m}:${String(r).padStart(2, '0')}`;
}

/** "1 frame", "0 frames", "25 frames": a count and its noun, singular where the count is 1. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
