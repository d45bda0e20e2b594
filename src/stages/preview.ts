/**
 * preview: the sink of a live preview. Grades each frame's picture (the live source's, at the
 * preview's size) with the LUT the pipeline left on the frame, as `encode` grades a file's frames,
 * through the display's look (the preview adds its trims over the correction), and shows it: the
 * page's side-by-side picture, the scopes and the recording (`vgrade preview`). A frame with no
 * LUT (a pipeline that grades nothing, or `off`) is shown with the display's look alone.
 *
 * The proxy the stages saw is not shown: the picture is graded at the preview's own size, so it
 * stays sharp.
 */
import { tap, type OperatorFunction } from '../util/rx.js';
import type { Frame } from '../frame/frame.js';
import { applyLutRgb24 } from '../lut/rgb24Wasm.js';
import { defineStage, endsOf, type LiveRunContext } from './stage.js';
import { LIVE_PICTURE } from './live.js';
import { UsageError } from '../util/errors.js';

function showFrames(run: LiveRunContext): OperatorFunction<Frame, Frame> {
  const { display, live } = run;
  const pixels = live.width * live.height;
  // The graded picture, valid while the display's `show` runs (it copies what it keeps).
  const graded = new Uint8Array(pixels * 3);
  return tap((frame) => {
    const picture = frame.notes.get(LIVE_PICTURE);
    if (!picture) throw new Error(`frame ${frame.index} reached preview without a live picture`);
    const look = display.look(frame.lut);
    if (look) applyLutRgb24(look, picture.bytes, graded, pixels);
    display.show({ picture, after: look ? graded : picture.bytes, look, frame });
  });
}

export const preview = defineStage({
  kind: 'sink',
  name: 'preview',
  ends: 'live',
  description:
    "The live preview's sink: each frame's picture graded with its LUT (and the page's trims) at the preview's size and shown beside the source",
  options: {},
  checkOrder: (_opts, before) => {
    if (!before.has('lut') && before.has('correction')) {
      throw new UsageError(
        'E_PIPELINE_ORDER',
        "preview applies each frame's LUT, and nothing makes one from the correction found: put merge before it",
      );
    }
  },
  create: (_opts, run) => showFrames(endsOf(run, 'live', 'preview')),
});
