/**
 * detune: applies named detunes (docs/detunes.md's table: green-2, contrast-high-1, or continuous
 * amounts such as green:1.5) to every frame: the opposite of grading, for demos and for testing
 * any grader. The proxy gets the exact 8/16-bit detune; the full-resolution frame gets the same
 * transform (continuous, clipped between steps) through `merge`'s LUT.
 */
import { map } from 'rxjs';
import { defineStage } from './stage.js';
import { parseDetuneList } from '../detune/families.js';
import { applyDetunes, applyDetunes16, detuneTransform } from '../detune/apply.js';

const options = {
  detunes: {
    type: 'string',
    default: 'none',
    help: 'Detunes to apply, in the table order: e.g. green-2,contrast-high-1 or green:1.5 (none: identity)',
  },
} as const;

export const detune = defineStage({
  kind: 'transform',
  name: 'detune',
  description:
    'Applies named detunes (e.g. green-2,contrast-high-1): the opposite of grading, for demos and tests',
  options,
  produces: ['graded', 'correction'],
  check: (opts) => void parseDetuneList(opts.detunes),
  isIdentity: (opts) => parseDetuneList(opts.detunes).length === 0,
  create: (opts) => {
    const list = parseDetuneList(opts.detunes);
    const transform = detuneTransform(list);
    return map((frame) => {
      if (frame.image.data instanceof Uint8Array)
        applyDetunes(frame.image.data, frame.graded.data as Uint8Array, list);
      else applyDetunes16(frame.image.data, frame.graded.data as Uint16Array, list);
      frame.hasGraded = true;
      frame.correction = transform;
      return frame;
    });
  },
});
