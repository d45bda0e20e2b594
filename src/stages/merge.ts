/**
 * merge: turns the grade found on the proxy into a 3D LUT for the full-resolution frame.
 *
 * When the grader left an exact correction (a colour transform, as `autobalance` does) the LUT is
 * that transform sampled on the Hald lattice (below). When it left only graded pixels (a network
 * regenerating the frame), the LUT is fitted from proxy-in to proxy-out (`fitLut`: an affine fit
 * plus a shrunk lattice regression). The encoder's ffmpeg then applies the LUT to the
 * full-resolution frame with tetrahedral interpolation (`haldclut`), so full-resolution pixels
 * never enter JavaScript and the output is as sharp as the source.
 *
 * `hald_level` is the LUT's Hald level: the lattice has level^2 points per axis (6 -> 36^3). It is
 * part of the stream's format from here on: `encode` sends Hald images of this level.
 */
import { defer, map } from '../util/rx.js';
import { defineStage } from './stage.js';
import { allocLut, fillLut, sampleLut, type ColourTransform } from '../correction/lut3d.js';
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
  fit_size: {
    type: 'integer',
    default: 17,
    min: 3,
    max: 65,
    help: 'When fitting: lattice points per axis of the fitted LUT (fewer points, more samples each)',
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
  negotiate: (opts, format) => ({ ...format, haldLevel: opts.hald_level }),
  create: (opts) => (source) =>
    defer(() => {
      const size = haldCubeSize(opts.hald_level);
      // Fitted on a coarser lattice (a proxy has ~30k samples: too few for 36^3 points), then
      // sampled onto the Hald lattice; exact corrections are sampled directly.
      const fitted = allocLut(Math.min(size, opts.fit_size));
      const sampled: ColourTransform = (r, g, b, out) => sampleLut(fitted, r, g, b, out);
      return source.pipe(
        map((frame) => {
          const lut = frame.lutStorage(size);
          if (frame.correction) fillLut(size, frame.correction, lut);
          else if (frame.hasGraded) {
            fitLut(frame.image, frame.graded, frame.active, fitted, { shrink: opts.shrink });
            fillLut(size, sampled, lut);
          } else {
            frame.lut = undefined;
            return frame;
          }
          frame.lut = lut;
          return frame;
        }),
      );
    }),
});
