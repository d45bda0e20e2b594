/*
 * Examples for the white-balance reader: clean training frames with a white balance off (a black
 * body's colour at a random temperature, as ffmpeg's `colortemperature` makes it, and a random
 * green-magenta tint), read as the statistics the classifier reads (131 values; with --cues, and
 * the 10 colour-constancy cues of src/color/illuminantCues.ts). The target is the cast's chroma:
 * ln(gain R / gain G) and ln(gain B / gain G). With --exposure (which implies --cues), the examples
 * are cast families and black bodies of the same hues, and the target is ln of the cast's largest
 * gain (see `exposureExample`). With --gamma, the examples carry a tone curve off (a gamma on the
 * luma code as ffmpeg's `eq` applies it, or on each channel as a wrong transfer function does), and
 * the target is ln of the gamma (see `gammaExample`).
 *
 *   npm run build && node dist/research/white-examples.js --data DS \
 *     --extra media/extra media/more/photos --count 40000 --seed 1 --out white [--sets] \
 *     [--cues | --exposure [--tone-max A]]
 *
 * Writes, in --out:
 *   train-SEED.features.f32   count x 131 (141 with the cues) values (float32, little-endian)
 *   train-SEED.targets.f32    count x 2 (ln R/G, ln B/G of the cast); count x 1 with --exposure
 * and with --sets, every reference of the validation and test splits clean, at 4500 K and at
 * 9000 K (with --exposure: at orange-2, blue-2, green-2, 4500 K and 9000 K): validation.*, test.*.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadReferences, randomReference, type ReferenceSet } from '../src/models/data.js';
import { frameStatistics, STATISTICS_LENGTH } from '../src/models/classifier/statistics.js';
import { compileDetunes } from '../src/detune/apply.js';
import { createRng, type Rng } from '../src/detune/random.js';
import { drawExamples, exampleOptions, trainingReferences } from './training-references.js';
import { blackBodyGains } from '../src/detune/whiteBalance.js';
import type { Detune, DetuneFamily } from '../src/detune/families.js';
import { CUES_LENGTH, illuminantCues } from '../src/color/illuminantCues.js';

interface Example {
  readonly features: Float32Array;
  /** The cast's chroma (ln R/G, ln B/G); with --exposure, ln of its largest gain instead. */
  readonly target: number[];
}

/** The frame with each channel scaled by its gain, rounded as an 8-bit render would be. */
function withCast(frame: Uint8Array, gains: readonly number[], out: Uint8Array): Uint8Array {
  const lut = gains.map((g) => Uint8Array.from({ length: 256 }, (_, v) => Math.min(255, Math.round(v * g))));
  for (let i = 0; i < frame.length; i += 3) {
    out[i] = lut[0]![frame[i]!]!;
    out[i + 1] = lut[1]![frame[i + 1]!]!;
    out[i + 2] = lut[2]![frame[i + 2]!]!;
  }
  return out;
}

// `--cues`: the classic colour-constancy cues after the statistics (src/detune/illuminantCues.ts).
const withCues = process.argv.includes('--cues') || process.argv.includes('--exposure');
const exposure = process.argv.includes('--exposure');
const gammaMode = process.argv.includes('--gamma');
// `--tone-max A` (with --exposure): the tone family some examples carry goes up to level A (1).
const toneAt = process.argv.indexOf('--tone-max');
const TONE_MAX = toneAt > 0 ? Number(process.argv[toneAt + 1]) : 1;
if (!(TONE_MAX > 0 && TONE_MAX <= 3)) throw new Error('--tone-max takes a level above 0, at most 3');
const FEATURES = STATISTICS_LENGTH + (withCues ? CUES_LENGTH : 0);
let width = 0;

function readFeatures(frame: Uint8Array): Float32Array {
  const features = new Float32Array(FEATURES);
  features.set(frameStatistics(frame));
  if (withCues) features.set(illuminantCues(frame, width), STATISTICS_LENGTH);
  return features;
}

function example(frame: Uint8Array, gains: readonly number[], scratch: Uint8Array): Example {
  const features = readFeatures(withCast(frame, gains, scratch));
  return { features, target: [Math.log(gains[0]! / gains[1]!), Math.log(gains[2]! / gains[1]!)] };
}

// Families that do not move chroma: a reader must not take their traces (what an inverse leaves
// of them) for a cast.
const TONE_FAMILIES: DetuneFamily[] = [
  'black-high',
  'black-low',
  'white-low',
  'contrast-high',
  'saturation-low',
];

function randomExample(refs: ReferenceSet, rng: Rng, scratch: Uint8Array, toned: Uint8Array): Example {
  let frame = randomReference(refs, rng);
  if (rng() < 0.3) {
    const family = TONE_FAMILIES[Math.floor(rng() * TONE_FAMILIES.length)]!;
    compileDetunes([{ family, amount: rng() }])(frame, toned);
    frame = toned;
  }
  if (rng() < 0.3) return example(frame, [1, 1, 1], scratch);
  // Temperatures spread evenly in mired (1e6 / K), 3000 K to 15000 K, as a camera's error is.
  const mired = 1e6 / 15000 + rng() * (1e6 / 3000 - 1e6 / 15000);
  const gains = blackBodyGains(1e6 / mired);
  if (rng() < 0.5) gains[1] *= 0.93 + rng() * 0.14;
  const top = Math.max(...gains);
  return example(
    frame,
    gains.map((g) => g / top),
    scratch,
  );
}

/**
 * `--exposure`: what tells a cast family (green, blue, orange: channels raised, whites clipped) from
 * a white balance off (channels lowered, the brightest left) with the same chroma. Half the
 * examples carry a family at 0.5-3 (target ln of its largest gain, 1 + 0.1 x amount), half a black
 * body of 3000-6000 K or 7500-15000 K (target 0); 30% of all also carry a tone family at up to 1
 * (`--tone-max A`: up to A).
 */
const CAST_FAMILIES: DetuneFamily[] = ['green', 'blue', 'orange'];

function exposureExample(refs: ReferenceSet, rng: Rng, scratch: Uint8Array, toned: Uint8Array): Example {
  const frame = randomReference(refs, rng);
  const tone: Detune[] =
    rng() < 0.3
      ? [{ family: TONE_FAMILIES[Math.floor(rng() * TONE_FAMILIES.length)]!, amount: rng() * TONE_MAX }]
      : [];
  if (rng() < 0.5) {
    const cast = {
      family: CAST_FAMILIES[Math.floor(rng() * CAST_FAMILIES.length)]!,
      amount: 0.5 + rng() * 2.5,
    };
    compileDetunes([cast, ...tone])(frame, scratch);
    return { features: readFeatures(scratch), target: [Math.log(1 + 0.1 * cast.amount)] };
  }
  const kelvin = rng() < 0.5 ? 3000 + rng() * 3000 : 7500 + rng() * 7500;
  withCast(frame, blackBodyGains(kelvin), toned);
  if (tone.length) compileDetunes(tone)(toned, scratch);
  return { features: readFeatures(tone.length ? scratch : toned), target: [0] };
}

/**
 * A gamma as ffmpeg's `eq` applies it to an RGB frame: to the luma code of the BT.601 limited-range
 * Y'CbCr it converts to (so black, at code 16, moves too), chroma untouched; 1/gamma is the power.
 */
function eqGamma(frame: Uint8Array, gamma: number, out: Uint8Array): Uint8Array {
  const shift = Float32Array.from({ length: 256 }, (_, y) => y);
  for (let y = 0; y < 256; y++) shift[y] = 255 * Math.pow(y / 255, 1 / gamma) - y;
  for (let i = 0; i < frame.length; i += 3) {
    const r = frame[i]!;
    const g = frame[i + 1]!;
    const b = frame[i + 2]!;
    const y = Math.round(16 + (219 * (0.299 * r + 0.587 * g + 0.114 * b)) / 255);
    const d = (shift[y]! * 255) / 219;
    out[i] = Math.min(255, Math.max(0, Math.round(r + d)));
    out[i + 1] = Math.min(255, Math.max(0, Math.round(g + d)));
    out[i + 2] = Math.min(255, Math.max(0, Math.round(b + d)));
  }
  return out;
}

/** A gamma on each channel (1/gamma the power), as a wrong transfer function leaves a frame. */
function channelGamma(frame: Uint8Array, gamma: number, out: Uint8Array): Uint8Array {
  const lut = Uint8Array.from({ length: 256 }, (_, v) => Math.round(255 * Math.pow(v / 255, 1 / gamma)));
  for (let i = 0; i < frame.length; i++) out[i] = lut[frame[i]!]!;
  return out;
}

/**
 * `--gamma`: a clean frame, 30% through a tone family at up to 1, 30% through a black body of
 * 3000-15000 K (what the reader sees after the inverse: traces of both), then 75% through a gamma
 * of 0.6-1.65 (even in ln), half as `eq` applies it, half on each channel. Target: ln gamma.
 */
function gammaExample(refs: ReferenceSet, rng: Rng, scratch: Uint8Array, toned: Uint8Array): Example {
  let frame = randomReference(refs, rng);
  if (rng() < 0.3) {
    compileDetunes([{ family: TONE_FAMILIES[Math.floor(rng() * TONE_FAMILIES.length)]!, amount: rng() }])(
      frame,
      toned,
    );
    frame = toned;
  }
  if (rng() < 0.3) {
    const mired = 1e6 / 15000 + rng() * (1e6 / 3000 - 1e6 / 15000);
    frame = withCast(frame, blackBodyGains(1e6 / mired), frame === toned ? scratch : toned);
  }
  if (rng() < 0.25) return { features: readFeatures(frame), target: [0] };
  const gamma = Math.exp(Math.log(0.6) + rng() * (Math.log(1.65) - Math.log(0.6)));
  const out = frame === scratch ? toned : scratch;
  (rng() < 0.5 ? eqGamma : channelGamma)(frame, gamma, out);
  return { features: readFeatures(out), target: [Math.log(gamma)] };
}

/** A validation or test reference as --gamma's sets hold it: clean, `eq` at 0.75 and 1.35, each channel at 0.75 and 1.35. */
function gammaSet(frame: Uint8Array, scratch: Uint8Array): Example[] {
  const items: Example[] = [{ features: readFeatures(frame), target: [0] }];
  for (const form of [eqGamma, channelGamma]) {
    for (const gamma of [0.75, 1.35]) {
      items.push({ features: readFeatures(form(frame, gamma, scratch)), target: [Math.log(gamma)] });
    }
  }
  return items;
}

/** A validation or test reference as --exposure's sets hold it: at orange-2, blue-2, green-2, 4500 K, 9000 K. */
function exposureSet(frame: Uint8Array, scratch: Uint8Array): Example[] {
  const items: Example[] = [];
  for (const family of ['orange', 'blue', 'green'] as const) {
    compileDetunes([{ family, amount: 2 }])(frame, scratch);
    items.push({ features: readFeatures(scratch), target: [Math.log(1.2)] });
  }
  for (const kelvin of [4500, 9000]) {
    items.push({ features: readFeatures(withCast(frame, blackBodyGains(kelvin), scratch)), target: [0] });
  }
  return items;
}

async function writeSet(dir: string, name: string, items: readonly Example[]): Promise<void> {
  const features = new Float32Array(items.length * FEATURES);
  const per = items[0]?.target.length ?? 2;
  const targets = new Float32Array(items.length * per);
  items.forEach((item, i) => {
    features.set(item.features, i * FEATURES);
    targets.set(item.target, i * per);
  });
  await writeFile(path.join(dir, `${name}.features.f32`), Buffer.from(features.buffer));
  await writeFile(path.join(dir, `${name}.targets.f32`), Buffer.from(targets.buffer));
}

async function main(): Promise<void> {
  const { data, out, count, seed } = exampleOptions(process.argv);
  await mkdir(out, { recursive: true });
  const started = Date.now();
  if (process.argv.includes('--sets')) {
    for (const split of ['validation', 'test'] as const) {
      const refs = await loadReferences(data, split, { frames: 'all' });
      width = refs.width;
      const scratch = new Uint8Array(refs.width * refs.height * 3);
      const items: Example[] = [];
      for (const frame of refs.frames) {
        if (gammaMode) items.push(...gammaSet(frame, scratch));
        else if (exposure) items.push(...exposureSet(frame, scratch));
        else
          for (const kelvin of [0, 4500, 9000]) {
            items.push(example(frame, kelvin ? blackBodyGains(kelvin) : [1, 1, 1], scratch));
          }
      }
      await writeSet(out, split, items);
      process.stderr.write(`${split}: ${items.length} examples\n`);
    }
  }
  if (count > 0) {
    const train = await trainingReferences(data, process.argv, started);
    width = train.width;
    const rng = createRng(seed);
    const scratch = new Uint8Array(train.width * train.height * 3);
    const toned = new Uint8Array(train.width * train.height * 3);
    const draw = gammaMode ? gammaExample : exposure ? exposureExample : randomExample;
    const items = drawExamples(count, started, () => draw(train, rng, scratch, toned));
    await writeSet(out, `train-${seed}`, items);
  }
  process.stderr.write(`done in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
