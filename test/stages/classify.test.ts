import { saveTinyClassifier } from '../helpers/models.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';
import { CLASS_LABELS, FAMILIES } from '../../src/detune/families.js';
import { frameRecord, shotRecord, ShotTally } from '../../src/stages/classify.js';
import { blackBodyGains } from '../../src/detune/whiteBalance.js';

describe('classify records', () => {
  it("lists the top classes by probability and every family's amount", () => {
    const probs = new Float32Array(CLASS_LABELS.length).fill(0.01);
    probs[CLASS_LABELS.indexOf('blue-2')] = 0.7;
    probs[CLASS_LABELS.indexOf('blue-3')] = 0.2;
    const amounts = Float32Array.from(FAMILIES.map((f) => (f === 'blue' ? 2.1234 : 0)));
    const r = frameRecord('a.mp4', { index: 12, pts: 0.48 }, probs, amounts, 2);
    expect(r).toEqual({
      input: 'a.mp4',
      frame: 12,
      pts: 0.48,
      top: [
        { label: 'blue-2', p: 0.7 },
        { label: 'blue-3', p: 0.2 },
      ],
      amounts: Object.fromEntries(FAMILIES.map((f) => [f, f === 'blue' ? 2.123 : 0])),
    });
  });

  /** Outputs sure of one class (the rest spread evenly), with the amount head's readings. */
  const reading = (label: string, heads: Partial<Record<string, number>>, p = 0.9) => {
    const probs = new Float32Array(CLASS_LABELS.length).fill((1 - p) / (CLASS_LABELS.length - 1));
    probs[CLASS_LABELS.indexOf(label as (typeof CLASS_LABELS)[number])] = p;
    return { probs, amounts: Float32Array.from(FAMILIES, (f) => heads[f] ?? 0) };
  };

  it('summarises a shot by what persists: families the grade would undo by 0.5 or more on at least half its analysed frames', () => {
    const frames = [
      reading('green-2', { green: 2 }),
      reading('green-2', { green: 1.8, blue: 0.9 }),
      reading('green-2', { green: 2.2 }),
      reading('clean', { green: 0.1 }),
    ];
    const s = shotRecord('a.mp4', 3, frames, { frame: 40, pts: 1.6 }, { frame: 0, pts: 0 });
    // The grade undoes each frame's expected green: half the class posterior's (2 x 0.9), half the head's.
    const undone = [2, 1.8, 2.2].map(
      (head) => 0.5 * (2 * 0.9 + (1 * 0.1) / 24 + (3 * 0.1) / 24) + 0.5 * head,
    );
    expect(s).toEqual({
      input: 'a.mp4',
      shot: 3,
      from: { frame: 0, pts: 0 },
      to: { frame: 40, pts: 1.6 },
      analysed: 4,
      problems: [
        { family: 'green', amount: Number((undone.reduce((a, b) => a + b) / 3).toFixed(3)), share: 0.75 },
      ],
      suspected: [],
    });
  });

  it('names no problem the classifier cannot read (the grade leaves such frames alone), and lists it as suspected', () => {
    const unsure = {
      probs: new Float32Array(CLASS_LABELS.length).fill(1 / 25),
      amounts: reading('clean', { 'saturation-low': 1.5 }).amounts,
    };
    const s = shotRecord('a.mp4', 0, [unsure, unsure], { frame: 2, pts: 0.08 }, { frame: 0, pts: 0 });
    expect(s.problems).toEqual([]);
    // ... but says what the amount head alone reads there, as a lead for a human.
    expect(s.suspected).toEqual([{ family: 'saturation-low', amount: 1.5, share: 1 }]);
  });

  it('summarises a white balance off read beyond the tolerance on at least half the reads, as the cast and a colour temperature', () => {
    const [r, g, b] = blackBodyGains(4000);
    const warm: [number, number] = [Math.log(r / g), Math.log(b / g)];
    const tally = new ShotTally();
    tally.add(reading('clean', {}));
    tally.addWhite(warm);
    tally.addWhite(warm);
    tally.addWhite([0.05, -0.05]); // within the tolerance: the scene's own colour
    const white = tally.summary('a.mp4', 0, { frame: 24, pts: 1 }, { frame: 0, pts: 0 }).white;
    expect(white?.share).toBeCloseTo(2 / 3, 3);
    expect(white?.kelvin).toBeGreaterThan(3950);
    expect(white?.kelvin).toBeLessThan(4050);
    expect(white?.cast[0]).toBeCloseTo(warm[0], 3);

    // Only one read in three beyond it: none persists (null); a shot not read for it has no entry.
    const mild = new ShotTally();
    for (const read of [warm, [0.02, 0], [0, 0.03]] as const) mild.addWhite(read);
    expect(mild.summary('a.mp4', 0, { frame: 24, pts: 1 }, { frame: 0, pts: 0 }).white).toBeNull();
    expect(
      shotRecord('a.mp4', 0, [reading('clean', {})], { frame: 0, pts: 0 }, { frame: 0, pts: 0 }),
    ).not.toHaveProperty('white');
  });
});

describe('vgrade classify', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let model: string;
  let clip: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    model = await saveTinyClassifier(path.join(dir, 'classifier'));
    clip = path.join(dir, 'clip.mp4');
    await ffmpeg(['-i', SAMPLE, '-t', '1', '-vf', 'scale=320:180', '-an', '-c:v', 'libx264', clip]);
  });
  afterAll(() => cleanup());

  it('prints JSON Lines: one record per analysed frame, then the shot, and never writes video', async () => {
    const r = await vgrade(['classify', clip, '--json', '--every', '5', '--model', model]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const frames = lines.filter((l) => 'frame' in l);
    const shots = lines.filter((l) => 'shot' in l);
    expect(frames.map((f) => f.frame)).toEqual([0, 5, 10, 15]); // the sample runs at 20 fps: 20 frames
    for (const f of frames) {
      expect(f.input).toBe(clip);
      expect(f.top).toHaveLength(3);
      expect(f.top[0].p).toBeGreaterThanOrEqual(f.top[1].p);
      expect(Object.keys(f.amounts)).toEqual([...FAMILIES]);
      expect(typeof f.pts).toBe('number');
    }
    expect(shots).toHaveLength(1);
    expect(shots[0]).toMatchObject({ shot: 0, from: { frame: 0 }, to: { frame: 19 }, analysed: 4 });
    expect(lines.at(-1)).toEqual(shots[0]);
  });

  it('prints a summary per shot, and keeps the records with --report', async () => {
    const report = path.join(dir, 'qc.jsonl');
    const r = await vgrade(['classify', clip, '--every', '10', '--model', model, '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(
      /clip.mp4: 2 frames analysed, 1 shot\n {2}shot 0 \(0.00 s - 0.9\d s\): /,
    );
    const kept = (await readFile(report, 'utf8')).trim().split('\n');
    expect(kept).toHaveLength(3);
  });

  it('keeps the records of a grade in a file, as the refusal of a grading pipeline suggests', async () => {
    const report = path.join(dir, 'grade-records.jsonl');
    const r = await vgrade([
      'grade',
      clip,
      '-o',
      path.join(dir, 'graded.mp4'),
      '-p',
      'classifier-grade',
      '--set',
      `classify.model=${model}`,
      '--set',
      `classify.report=${report}`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const records = (await readFile(report, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as object);
    expect(records.filter((rec) => 'frame' in rec).length).toBeGreaterThan(0);
    expect(records.at(-1)).toHaveProperty('problems');
  });

  it('refuses a pipeline that writes video, and a model of another kind', async () => {
    const wrong = await vgrade(['classify', clip, '-p', 'classical']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/has no classify stage/);
    const grading = await vgrade(['classify', clip, '-p', 'classifier-grade']);
    expect(grading.code).toBe(2);
    expect(grading.stderr).toMatch(
      /classifier-grade writes video; .*vgrade grade IN -o OUT -p classifier-grade --set classify\.report=FILE/,
    );
    const cganDir = path.join(dir, 'classifier');
    const asCgan = await vgrade([
      'grade',
      clip,
      '-o',
      path.join(dir, 'x.mp4'),
      '-p',
      'cgan',
      '--set',
      `cgan.model=${cganDir}`,
    ]);
    expect(asCgan.code).toBe(2);
    expect(asCgan.stderr).toMatch(/Expected a vgrade-cgan model in .* but found vgrade-classifier/);
  });
});
