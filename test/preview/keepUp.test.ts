import { describe, expect, it } from 'vitest';
import { CANNOT_KEEP_UP, KeepUp } from '../../src/preview/keepUp.js';

/** A KeepUp on a fake clock, run a millisecond at a time. */
function meter() {
  let now = 1_000_000;
  const keepUp = new KeepUp(() => now);
  /** `ms` of a source making `sourceFps` frames a second (rate unknown: undefined), `shownFps` of them shown. */
  const run = (ms: number, sourceFps: number | undefined, shownFps: number): void => {
    for (let t = 0; t < ms; t++, now++) {
      if (t % (1000 / (sourceFps ?? 25)) === 0) keepUp.frame(sourceFps);
      if (shownFps > 0 && t % (1000 / shownFps) === 0) keepUp.shown();
    }
  };
  return { keepUp, run };
}

describe('whether the preview keeps up', () => {
  it('keeps up when every frame of the source is shown', () => {
    const { keepUp, run } = meter();
    keepUp.live();
    run(5000, 25, 25);
    const figures = keepUp.figures();
    expect(figures).toMatchObject({ sourceFps: 25, shownFps: 25, keepingUp: true });
    expect(figures.dropping).toBeLessThan(CANNOT_KEEP_UP);
  });

  it('cannot keep up when fewer are shown than the source makes, and says what share it drops', () => {
    const { keepUp, run } = meter();
    keepUp.live();
    run(5000, 25, 10);
    const figures = keepUp.figures();
    expect(figures).toMatchObject({ shownFps: 10, keepingUp: false });
    expect(figures.dropping).toBeCloseTo(0.6, 5);
    // Back to full speed: within one window it keeps up again.
    run(2000, 25, 25);
    expect(keepUp.figures()).toMatchObject({ dropping: 0, keepingUp: true });
  });

  it('gives no verdict before the source has been live for a whole window, nor while it is lost', () => {
    const { keepUp, run } = meter();
    run(5000, 25, 0);
    expect(keepUp.figures()).toMatchObject({ dropping: 0, keepingUp: true }); // never live
    keepUp.live();
    run(1000, 25, 0);
    expect(keepUp.figures()).toMatchObject({ dropping: 0, keepingUp: true }); // live for 1 s of 2
    run(1000, 25, 0);
    expect(keepUp.figures()).toMatchObject({ shownFps: 0, dropping: 1, keepingUp: false });
    keepUp.lost();
    expect(keepUp.figures()).toMatchObject({ dropping: 0, keepingUp: true });
  });

  it('gives no verdict while the source has not said its rate', () => {
    const { keepUp, run } = meter();
    keepUp.live();
    run(3000, undefined, 0);
    expect(keepUp.figures()).toMatchObject({ sourceFps: undefined, dropping: 0, keepingUp: true });
  });
});
