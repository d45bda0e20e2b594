/*
 * The paper's protocol: frames held out from sources that are otherwise trained on.
 *
 * A fifth of the train split's single frames (chosen by a hash of the frame's file name, so the
 * choice depends on the data set alone) are never shown to training. `vgrade eval --protocol
 * frames` measures a classifier on exactly those frames; `--protocol sources` (ours, the default)
 * on sources never trained on at all. Run frames at the same position of the same source are held
 * out with them, so no held-out picture is trained on under another name.
 */
import type { ManifestEntry } from './manifest.js';
import { hashName } from './split.js';

/** Which of a split's reference frames to load. */
export type FrameSelection = 'all' | 'trainable' | 'held-out';

const HELD_OUT_SEED = 0x5eed;
const HELD_OUT_ONE_IN = 5;

function fileName(file: ManifestEntry['files'][number]): string {
  return 'ab' in file ? file.ab : file.reference;
}

/** Whether a data set entry is one of the train split's held-out single frames. */
export function isHeldOutFrame(entry: ManifestEntry): boolean {
  if (entry.split !== 'train' || entry.kind !== 'frame' || entry.files.length !== 1) return false;
  return hashName(fileName(entry.files[0]!), HELD_OUT_SEED) % HELD_OUT_ONE_IN === 0;
}

/**
 * The entries of one selection, with held-out positions removed from runs (`trainable`). Photos
 * are sources of one frame each: they are trained on whole, never held out by frame.
 */
export function selectFrames(entries: readonly ManifestEntry[], selection: FrameSelection): ManifestEntry[] {
  if (selection === 'all') return [...entries];
  if (selection === 'held-out') return entries.filter(isHeldOutFrame);
  const heldOut = new Set(entries.filter(isHeldOutFrame).map((e) => `${e.source}#${e.frames[0]!}`));
  return entries
    .filter((e) => !isHeldOutFrame(e))
    .map((e) => {
      if (e.kind !== 'run') return e;
      const keep = e.frames.map((f) => !heldOut.has(`${e.source}#${f}`));
      if (keep.every(Boolean)) return e;
      return {
        ...e,
        frames: e.frames.filter((_, i) => keep[i]),
        pts: e.pts.filter((_, i) => keep[i]),
        detunes: e.detunes.filter((_, i) => keep[i]),
        files: e.files.filter((_, i) => keep[i]),
      };
    });
}
