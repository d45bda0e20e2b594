/**
 * classify: the classifier as a tap. It names what is wrong with every `every`-th frame (and the
 * first frame of each shot) and never changes a frame.
 *
 * Records go to the run (`RunServices.onRecord`, how `vgrade classify` and ingest read them) and, as
 * JSON Lines, to `report` (a file, or `-` for standard output): one per analysed frame, in
 * DESIGN.md's shape:
 *   {"input": "a.mp4", "frame": 12, "pts": 0.48, "top": [{"label": "green-2", "p": 0.93}, ...],
 *    "amounts": {"green": 2.1, "blue": 0, ...}}
 * and, at the end of each shot (a cut, a discontinuity, or the end of the input), one summary:
 *   {"input": "a.mp4", "shot": 0, "from": {"frame": 0, "pts": 0}, "to": {"frame": 95, "pts": 3.8},
 *    "analysed": 8, "problems": [{"family": "green", "amount": 1.9, "share": 1}], "suspected": []}
 * where a problem is a family the default grade would undo by 0.5 or more (its expected amount
 * after the confidence gate: `posteriorDetunes` with invert's defaults) on at least half the
 * shot's analysed frames (`share`), with its mean amount over those frames: what persists, not
 * one frame's noise, and what a grade acts on (a frame the classifier cannot read names nothing).
 * `suspected` lists, the same way, families the amount head alone reads at 0.5 or more where the
 * classifier is too unsure for the grade to act: a lead for a human, not a finding. With
 * `white_balance` (on in pipelines/classify.yaml), each summary also has `white`: the white
 * balance off that the default grade would take off, read as `invert` reads it (on the frame as
 * the inverse leaves it, at most every 8 frames in a shot), where it lies beyond the tolerance on
 * at least half the reads: {"kelvin": 3600, "cast": [0.32, -0.41], "share": 1} (the cast's ln R/G
 * and ln B/G, and the colour temperature of a light that casts it), or null.
 *
 * Inference runs in a worker thread. At most 4 requests are in flight; a fifth waits (holding the
 * stream back through the frame pool), so nothing queues without bound. With `wait`, an analysed
 * frame moves on only once its record is in `frame.notes` (`FINDINGS`, what the `invert` grader
 * reads): only then does the stage produce `findings` for later stages, so the compiler refuses
 * an `invert` after a `classify` without `wait`.
 */
import { Observable, concatMap, defer, finalize, from } from '../util/rx.js';
import { defineStage } from './stage.js';
import { startsSegment, type Frame } from '../frame/frame.js';
import { noteKey } from '../frame/notes.js';
import { giveBackModelClient, takeModelClient, warmModelClient } from '../models/worker/warmClients.js';
import { BACKEND_CHOICES } from '../models/choices.js';
import { CLASS_LABELS, FAMILIES } from '../detune/families.js';
import { POSTERIOR_DEFAULTS, posteriorDetunes } from '../detune/posterior.js';
import { checkModelAgainstStream, resolveModelDir } from '../models/modelFolder.js';
import { NETWORKS } from '../models/networks.js';
import { openLineReport } from '../util/lineReport.js';
import type { FrameRecord, ShotRecord } from './records.js';
import { loadWhiteReader, WHITE_READ_EVERY, type WhiteReader } from '../models/whiteReader.js';
import { resolveModelFile } from '../models/modelFolder.js';
import { kelvinOf, WHITE_TOLERANCE } from '../detune/whiteBalance.js';
import { inverseDetuneTransform, mapPixels, withKnees } from '../detune/inverse.js';

const options = {
  model: {
    type: 'string',
    default: 'models/classifier',
    help: 'Folder of the classifier model (model.json + weights.bin)',
  },
  every: {
    type: 'integer',
    default: 12,
    min: 1,
    max: 100000,
    help: 'Analyse every Nth frame and the first of each shot (1: all)',
  },
  top: { type: 'integer', default: 3, min: 1, max: 25, help: 'Classes listed per analysed frame' },
  report: {
    type: 'string',
    default: '',
    help: 'Where the JSON Lines go: a file, - for standard output, empty for nowhere',
  },
  backend: { type: 'enum', values: BACKEND_CHOICES, default: 'auto', help: 'TensorFlow.js backend' },
  wait: {
    type: 'boolean',
    default: false,
    help: 'Hold each analysed frame until its record is ready (for a grader that reads it, e.g. invert)',
  },
  white_balance: {
    type: 'boolean',
    default: false,
    help: "Also read the white balance off that the default grade would take off (on the frame as the grade's inverse leaves it, at most every 8 frames in a shot), summarised per shot",
  },
  white_model: {
    type: 'string',
    default: 'models/white-balance.json',
    help: 'The white-balance reader (with white_balance)',
  },
} as const;

const IN_FLIGHT = 4;
const THRESHOLD = 0.5;

export interface ClassifierOutputs {
  readonly probs: Float32Array;
  readonly amounts: Float32Array;
}

/** An analysed frame's record, in `frame.notes`: the `findings` product (with `wait`). */
export const FINDINGS = noteKey<FrameRecord>('classify');

/**
 * The classifier's whole outputs for an analysed frame (all 25 probabilities, the 8 amounts
 * unrounded), kept in `frame.notes` beside its record: what `invert` reads.
 */
export const CLASSIFIER_OUTPUTS = noteKey<ClassifierOutputs>('classify.outputs');

/**
 * The classifier's outputs that hold for each frame in turn, for a stage after `classify` (call
 * the returned function on every frame, in order): the frame's own where it was analysed, else
 * the last analysed frame's in its shot (`every` > 1); undefined before a shot's first analysed
 * frame. A record without whole outputs is read from its top classes and amounts.
 */
export function outputsInShot(): (frame: Frame) => ClassifierOutputs | undefined {
  let last: ClassifierOutputs | undefined;
  return (frame) => {
    if (startsSegment(frame)) last = undefined;
    const record = frame.notes.get(FINDINGS);
    if (record) last = frame.notes.get(CLASSIFIER_OUTPUTS) ?? outputsOfRecord(record);
    return last;
  };
}

/**
 * How many frames the graders' gates remember through a shot (invert's and cgan's `memory`
 * default; about 2 s at 25 fps): chosen on the validation split's clips and steady runs
 * (docs/correction-under-uncertainty.md, "The gate remembers the shot").
 */
export const GATE_MEMORY = 48;

/** A frame's classifier outputs and the share of a correction its shot's gate allows. */
export interface GatedOutputs {
  readonly outputs: ClassifierOutputs;
  readonly share: number;
}

/**
 * `outputsInShot`, with the gate's share (`shareOf` of each reading) pooled over the shot: the
 * mean of its readings' shares so far, each weighted by exp(-age / memory), age in frames (0:
 * each reading's own share). A diagnosis hovering at the gate's edge (confidence 0.43-0.55 through
 * a steady 15-second shot, readings every other frame) otherwise switches its correction on and
 * off over seconds, which the blend's +-6 frames cannot smooth. Only the share is pooled, so the
 * amounts follow each frame; and nothing is held: only the past counts, so no frame waits.
 */
export function gatedOutputsInShot(
  memory: number,
  shareOf: (outputs: ClassifierOutputs) => number,
): (frame: Frame) => GatedOutputs | undefined {
  const outputsOf = outputsInShot();
  let last: GatedOutputs | undefined;
  let sum = 0;
  let weight = 0;
  let lastIndex = 0;
  return (frame) => {
    if (startsSegment(frame)) {
      last = undefined;
      weight = 0;
    }
    const outputs = outputsOf(frame);
    if (!outputs) return undefined;
    // A new reading (the frames between readings hold the last one's share, as their outputs).
    if (frame.notes.get(FINDINGS)) {
      const keep =
        weight === 0 || memory === 0 ? 0 : Math.exp(-Math.max(0, frame.index - lastIndex) / memory);
      sum = keep * sum + shareOf(outputs);
      weight = keep * weight + 1;
      lastIndex = frame.index;
      last = { outputs, share: sum / weight };
    }
    return last;
  };
}

function outputsOfRecord(record: FrameRecord): ClassifierOutputs {
  const probs = new Float32Array(CLASS_LABELS.length);
  for (const t of record.top) probs[CLASS_LABELS.indexOf(t.label as (typeof CLASS_LABELS)[number])] = t.p;
  return { probs, amounts: Float32Array.from(FAMILIES, (f) => record.amounts[f] ?? 0) };
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** Builds the per-frame record from the classifier's outputs for one frame. */
export function frameRecord(
  input: string,
  frame: { index: number; pts: number | null },
  probs: ArrayLike<number>,
  amounts: ArrayLike<number>,
  top: number,
): FrameRecord {
  const ranked = CLASS_LABELS.map((label, k) => ({ label, p: probs[k]! }))
    .sort((a, b) => b.p - a.p)
    .slice(0, top)
    .map((t) => ({ label: t.label, p: round(t.p, 4) }));
  return {
    input,
    frame: frame.index,
    pts: frame.pts === null ? null : round(frame.pts, 6),
    top: ranked,
    amounts: Object.fromEntries(FAMILIES.map((f, k) => [f, round(amounts[k]!, 3)])),
  };
}

/**
 * What a shot's analysed frames add up to, kept as counts and sums (not the records), so a shot
 * of any length (a live feed is one endless shot) takes the same memory. Each frame is read as the
 * default grade reads it (`posteriorDetunes` with `POSTERIOR_DEFAULTS`: expected amounts, the
 * confidence gate), so a shot's problems are what the grade would undo, not one head's reading.
 */
export class ShotTally {
  analysed = 0;
  /** Frames on which the grade would undo each family by THRESHOLD or more, and the amounts' sum. */
  private readonly undone = new Tally();
  /** The same for the amount head's reading alone (`suspected`). */
  private readonly read = new Tally();

  /** White-balance reads, those beyond the tolerance, and the sum of those. */
  private whiteReads = 0;
  private whiteOver = 0;
  private readonly whiteSum: [number, number] = [0, 0];

  add(outputs: ClassifierOutputs): void {
    this.analysed++;
    for (const { family, amount } of posteriorDetunes(outputs.probs, outputs.amounts, POSTERIOR_DEFAULTS)) {
      this.undone.add(FAMILIES.indexOf(family), amount);
    }
    outputs.amounts.forEach((amount, k) => this.read.add(k, amount));
  }

  /** A white-balance read (ln R/G, ln B/G of the cast) of an analysed frame as the grade's inverse leaves it. */
  addWhite(read: readonly [number, number]): void {
    this.whiteReads++;
    if (Math.hypot(read[0], read[1]) <= WHITE_TOLERANCE) return;
    this.whiteOver++;
    this.whiteSum[0] += read[0];
    this.whiteSum[1] += read[1];
  }

  /** The white balance off read beyond the tolerance on at least half the reads; null if none; absent unread. */
  private white(): ShotRecord['white'] {
    if (this.whiteReads === 0) return undefined;
    const share = this.whiteOver / this.whiteReads;
    if (share < 0.5) return null;
    const cast: [number, number] = [this.whiteSum[0] / this.whiteOver, this.whiteSum[1] / this.whiteOver];
    return {
      kelvin: Math.round(kelvinOf(cast).kelvin / 10) * 10,
      cast: [round(cast[0], 3), round(cast[1], 3)],
      share: round(share, 3),
    };
  }

  /** What persisted: families undone by 0.5 or more on at least half the analysed frames, strongest first. */
  summary(
    input: string,
    shot: number,
    end: { frame: number; pts: number | null },
    start: { frame: number; pts: number | null },
  ): ShotRecord {
    const problems = this.undone.persistent(this.analysed);
    const named = new Set(problems.map((p) => p.family));
    const suspected = this.read.persistent(this.analysed).filter((p) => !named.has(p.family));
    const white = this.white();
    const record = { input, shot, from: start, to: end, analysed: this.analysed, problems, suspected };
    return white === undefined ? record : { ...record, white };
  }
}

/** Per family: the frames whose amount reached THRESHOLD, and those amounts' sum. */
class Tally {
  private readonly over = new Float64Array(FAMILIES.length);
  private readonly sum = new Float64Array(FAMILIES.length);

  add(family: number, amount: number): void {
    if (amount < THRESHOLD) return;
    this.over[family]!++;
    this.sum[family]! += amount;
  }

  /** Families that reached THRESHOLD on at least half of `analysed` frames, strongest first. */
  persistent(analysed: number): ShotRecord['problems'] {
    return FAMILIES.map((family, k) => ({
      family,
      amount: this.over[k]! ? round(this.sum[k]! / this.over[k]!, 3) : 0,
      share: analysed ? round(this.over[k]! / analysed, 3) : 0,
    }))
      .filter((p) => p.share >= 0.5)
      .sort((a, b) => b.amount - a.amount);
  }
}

/**
 * The white-balance read of a proxy frame as the default grade's inverse leaves it (each frame's
 * own reading, its expected amounts after the confidence gate, the knees on), as `invert` reads it.
 */
function readAfterInverse(
  reader: WhiteReader,
  pixels: Uint8Array | Uint16Array,
  width: number,
  outputs: ClassifierOutputs,
): [number, number] {
  const detunes = posteriorDetunes(outputs.probs, outputs.amounts, POSTERIOR_DEFAULTS);
  if (detunes.length === 0) return reader.read(pixels, width);
  // `pixels` is this stage's own copy: graded in place.
  return reader.read(mapPixels(withKnees(inverseDetuneTransform(detunes)), pixels, pixels), width);
}

/** What persisted through a shot of analysed frames' outputs (see {@link ShotTally}). */
export function shotRecord(
  input: string,
  shot: number,
  frames: readonly ClassifierOutputs[],
  end: { frame: number; pts: number | null },
  start: { frame: number; pts: number | null },
): ShotRecord {
  const tally = new ShotTally();
  for (const f of frames) tally.add(f);
  return tally.summary(input, shot, end, start);
}

export const classify = defineStage({
  kind: 'transform',
  name: 'classify',
  description:
    'Names what is wrong with every Nth frame (JSON Lines per frame and per shot); never changes a frame',
  options,
  // Without `wait` a frame moves on before its record is there: nothing later can read it.
  produces: [{ product: 'findings', when: { wait: true } }],
  warm: (opts) => warmModelClient('classifier', resolveModelDir(opts.model), opts.backend),
  create: (opts, run) => {
    const dir = resolveModelDir(opts.model);
    checkModelAgainstStream(dir, NETWORKS.classifier.format, run.geometry);
    const input = run.label;
    return (source) =>
      defer(() => {
        const starting = takeModelClient('classifier', dir, opts.backend);
        starting.then(
          (c) => run.logger.debug({ backend: c.info.backend }, 'classifier model loaded'),
          () => {}, // reported by the first analysed frame
        );
        const reader = opts.white_balance ? loadWhiteReader(resolveModelFile(opts.white_model)) : undefined;
        let whiteAt = -Infinity;
        const report = openLineReport(opts.report);
        const pending: Array<Promise<void>> = [];
        let shot = 0;
        let tally = new ShotTally();
        let shotStart: { frame: number; pts: number | null } | undefined;
        let last: { frame: number; pts: number | null } | undefined;
        // Records are written in frame order: each request's write waits for the one before.
        let written: Promise<void> = Promise.resolve();
        const closeShot = (): void => {
          if (!shotStart || !last) return;
          const summary = tally.summary(input, shot, last, shotStart);
          report.write(`${JSON.stringify(summary)}\n`);
          run.onRecord?.({ stage: 'classify', record: summary });
          run.stats?.set('shots', shot + 1);
          shot++;
          tally = new ShotTally();
        };
        const handle = async (frame: Frame): Promise<Frame> => {
          const here = { frame: frame.index, pts: frame.pts ?? null };
          if (startsSegment(frame) && shotStart) {
            // Everything analysed so far belongs to the shot that just ended.
            await written;
            closeShot();
            shotStart = undefined;
          }
          shotStart ??= here;
          last = here;
          if (startsSegment(frame)) whiteAt = -Infinity;
          // The first frame of a shot too, so that a grade that follows never starts a shot blind.
          if (frame.index % opts.every === 0 || startsSegment(frame)) {
            while (pending.length >= IN_FLIGHT) await pending.shift();
            const client = await starting;
            const request = client.run({ frames: [frame.image.data], size: frame.image });
            // The pixels the white balance is read on, copied: without `wait` the frame moves on.
            const pixels =
              reader && here.frame - whiteAt >= WHITE_READ_EVERY ? frame.image.data.slice() : undefined;
            if (pixels) whiteAt = here.frame;
            const width = frame.image.width;
            const previous = written;
            const done = (async () => {
              const res = await request;
              await previous;
              const record = frameRecord(
                input,
                { index: here.frame, pts: here.pts },
                res.probs,
                res.amounts,
                opts.top,
              );
              const outputs = {
                probs: Float32Array.from(res.probs),
                amounts: Float32Array.from(res.amounts),
              };
              tally.add(outputs);
              if (reader && pixels) tally.addWhite(readAfterInverse(reader, pixels, width, outputs));
              frame.notes.set(FINDINGS, record);
              frame.notes.set(CLASSIFIER_OUTPUTS, outputs);
              report.write(`${JSON.stringify(record)}\n`);
              run.onRecord?.({ stage: 'classify', record });
            })();
            done.catch(() => {}); // its failure reaches the stream through `pending` or `written`
            written = done;
            pending.push(done);
            if (opts.wait) await done;
          }
          return frame;
        };
        return source.pipe(
          concatMap((frame) => from(handle(frame))),
          // Completes only once every record is written and the last shot summarised.
          (stream) =>
            new Observable<Frame>((subscriber) =>
              stream.subscribe({
                next: (f) => subscriber.next(f),
                error: (e: unknown) => subscriber.error(e),
                complete: () => {
                  written.then(
                    () => {
                      closeShot();
                      subscriber.complete();
                    },
                    (e: unknown) => subscriber.error(e),
                  );
                },
              }),
            ),
          finalize(() => {
            report
              .close()
              .catch((err: unknown) =>
                run.logger.error({ report: opts.report, err }, 'classify report not written'),
              );
            starting.then(
              (c) => giveBackModelClient('classifier', dir, opts.backend, c),
              () => {},
            );
          }),
        );
      });
  },
});
