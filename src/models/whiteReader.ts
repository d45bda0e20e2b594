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

export interface WhiteReader {
  /** The cast's chroma on an rgb24/rgb48 proxy frame `width` pixels wide: [ln R/G, ln B/G]. */
  read(frame: Uint8Array | Uint16Array, width: number): [number, number];
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

interface ReaderFile {
  readonly readers: LinearReadFile[];
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
  const reads = json.readers.map((r) => {
    const length = LENGTHS[r.inputs];
    if (!length) throw new Error(`unknown inputs ${String(r.inputs)}`);
    if (r.mean?.length !== length || r.std?.length !== length || r.weights?.length !== length) {
      throw new Error(`a read of ${r.inputs} takes ${length} values`);
    }
    if (r.bias?.length !== 2 || r.weights.some((row) => row.length !== 2)) {
      throw new Error('a read gives 2 values');
    }
    return {
      inputs: r.inputs,
      mean: Float64Array.from(r.mean),
      scale: Float64Array.from(r.std, (s) => 1 / s),
      weights: Float64Array.from(r.weights.flat()),
      bias: Float64Array.from(r.bias),
    };
  });
  const needsCues = reads.some((r) => r.inputs === 'statistics+cues');
  const values = new Float32Array(STATISTICS_LENGTH + CUES_LENGTH);
  const cues = new Float32Array(CUES_LENGTH);
  return {
    read(frame, width) {
      values.set(frameStatistics(frame));
      if (needsCues) {
        const rgb = frame instanceof Uint16Array ? to8Bit(frame) : frame;
        values.set(illuminantCues(rgb, width, cues), STATISTICS_LENGTH);
      }
      let best: [number, number] | undefined;
      for (const r of reads) {
        const out: [number, number] = [r.bias[0]!, r.bias[1]!];
        for (let i = 0; i < r.mean.length; i++) {
          const x = (values[i]! - r.mean[i]!) * r.scale[i]!;
          out[0] += x * r.weights[2 * i]!;
          out[1] += x * r.weights[2 * i + 1]!;
        }
        if (!best || Math.hypot(...out) < Math.hypot(...best)) best = out;
      }
      return best!;
    },
  };
}
