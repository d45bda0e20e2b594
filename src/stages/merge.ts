/**
 * merge: turns the grade found on the proxy into a 3D LUT for the full-resolution frame.
 *
 * When the grader left an exact correction (a colour transform, as `autobalance` does) the LUT is
 * that transform sampled on a `lut_size`^3 lattice. When it left only graded pixels (a network
 * regenerating the frame), the LUT is fitted from proxy-in to proxy-out (`fitLut`: an affine fit
 * plus a shrunk lattice regression). The encoder's ffmpeg then applies the LUT to the
 * full-resolution frame with tetrahedral interpolation (`haldclut`), so full-resolution pixels
 * never enter JavaScript and the output is as sharp as the source.
 *
 * `lut_size` is a Hald level: the lattice has level^2 points per axis (6 -> 36^3).
 */
import { map } from 'rxjs';
import { defineStage } from './stage.js';
import { fillLut } from '../correction/lut3d.js';
import { fitLut } from '../correction/fit.js';
import { haldCubeSize } from '../correction/hald.js';

const options = {
  hald_level: {
    type: 'integer',
    default: 6,
    min: 2,
    max: 8,
    help: 'Hald level of the per-frame LUT: level^2 lattice points per axis (6 = 36^3)',
  },
  shrink: {
    type: 'number',
    default: 4,
    min: 0,
    max: 1000,
    help: 'When fitting: how strongly sparse lattice points stay near the global affine fit',
  },
} as const;

export const merge = defineStage({
  kind: 'transform',
  name: 'merge',
  description: 'Turns the proxy grade into a per-frame 3D LUT that the encoder applies at full resolution',
  options,
  requires: ['graded'],
  produces: ['lut'],
  create: (opts) =>
    map((frame) => {
      const size = haldCubeSize(opts.hald_level);
      const lut = frame.lutStorage(size);
      if (frame.correction) fillLut(size, frame.correction, lut);
      else if (frame.hasGraded) fitLut(frame.image, frame.graded, frame.active, lut, { shrink: opts.shrink });
      else {
        frame.lut = undefined;
        return frame;
      }
      frame.lut = lut;
      return frame;
    }),
});
