/*
 * Kinds of error outside the 24 detune classes, made by ffmpeg's own filters: what real footage
 * has that the classifier was never taught (a white balance off by some hundreds of kelvin, a
 * wrong gamma, too much saturation, tinted shadows). `vgrade eval` reports each as its own row:
 * a grader must never leave them worse than the input on average.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';

const run = promisify(execFile);

export interface OutsideKind {
  /** The table's row name. */
  readonly name: string;
  /** The ffmpeg filter that makes it. */
  readonly filter: string;
  /** The filter's name, to check this ffmpeg has it. */
  readonly needs: string;
}

export const OUTSIDE_KINDS: readonly OutsideKind[] = [
  { name: 'outside: warm 4500 K', filter: 'colortemperature=temperature=4500', needs: 'colortemperature' },
  { name: 'outside: cool 9000 K', filter: 'colortemperature=temperature=9000', needs: 'colortemperature' },
  { name: 'outside: gamma 0.75', filter: 'eq=gamma=0.75', needs: 'eq' },
  { name: 'outside: gamma 1.35', filter: 'eq=gamma=1.35', needs: 'eq' },
  { name: 'outside: saturation 1.4', filter: 'eq=saturation=1.4', needs: 'eq' },
  { name: 'outside: tinted shadows', filter: 'colorbalance=rs=0.15:bs=-0.1', needs: 'colorbalance' },
];

/** The outside kinds this ffmpeg can make. */
export function availableOutsideKinds(caps: FfmpegCapabilities): OutsideKind[] {
  return OUTSIDE_KINDS.filter((k) => caps.filters.has(k.needs));
}

/** Writes `source` (a clean frame) with the kind's error applied, as an rgb24 PNG at `target`. */
export async function writeOutsideKind(
  ffmpeg: string,
  kind: OutsideKind,
  source: string,
  target: string,
): Promise<void> {
  await run(ffmpeg, [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    source,
    '-vf',
    `${kind.filter},format=rgb24`,
    '-frames:v',
    '1',
    target,
  ]);
}
