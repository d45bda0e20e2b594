/**
 * detune: applies named detunes (docs/detunes.md's table: green-2, contrast-high-1, or continuous
 * amounts such as green:1.5) to every frame: the opposite of grading, for demos and for testing
 * any grader. Every frame gets the exact 8/16-bit detune (`compileDetunes`, tables built once for
 * the stream's depth). `vgrade detune` (pipelines/detune.yaml) runs it on the full-resolution
 * frames and encodes them as they are (`encode`'s `pixels: frames`), so its output is the table
 * exactly. After a downscale it also leaves the continuous transform (clipped between steps, not
 * rounded) as the frame's correction, for `merge` to carry to the full-resolution frame as a LUT.
 */
import { map } from '../util/rx.js';
import { defineStage } from './stage.js';
import type { Frame } from '../frame/frame.js';
import { parseDetuneList } from '../detune/families.js';
import { compileDetunes, compileDetunes16, detuneTransform } from '../detune/apply.js';

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
  create: (opts, run) => {
    const list = parseDetuneList(opts.detunes);
    const transform = detuneTransform(list);
    // The kernel is chosen once for the stream's depth, never per frame.
    let kernel: (frame: Frame) => void;
    if (run.geometry.depth === 8) {
      const k = compileDetunes(list);
      kernel = (frame) => k(frame.image.data as Uint8Array, frame.graded.data as Uint8Array);
    } else {
      const k = compileDetunes16(list);
      kernel = (frame) => k(frame.image.data as Uint16Array, frame.graded.data as Uint16Array);
    }
    return map((frame) => {
      kernel(frame);
      frame.hasGraded = true;
      frame.correction = transform;
      return frame;
    });
  },
});
