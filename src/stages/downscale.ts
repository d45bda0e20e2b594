/**
 * downscale: makes the proxy the graders and networks see (default 456x256, the paper's size).
 *
 * It runs inside the decoder's ffmpeg (it must directly follow `decode`), so full-resolution
 * pixels never reach JavaScript. After `live` (the preview), the live source makes the proxy itself
 * from its picture (an area average: `fit` pad or stretch, `scaler` area). Aspect ratio is handled explicitly by `fit`:
 *   - `pad` (default): scale to fit inside, centre, pad with black; the frame's `active` rectangle
 *     marks the picture so statistics and fits ignore the padding;
 *   - `crop`: scale to cover, centre, crop the overflow;
 *   - `stretch`: scale to exactly width x height, distorting shapes (colour statistics are kept).
 * `area` averaging is the default scaler: it is the right filter for statistics (no ringing).
 */
import { defineStage, type FrameGeometry } from './stage.js';
import type { OptionValues } from './options.js';
import type { Depth } from '../image/image.js';
import { RuntimeFailure } from '../util/errors.js';

const options = {
  width: { type: 'integer', default: 456, min: 16, max: 4096, help: 'Proxy width in pixels' },
  height: { type: 'integer', default: 256, min: 16, max: 4096, help: 'Proxy height in pixels' },
  fit: {
    type: 'enum',
    values: ['pad', 'crop', 'stretch'],
    default: 'pad',
    help: 'How a source of another aspect ratio fits the proxy: pad (letterbox), crop, or stretch',
  },
  scaler: {
    type: 'enum',
    values: ['area', 'bilinear', 'bicubic', 'lanczos'],
    default: 'area',
    help: 'ffmpeg scaler used to make the proxy',
  },
} as const;

type Options = OptionValues<typeof options>;

/** The proxy's geometry and the ffmpeg filter that makes it from a source of the given size. */
export function proxyFilter(
  opts: Options,
  source: { width: number; height: number; depth: Depth },
): { filter: string; geometry: FrameGeometry } {
  const { width: W, height: H, fit, scaler } = opts;
  if (source.width < 1 || source.height < 1) {
    throw new RuntimeFailure(
      'E_INPUT_NOT_MEDIA',
      `Cannot downscale a ${source.width}x${source.height} source`,
    );
  }
  const flags = `flags=${scaler}`;
  if (fit === 'stretch') {
    return {
      filter: `scale=${W}:${H}:${flags}`,
      geometry: { width: W, height: H, depth: source.depth, active: { x: 0, y: 0, width: W, height: H } },
    };
  }
  const scale =
    fit === 'pad'
      ? Math.min(W / source.width, H / source.height)
      : Math.max(W / source.width, H / source.height);
  const w = Math.max(1, Math.min(fit === 'pad' ? W : Infinity, Math.round(source.width * scale)));
  const h = Math.max(1, Math.min(fit === 'pad' ? H : Infinity, Math.round(source.height * scale)));
  if (fit === 'pad') {
    const x = Math.floor((W - w) / 2);
    const y = Math.floor((H - h) / 2);
    const filter =
      w === W && h === H
        ? `scale=${W}:${H}:${flags}`
        : `scale=${w}:${h}:${flags},pad=${W}:${H}:${x}:${y}:black`;
    return {
      filter,
      geometry: { width: W, height: H, depth: source.depth, active: { x, y, width: w, height: h } },
    };
  }
  const cw = Math.max(w, W);
  const ch = Math.max(h, H);
  const x = Math.floor((cw - W) / 2);
  const y = Math.floor((ch - H) / 2);
  return {
    filter: `scale=${cw}:${ch}:${flags},crop=${W}:${H}:${x}:${y}`,
    geometry: { width: W, height: H, depth: source.depth, active: { x: 0, y: 0, width: W, height: H } },
  };
}

export const downscale = defineStage({
  kind: 'transform',
  name: 'downscale',
  description:
    'Makes the proxy the graders see (runs inside the decoder ffmpeg; aspect kept by pad, crop or stretch)',
  options,
  decoderFilter: proxyFilter,
  // The live source's proxy is an area average of the whole picture: cropping it is not.
  madeByLiveSource: (opts) => opts.fit !== 'crop' && opts.scaler === 'area',
  create: () => (source) => source,
});
