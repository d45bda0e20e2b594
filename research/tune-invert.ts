/*
 * Chooses the invert stage's settings (research, not product): how a classifier's outputs become
 * the correction, measured on one split of a data set.
 *
 * Each sample's input is classified once; then every setting of the grid is applied to every
 * sample (the inverse of the detunes it gives, with or without the highlight knee) and the result is measured against the clean reference (mean CIEDE2000 over every 3rd
 * pixel of every 3rd row). Four groups of samples, as `vgrade eval` reports them:
 *   detuned   the split's single frames and photos, and every 6th frame of its runs
 *   clean     the same frames' references, graded as they are (how far a grade moves them)
 *   outside   the references with each kind of error outside the 24 (ffmpeg's filters)
 * A setting is admissible when clean frames move by at most `--clean-max` on average and the
 * outside kinds are no worse than the input; of those, the lowest detuned error wins.
 * `--second-read` adds, for each setting, a second reading: the proxy graded once is classified
 * again and what that reading finds is undone too (docs/correction-under-uncertainty.md).
 * `--family-gate` gates on the confidence over the nine families instead of the 25 classes, and
 * `--confidences A,B,...` replaces the grid's confidences. The grid's settings open the gate by the
 * confidence alone; `--amount-open A,B,...` adds each with the amounts' way through it as well
 * (`amountOpen`, which the product's default has).
 *
 *   npm run build && node dist/research/tune-invert.js --data DS --split validation \
 *     --classifier models/classifier [--only REGEX] [--second-read] [--family-gate] \
 *     [--confidences 0.3,0.4] [--amount-open 3 [--amount-ramp 1.5] [--open-by-max]] [--json out.json]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { meanDeltaE2000 } from '../src/color/ciede2000.js';
import type { ManifestEntry } from '../src/manifest/manifest.js';
import { decodePng } from '../src/image/png.js';
import type { Split } from '../src/manifest/split.js';
import { inverseDetuneTransform, mapPixels, withKnees, type Transform } from '../src/detune/inverse.js';
import {
  amountGate,
  amountReading,
  confidenceOf,
  posteriorDetunes,
  smoothstep,
  type PosteriorSettings,
} from '../src/detune/posterior.js';
import { FAMILIES } from '../src/detune/families.js';
import { availableOutsideKinds, writeOutsideKind } from '../src/eval/outsideKinds.js';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { getCapabilities } from '../src/ffmpeg/capabilities.js';
import { useBackend } from '../src/models/backend.js';
import { ClassifierModel } from '../src/models/classifier/model.js';
import { createLogger } from '../src/util/logger.js';

interface Sample {
  readonly group: 'detuned' | 'clean' | 'outside';
  readonly kind: string;
  /** Full proxy input (for the classifier). */
  readonly input: Uint8Array;
  /** Every 3rd pixel of every 3rd row, input and reference. */
  readonly inputSub: Uint8Array;
  readonly referenceSub: Uint8Array;
  probs?: Float32Array;
  amounts?: Float32Array;
}

interface Setting extends PosteriorSettings {
  readonly knees: boolean;
  readonly name: string;
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1]!;
  if (fallback === undefined) throw new Error(`--${name} is required`);
  return fallback;
}

function subsample(rgb: Uint8Array, width: number, height: number, step = 3): Uint8Array {
  const w = Math.ceil(width / step);
  const h = Math.ceil(height / step);
  const out = new Uint8Array(w * h * 3);
  let o = 0;
  for (let y = 0; y < height; y += step)
    for (let x = 0; x < width; x += step) {
      const i = (y * width + x) * 3;
      out[o++] = rgb[i]!;
      out[o++] = rgb[i + 1]!;
      out[o++] = rgb[i + 2]!;
    }
  return out;
}

/** Every how many frames of a run are measured (`--run-step`, default 6). */
const runStep = Number(
  process.argv.includes('--run-step') ? process.argv[process.argv.indexOf('--run-step') + 1] : 6,
);

async function loadSamples(
  data: string,
  split: Split,
  ffmpeg: string,
  kinds: ReturnType<typeof availableOutsideKinds>,
): Promise<Sample[]> {
  const entries = (await readFile(path.join(data, 'manifest.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ManifestEntry)
    .filter((e) => e.split === split);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tune-invert-'));
  const samples: Sample[] = [];
  const png = async (file: string) => decodePng(await readFile(file));
  try {
    for (const entry of entries) {
      const picks =
        entry.kind === 'run' ? entry.files.map((_, i) => i).filter((i) => i % runStep === 0) : [0];
      for (const i of picks) {
        const f = entry.files[i]!;
        if (!('input' in f)) throw new Error('data sets written with --ab are not read here');
        const input = await png(path.join(data, f.input));
        const ref = await png(path.join(data, f.reference));
        const referenceSub = subsample(ref.rgb, ref.width, ref.height);
        const detunes = entry.detunes[i] ?? [];
        const kind =
          entry.kind === 'run'
            ? 'drift (runs)'
            : detunes.length === 0
              ? 'none'
              : detunes.length > 1
                ? 'combination'
                : detunes[0]!.family;
        samples.push({
          group: 'detuned',
          kind,
          input: input.rgb,
          inputSub: subsample(input.rgb, input.width, input.height),
          referenceSub,
        });
        if (entry.kind === 'run') continue;
        samples.push({ group: 'clean', kind: 'clean', input: ref.rgb, inputSub: referenceSub, referenceSub });
        for (const k of kinds) {
          const file = path.join(tmp, 'outside.png');
          await writeOutsideKind(ffmpeg, k, path.join(data, f.reference), file);
          const out = await png(file);
          samples.push({
            group: 'outside',
            kind: k.name,
            input: out.rgb,
            inputSub: subsample(out.rgb, out.width, out.height),
            referenceSub,
          });
        }
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return samples;
}

/**
 * `--family-gate`: the confidence gate reads the nine families (the levels of each summed, and
 * `none`) instead of the 25 classes, so that a reading split between two levels of one family
 * counts as sure of the family.
 */
const familyGate = process.argv.includes('--family-gate');
function familyConfidence(probs: Float32Array): number {
  const groups = [probs[0]!];
  for (let f = 0; f < FAMILIES.length; f++)
    groups.push(probs[1 + 3 * f]! + probs[2 + 3 * f]! + probs[3 + 3 * f]!);
  const h = groups.reduce((a, p) => (p > 1e-12 ? a - p * Math.log(p) : a), 0);
  return Math.max(0, 1 - h / Math.log(groups.length));
}

/**
 * `--amount-open A,B,...`: each gated setting also with the product's second way through the gate
 * (`amountOpen`, src/detune/posterior.ts: the amount head's readings added up). `--open-by-max`
 * reads the largest amount instead of the sum (tried first: on validation it left the detuned
 * error where it was).
 */
const openByMax = process.argv.includes('--open-by-max');
/** `--amount-ramp R`: how far above the opening reading the amounts' gate is whole (the product's: 1.5). */
const amountRamp = process.argv.includes('--amount-ramp') ? Number(arg('amount-ramp')) : undefined;
function gateOf(probs: Float32Array, amounts: Float32Array, setting: Setting): number {
  if (setting.confidenceMin === 0) return 1;
  const confidence = familyGate ? familyConfidence(probs) : confidenceOf(probs);
  const byConfidence = smoothstep((confidence - setting.confidenceMin) / 0.25);
  const byAmounts =
    openByMax && setting.amountOpen > 0
      ? smoothstep((Math.max(...amounts) - setting.amountOpen) / (amountRamp ?? 0.5))
      : amountGate(amounts, setting.amountOpen, amountRamp);
  return Math.max(byConfidence, byAmounts);
}

/** The correction a setting makes of one reading (undefined: leave the frame alone). */
function correction(probs: Float32Array, amounts: Float32Array, setting: Setting): Transform | undefined {
  // The product's reading, unless a gate of this script's own is asked for.
  const detunes =
    familyGate || openByMax || amountRamp !== undefined
      ? posteriorDetunes(probs, amounts, {
          ...setting,
          confidenceMin: 0,
          strength: setting.strength * gateOf(probs, amounts, setting),
        })
      : posteriorDetunes(probs, amounts, setting);
  if (detunes.length === 0) return undefined;
  const inverse = inverseDetuneTransform(detunes);
  return setting.knees ? withKnees(inverse) : inverse;
}

function grade(sample: Sample, setting: Setting): Uint8Array {
  const transform = correction(sample.probs!, sample.amounts!, setting);
  if (!transform) return sample.inputSub;
  return mapPixels(transform, sample.inputSub, new Uint8Array(sample.inputSub.length));
}

/**
 * `--second-read`: the frame graded once by `setting` (at full proxy size) is classified again and
 * what that second reading finds is undone too, by `again`. The measured pixels go through both.
 */
function secondReads(
  model: ClassifierModel,
  samples: readonly Sample[],
  setting: Setting,
  again: Setting,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < samples.length; i += 16) {
    const part = samples.slice(i, i + 16);
    const firsts = part.map((s) => correction(s.probs!, s.amounts!, setting));
    const graded = part.map((s, k) =>
      firsts[k] ? mapPixels(firsts[k], s.input, new Uint8Array(s.input.length)) : s.input,
    );
    const { probs, amounts } = model.predict(graded);
    part.forEach((s, k) => {
      const second = correction(
        probs.slice(k * 25, (k + 1) * 25),
        amounts.slice(k * FAMILIES.length, (k + 1) * FAMILIES.length),
        again,
      );
      let sub = s.inputSub;
      if (firsts[k]) sub = mapPixels(firsts[k], sub, new Uint8Array(sub.length));
      if (second) sub = mapPixels(second, sub, new Uint8Array(sub.length));
      out.push(sub);
    });
  }
  return out;
}

function settingsGrid(): Setting[] {
  const out: Setting[] = [
    // What shipped before: the amount head, faded in at 0.5, no gate, no knee (and a confidence
    // over the nine families instead of the 25 classes was tried too: the same trade-off on test).
    { name: 'before', mix: 0, confidenceMin: 0, threshold: 0.5, strength: 1, knees: false, amountOpen: 0 },
  ];
  for (const mix of [0, 0.5, 1])
    for (const confidenceMin of process.argv.includes('--confidences')
      ? arg('confidences').split(',').map(Number)
      : [0, 0.15, 0.25, 0.3, 0.35, 0.4, 0.425, 0.45, 0.475, 0.5, 0.55])
      for (const threshold of [0.5, 0.8])
        for (const strength of [0.75, 1, 1.25])
          for (const knees of [true, false])
            out.push({
              name: `mix ${mix} conf ${confidenceMin} thr ${threshold} str ${strength}${knees ? '' : ' noknees'}`,
              mix,
              confidenceMin,
              threshold,
              strength,
              knees,
              amountOpen: 0,
            });
  // --amount-open A,B,...: each gated setting also with the amount head's way through the gate.
  if (process.argv.includes('--amount-open')) {
    const opens = arg('amount-open').split(',').map(Number);
    out.push(
      ...out
        .filter((s) => s.name !== 'before' && s.confidenceMin > 0)
        .flatMap((s) =>
          opens.map((amountOpen) => ({ ...s, name: `${s.name} open ${amountOpen}`, amountOpen })),
        ),
    );
  }
  // --only REGEX: just the settings whose names match (and what shipped before).
  const only = process.argv.includes('--only') ? new RegExp(arg('only')) : undefined;
  return out.filter((s) => s.name === 'before' || !only || only.test(s.name));
}

async function main(): Promise<void> {
  const data = arg('data');
  const split = arg('split', 'validation') as Split;
  const cleanMax = Number(arg('clean-max', '1'));
  const logger = createLogger('error');
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  await useBackend('wasm');
  const model = await ClassifierModel.load(arg('classifier', 'models/classifier'));
  const samples = await loadSamples(data, split, binaries.ffmpeg, availableOutsideKinds(caps));
  for (let i = 0; i < samples.length; i += 16) {
    const part = samples.slice(i, i + 16);
    const { probs, amounts } = model.predict(part.map((s) => s.input));
    part.forEach((s, k) => {
      s.probs = probs.slice(k * 25, (k + 1) * 25);
      s.amounts = amounts.slice(k * FAMILIES.length, (k + 1) * FAMILIES.length);
    });
  }
  const groups = ['detuned', 'clean', 'outside'] as const;
  const inputByKind = new Map<string, { sum: number; n: number }>();
  for (const x of samples) {
    const k = inputByKind.get(x.kind) ?? { sum: 0, n: 0 };
    k.sum += meanDeltaE2000(x.inputSub, x.referenceSub);
    k.n++;
    inputByKind.set(x.kind, k);
  }
  const inputError = Object.fromEntries(
    groups.map((g) => {
      const s = samples.filter((x) => x.group === g);
      return [g, s.reduce((a, x) => a + meanDeltaE2000(x.inputSub, x.referenceSub), 0) / s.length];
    }),
  ) as Record<(typeof groups)[number], number>;
  // How far the amount head's summed reading goes on frames that are right: where `amountOpen`
  // must stay above.
  const cleanReadings = samples
    .filter((x) => x.group === 'clean')
    .map((x) => amountReading(x.amounts!))
    .sort((a, b) => b - a);
  process.stderr.write(
    `amount readings added up, clean frames: largest ${cleanReadings[0]?.toFixed(2)}, median ${cleanReadings[Math.floor(cleanReadings.length / 2)]?.toFixed(2)}\n`,
  );
  process.stderr.write(
    `${samples.length} samples (${groups.map((g) => `${g} ${samples.filter((s) => s.group === g).length}`).join(', ')}); input error ${JSON.stringify(inputError)}\n`,
  );
  // --second-read: each setting also with a second reading, by a few settings of its own.
  const plans: { setting: Setting; again?: Setting }[] = settingsGrid().flatMap((setting) =>
    !process.argv.includes('--second-read') || setting.name === 'before'
      ? [{ setting }]
      : [
          { setting },
          ...[0.45, 0.55, 0.65].flatMap((confidenceMin) =>
            [0.5, 1].map((strength) => ({
              setting: { ...setting, name: `${setting.name} + again conf ${confidenceMin} str ${strength}` },
              again: { ...setting, confidenceMin, strength },
            })),
          ),
        ],
  );
  const rows = plans.map(({ setting, again }) => {
    const sum = { detuned: 0, clean: 0, outside: 0 };
    let cleanWorst = 0;
    const byKind = new Map<string, { sum: number; n: number }>();
    const twice = again ? secondReads(model, samples, setting, again) : undefined;
    for (const [i, s] of samples.entries()) {
      const e = meanDeltaE2000(twice ? twice[i]! : grade(s, setting), s.referenceSub);
      sum[s.group] += e;
      if (s.group === 'clean') cleanWorst = Math.max(cleanWorst, e);
      const k = byKind.get(s.kind) ?? { sum: 0, n: 0 };
      k.sum += e;
      k.n++;
      byKind.set(s.kind, k);
    }
    const n = (g: string) => samples.filter((s) => s.group === g).length;
    return {
      setting,
      detuned: sum.detuned / n('detuned'),
      clean: sum.clean / n('clean'),
      cleanWorst,
      outside: sum.outside / n('outside'),
      byKind: Object.fromEntries([...byKind].map(([k, v]) => [k, v.sum / v.n])),
    };
  });
  model.dispose();
  const admissible = rows.filter((r) => r.clean <= cleanMax && r.outside <= inputError.outside);
  const best = [...(admissible.length ? admissible : rows)].sort((a, b) => a.detuned - b.detuned);
  const line = (r: (typeof rows)[number]) =>
    `${r.setting.name.padEnd(40)} detuned ${r.detuned.toFixed(3)}  clean ${r.clean.toFixed(3)} (worst ${r.cleanWorst.toFixed(2)})  outside ${r.outside.toFixed(3)}`;
  process.stdout.write(
    `input                                    detuned ${inputError.detuned.toFixed(3)}  clean 0  outside ${inputError.outside.toFixed(3)}\n`,
  );
  process.stdout.write(`${line(rows[0]!)}\n--- best admissible (clean <= ${cleanMax}, outside <= input):\n`);
  for (const r of best.slice(0, 12)) process.stdout.write(`${line(r)}\n`);
  const fixed = (_: string, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(3)) : v);
  const input = Object.fromEntries([...inputByKind].map(([k, v]) => [k, v.sum / v.n]));
  process.stdout.write(`--- per kind, input: ${JSON.stringify(input, fixed)}\n`);
  process.stdout.write(
    `--- per kind, best: ${JSON.stringify(best[0]!.byKind, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))}\n`,
  );
  process.stdout.write(
    `--- per kind, before: ${JSON.stringify(rows[0]!.byKind, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))}\n`,
  );
  const json = process.argv.includes('--json') ? arg('json') : undefined;
  if (json) await writeFile(json, `${JSON.stringify({ split, inputError, rows }, null, 1)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
