/**
 * The white-balance reader: what a frame's colours say of a white balance off on it, as the chroma
 * of the channels' gains: ln(gain R / gain G) and ln(gain B / gain G).
 *
 * Two linear reads (ridge regression), fitted on clean frames of the 361 training sources put
 * through black bodies of 3000-15000 K and a green-magenta tint (research/white-examples.ts,
 * research/train_white.py): one from the 131 colour statistics the statistics classifier reads
 * (src/models/classifier/statistics.ts), one from those and the classic colour-constancy cues
 * (src/color/illuminantCues.ts). The reader gives the shorter of the two: a cast is read only as far
 * as both read it. Each read alone is wrong now and then on a scene of strong colour of its own (a
 * warm interior, a yellow chick: 0.2 where the other reads 0.05 or 0.1), and they are not wrong on
 * the same scenes. What they learnt is how a natural frame's colours sit, so a warm interior reads
 * warm as far as it is warmer than the frames they saw: hence the tolerance of those who use it.
 */
import { readFileSync } from 'node:fs';
import { frameStatistics, STATISTICS_LENGTH, to8Bit } from './classifier/statistics.js';
import { CUES_LENGTH, illuminantCues } from '../color/illuminantCues.js';
import { UsageError } from '../util/errors.js';

/**
 * Frames between two white-balance reads in a shot: a read (the proxy through the inverse, then
 * its statistics and cues) costs about 12 ms here, and on every classifier reading (every other
 * frame) it slowed a 720p grade by 17%; the reads are pooled over 48 frames anyway.
 */
export const WHITE_READ_EVERY = 8;

export interface WhiteReader {
  /** The cast's chroma on an rgb24/rgb48 proxy frame `width` pixels wide: [ln R/G, ln B/G]. */
  read(frame: Uint8Array | Uint16Array, width: number): [number, number];
  /**
   * How far a cast on the (detuned) frame looks like a cast family, channels raised (1), rather
   * than a white balance off, channels lowered (0); undefined where the file has no such read.
   */
  familyShare(frame: Uint8Array | Uint16Array, width: number): number | undefined;
}

/** What a linear read reads: the statistics, or the statistics and then the cues. */
type Inputs = 'statistics' | 'statistics+cues';

interface LinearReadFile {
  readonly inputs: Inputs;
  readonly mean: number[];
  readonly std: number[];
  /** inputs x 2 */
  readonly weights: number[][];
  readonly bias: number[];
}

interface ExposureReadFile extends LinearReadFile {
  /** The read's mean on the validation split's cast families (level 2) and white balances. */
  readonly family: number;
  readonly whiteBalance: number;
}

interface ReaderFile {
  readonly readers: LinearReadFile[];
  readonly exposure?: ExposureReadFile;
}

const LENGTHS: Record<Inputs, number> = {
  statistics: STATISTICS_LENGTH,
  'statistics+cues': STATISTICS_LENGTH + CUES_LENGTH,
};

export function loadWhiteReader(file: string): WhiteReader {
  let json: ReaderFile;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as ReaderFile;
  } catch (err) {
    throw new UsageError('E_MODEL', `No white-balance reader at ${file}: ${(err as Error).message}`);
  }
  try {
    return whiteReaderFrom(json);
  } catch (err) {
    throw new UsageError('E_MODEL', `${file} is not a white-balance reader: ${(err as Error).message}`);
  }
}

export function whiteReaderFrom(json: ReaderFile): WhiteReader {
  if (!Array.isArray(json.readers) || json.readers.length === 0) throw new Error('it holds no reads');
  const reads = json.readers.map((r) => linearRead(r, 2));
  const exposure = json.exposure && { read: linearRead(json.exposure, 1), ...json.exposure };
  if (exposure && !(exposure.family > exposure.whiteBalance)) {
    throw new Error('its exposure read must read families above white balances');
  }
  const values = new Float32Array(STATISTICS_LENGTH + CUES_LENGTH);
  const cues = new Float32Array(CUES_LENGTH);
  const statistics = values.subarray(0, STATISTICS_LENGTH);
  const measure = (frame: Uint8Array | Uint16Array, width: number, needsCues: boolean): void => {
    // Both read 8-bit values: a 16-bit frame is rounded once.
    const rgb = frame instanceof Uint16Array ? to8Bit(frame) : frame;
    frameStatistics(rgb, statistics);
    if (needsCues) values.set(illuminantCues(rgb, width, cues), STATISTICS_LENGTH);
  };
  const needsCues = reads.some((r) => r.inputs === 'statistics+cues');
  return {
    read(frame, width) {
      measure(frame, width, needsCues);
      let best: [number, number] | undefined;
      for (const r of reads) {
        const out = r.apply(values) as [number, number];
        if (!best || Math.hypot(...out) < Math.hypot(...best)) best = out;
      }
      return best!;
    },
    familyShare(frame, width) {
      if (!exposure) return undefined;
      measure(frame, width, exposure.read.inputs === 'statistics+cues');
      const e = exposure.read.apply(values)[0]!;
      const t = (e - exposure.whiteBalance) / (exposure.family - exposure.whiteBalance);
      return t <= 0 ? 0 : t >= 1 ? 1 : t;
    },
  };
}

/** A linear read from its file: checked, standardised, `outputs` values from the frame's values. */
function linearRead(r: LinearReadFile, outputs: number) {
  const length = LENGTHS[r.inputs];
  if (!length) throw new Error(`unknown inputs ${String(r.inputs)}`);
  if (r.mean?.length !== length || r.std?.length !== length || r.weights?.length !== length) {
    throw new Error(`a read of ${r.inputs} takes ${length} values`);
  }
  if (r.bias?.length !== outputs || r.weights.some((row) => row.length !== outputs)) {
    throw new Error(`a read gives ${outputs} values`);
  }
  const mean = Float64Array.from(r.mean);
  const scale = Float64Array.from(r.std, (s) => 1 / s);
  const weights = Float64Array.from(r.weights.flat());
  const bias = Float64Array.from(r.bias);
  return {
    inputs: r.inputs,
    apply(values: Float32Array): number[] {
      const out = Array.from(bias);
      for (let i = 0; i < length; i++) {
        const x = (values[i]! - mean[i]!) * scale[i]!;
        for (let o = 0; o < outputs; o++) out[o]! += x * weights[i * outputs + o]!;
      }
      return out;
    },
  };
}
