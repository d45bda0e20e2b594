/**
 * invert: the classifier-driven grader. It undoes the detunes the classifier found: each frame's
 * correction is the inverse of the families' amounts in the `classify` stage's record
 * (`inverseDetuneTransform`), so no pixel is regenerated: the frame is only mapped back through
 * the detune formulas (the paper's "do no harm" path). Put a `classify` stage with `wait: true`
 * before it.
 *
 * Amounts well below `threshold` are treated as 0 (the classifier's noise on a clean frame should
 * not move it) and fade in smoothly around it; all amounts are scaled by `strength`. A frame the classifier skipped (`every` > 1)
 * takes the last record of its shot; before the first record of a shot, frames are left alone.
 */
import { defer, map } from 'rxjs';
import { defineStage } from './stage.js';
import { startsSegment } from '../frame/frame.js';
import { FAMILIES, type Detune } from '../detune/families.js';
import { inverseDetuneTransform } from '../detune/inverse.js';
import type { FrameRecord } from './classify.js';

const options = {
  graded_proxy: {
    type: 'boolean',
    default: true,
    help: 'Also map the proxy pixels (for a later stage that reads them, e.g. blend mode pixels); merge needs only the correction',
  },
  threshold: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 3,
    help: 'Amounts below this are taken as 0',
  },
  strength: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1,
    help: 'Scales every amount before it is undone (0: leave frames alone)',
  },
} as const;

/**
 * The detunes a classifier record names, after the threshold and strength. An amount fades in
 * between threshold/2 and 3 threshold/2 (0 below, whole above), so a diagnosis hovering at the
 * threshold cannot switch the correction on and off from one frame to the next.
 */
export function detunesOfRecord(record: FrameRecord, threshold: number, strength: number): Detune[] {
  const fade = (a: number): number => {
    if (threshold === 0) return 1;
    const t = (a - threshold / 2) / threshold;
    return t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
  };
  return FAMILIES.map((family) => {
    const a = record.amounts[family] ?? 0;
    return { family, amount: Math.min(3, a * fade(a) * strength) };
  }).filter((d) => d.amount > 0);
}

export const invert = defineStage({
  kind: 'transform',
  name: 'invert',
  description: 'Classifier-driven grade: undoes the detunes the classify stage found (no pixel regenerated)',
  options,
  produces: ['graded', 'correction'],
  isIdentity: (opts) => opts.strength === 0,
  create: (opts) => (source) =>
    defer(() => {
      let last: FrameRecord | undefined;
      return source.pipe(
        map((frame) => {
          if (startsSegment(frame)) last = undefined;
          const record = frame.notes.get('classify') as FrameRecord | undefined;
          if (record) last = record;
          if (!last) return frame;
          const detunes = detunesOfRecord(last, opts.threshold, opts.strength);
          if (detunes.length === 0) return frame;
          const transform = inverseDetuneTransform(detunes);
          frame.correction = transform;
          frame.notes.set('invert', detunes);
          if (!opts.graded_proxy) return frame;
          // The proxy graded the same way, for any stage after this one that looks at pixels.
          const { data } = frame.image;
          const out = frame.graded.data;
          const max = data instanceof Uint16Array ? 65535 : 255;
          const px = new Float32Array(3);
          for (let i = 0; i < data.length; i += 3) {
            transform(data[i]! / max, data[i + 1]! / max, data[i + 2]! / max, px);
            out[i] = Math.round(px[0]! * max);
            out[i + 1] = Math.round(px[1]! * max);
            out[i + 2] = Math.round(px[2]! * max);
          }
          frame.hasGraded = true;
          return frame;
        }),
      );
    }),
});
