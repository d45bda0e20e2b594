import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existingMessage, findExisting, planOutputs, type ExistingOutput } from '../../src/run/plan.js';
import {
  existingOutput,
  fileOutput,
  outputKind,
  sequencePattern,
  stdoutOutput,
} from '../../src/ffmpeg/output.js';
import { UsageError } from '../../src/util/errors.js';

const pid = process.pid;
const none = { overrides: {} };

async function planError(inputs: string[], out: string): Promise<UsageError> {
  try {
    await planOutputs(inputs, out, none);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('E_USAGE');
    expect((err as UsageError).exitCode).toBe(2);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, but the plan succeeded');
}

describe('outputKind', () => {
  it('video for anything that is not an image extension', () => {
    for (const f of ['a.mp4', 'a.mkv', 'a.mov', 'a.webm', 'a.nut', 'a', 'out/%05d.mp4'])
      expect(outputKind(f), f).toBe('video');
  });

  it('image for png, jpg, jpeg, tif, tiff, bmp, webp in any case', () => {
    for (const f of [
      'a.png',
      'a.jpg',
      'a.jpeg',
      'a.tif',
      'a.tiff',
      'a.bmp',
      'a.webp',
      'A.PNG',
      'dir.d/photo.Tif',
    ]) {
      expect(outputKind(f), f).toBe('image');
    }
  });

  it('sequence for an image name with a printf pattern (%d, %05d)', () => {
    for (const f of ['out/%05d.png', '%d.jpg', 'frames/shot-%3d.tiff'])
      expect(outputKind(f), f).toBe('sequence');
    // The pattern must be in the file name, not the folder.
    expect(outputKind('out%05d/a.png')).toBe('image');
  });
});

describe('fileOutput', () => {
  it('one file: written under a hidden name in the same folder, with the same extension', () => {
    expect(fileOutput('graded/clip.final.mp4', { crf: 20 }, 'mp4')).toEqual({
      path: 'graded/clip.final.mp4',
      tmpPath: `graded/.clip.final.vgrade-partial-${pid}.mp4`,
      label: 'graded/clip.final.mp4',
      format: 'mp4',
      kind: 'video',
      overrides: { crf: 20 },
    });
  });

  it('tmpPath keeps the extension as written (ffmpeg picks the muxer from it) and is hidden', () => {
    for (const file of ['/abs/dir/photo.TIF', 'photo.png', './x/y.mkv', 'a.b/c.d.webm']) {
      const out = fileOutput(file);
      expect(path.resolve(path.dirname(out.tmpPath!))).toBe(path.resolve(path.dirname(file)));
      expect(path.extname(out.tmpPath!)).toBe(path.extname(file));
      expect(path.basename(out.tmpPath!).startsWith('.')).toBe(true);
      expect(out.tmpPath).not.toBe(file);
    }
    expect(fileOutput('photo.png').tmpPath).toBe(`.photo.vgrade-partial-${pid}.png`);
    expect(fileOutput('/abs/dir/photo.TIF').tmpPath).toBe(`/abs/dir/.photo.vgrade-partial-${pid}.TIF`);
    // Without an extension (then -f names the muxer) the name still hides and stays beside it.
    expect(fileOutput('noext').tmpPath).toBe(`.noext.vgrade-partial-${pid}`);
  });

  it('an image sequence is written in place: no tmpPath, kind sequence', () => {
    expect(fileOutput('out/%05d.png')).toEqual({
      path: 'out/%05d.png',
      tmpPath: undefined,
      label: 'out/%05d.png',
      format: undefined,
      kind: 'sequence',
      overrides: {},
    });
  });

  it('standard output: no tmpPath, nut unless a format is given', () => {
    expect(stdoutOutput(undefined)).toEqual({
      path: '-',
      tmpPath: undefined,
      label: 'standard output',
      format: 'nut',
      kind: 'video',
      overrides: {},
    });
    expect(stdoutOutput('matroska', { codec: 'ffv1' })).toMatchObject({
      format: 'matroska',
      overrides: { codec: 'ffv1' },
    });
  });
});

describe('planOutputs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vgrade-plan-'));
    await mkdir(path.join(dir, 'out'));
    await writeFile(path.join(dir, 'existing.mp4'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true, maxRetries: 10 }));

  it('one input to a file: that file, with the overrides and format', async () => {
    const out = path.join(dir, 'graded.mp4');
    expect(await planOutputs(['in.mp4'], out, { format: 'mp4', overrides: { crf: 20 } })).toEqual([
      {
        input: 'in.mp4',
        output: {
          path: out,
          tmpPath: path.join(dir, `.graded.vgrade-partial-${pid}.mp4`),
          label: out,
          format: 'mp4',
          kind: 'video',
          overrides: { crf: 20 },
        },
      },
    ]);
  });

  it('one input to an existing file: planned as a new one would be (findExisting says it is there)', async () => {
    const out = path.join(dir, 'existing.mp4');
    const [job] = await planOutputs(['in.mp4'], out, none);
    expect(job!.output.path).toBe(out);
    expect(job!.output.tmpPath).toBe(path.join(dir, `.existing.vgrade-partial-${pid}.mp4`));
  });

  it("one input to an existing folder: the input's name inside it", async () => {
    const jobs = await planOutputs(['/media/clip.mov'], path.join(dir, 'out'), none);
    expect(jobs.map((j) => [j.input, j.output.path, j.output.tmpPath])).toEqual([
      [
        '/media/clip.mov',
        path.join(dir, 'out', 'clip.mov'),
        path.join(dir, 'out', `.clip.vgrade-partial-${pid}.mov`),
      ],
    ]);
  });

  it('several inputs to an existing folder: each under its own name; other containers become .mp4', async () => {
    const jobs = await planOutputs(
      ['a.mp4', 'x/c.avi', 'p.TIF', 'd.mkv', 'e.webm'],
      path.join(dir, 'out'),
      none,
    );
    expect(jobs.map((j) => [j.input, path.relative(dir, j.output.path), j.output.kind])).toEqual([
      ['a.mp4', 'out/a.mp4', 'video'],
      ['x/c.avi', 'out/c.mp4', 'video'],
      ['p.TIF', 'out/p.TIF', 'image'],
      ['d.mkv', 'out/d.mkv', 'video'],
      ['e.webm', 'out/e.mp4', 'video'],
    ]);
  });

  it('several inputs to a path ending in "/" that does not exist yet: a folder', async () => {
    const out = path.join(dir, 'new') + '/';
    const jobs = await planOutputs(['a.mp4', 'b.png'], out, none);
    expect(jobs.map((j) => j.output.path)).toEqual([
      path.join(dir, 'new', 'a.mp4'),
      path.join(dir, 'new', 'b.png'),
    ]);
  });

  it('an image sequence into a folder keeps its pattern: kind sequence, no tmpPath', async () => {
    const [job] = await planOutputs(['frames/%05d.png'], path.join(dir, 'out') + '/', none);
    expect(job!.output).toMatchObject({
      path: path.join(dir, 'out', '%05d.png'),
      tmpPath: undefined,
      kind: 'sequence',
    });
  });

  it('several inputs to a file: an error naming the path', async () => {
    const out = path.join(dir, 'b2.mp4');
    expect((await planError(['a.mp4', 'b.mp4'], out)).message).toBe(
      `Several inputs need -o to be a folder (e.g. ${out}/) but ${out} is not one`,
    );
    // An existing file is not a folder either.
    const existing = path.join(dir, 'existing.mp4');
    expect((await planError(['a.mp4', 'b.mp4'], existing)).message).toBe(
      `Several inputs need -o to be a folder (e.g. ${existing}/) but ${existing} is not one`,
    );
  });

  it('two inputs with the same base name: refused, not overwritten', async () => {
    const out = path.join(dir, 'out');
    expect((await planError(['x/a.mp4', 'y/a.mp4'], out)).message).toBe(
      `x/a.mp4 and y/a.mp4 would both be written to ${path.join(out, 'a.mp4')}`,
    );
    // Different extensions that map to the same output name collide too.
    expect((await planError(['a.avi', 'a.mp4'], out)).message).toBe(
      `a.avi and a.mp4 would both be written to ${path.join(out, 'a.mp4')}`,
    );
  });

  it('the output equal to the input: refused (also when written differently, or via the folder)', async () => {
    const input = path.join(dir, 'existing.mp4');
    expect((await planError([input], input)).message).toBe(
      `The output ${input} is the input itself; choose another name`,
    );
    const alias = path.join(dir, 'out', '..', 'existing.mp4');
    expect((await planError([input], alias)).message).toBe(
      `The output ${alias} is the input itself; choose another name`,
    );
    expect((await planError([input], dir)).message).toBe(
      `The output ${path.join(dir, 'existing.mp4')} is the input itself; choose another name`,
    );
  });

  it('standard input twice: an error', async () => {
    expect((await planError(['-', '-'], path.join(dir, 'out'))).message).toBe(
      'Standard input (-) can be read only once',
    );
  });

  it('standard input into a folder: an error; into a file: fine', async () => {
    expect((await planError(['-', 'a.mp4'], path.join(dir, 'out'))).message).toBe(
      'Standard input needs an output file name, not a folder',
    );
    const [job] = await planOutputs(['-'], path.join(dir, 'o.mkv'), none);
    expect(job).toMatchObject({ input: '-', output: { path: path.join(dir, 'o.mkv'), kind: 'video' } });
  });

  it('"-" as output: standard output for one input, an error for several', async () => {
    expect(await planOutputs(['a.mp4'], '-', { format: 'matroska', overrides: {} })).toEqual([
      { input: 'a.mp4', output: stdoutOutput('matroska', {}) },
    ]);
    expect(await planOutputs(['-'], '-', none)).toEqual([
      { input: '-', output: stdoutOutput(undefined, {}) },
    ]);
    expect((await planError(['a.mp4', 'b.mp4'], '-')).message).toBe(
      'Several inputs cannot all be written to standard output',
    );
  });

  it('no inputs: an error', async () => {
    expect((await planError([], path.join(dir, 'out'))).message).toBe('Expected at least one input');
  });
});

describe('existing outputs (-y overwrites, -n skips, neither refuses)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vgrade-existing-'));
    await mkdir(path.join(dir, 'out'));
    await writeFile(path.join(dir, 'out', 'a.mp4'), 'old');
    await mkdir(path.join(dir, 'seq'));
    await writeFile(path.join(dir, 'seq', '00007.png'), '');
    await writeFile(path.join(dir, 'seq', 'notes.txt'), '');
    await mkdir(path.join(dir, 'looks'));
    for (const f of ['b.shot-000.cube', 'c.edl', 'stdin.ccc', 'd.shot-x.cube', 'e.ccc.bak'])
      await writeFile(path.join(dir, 'looks', f), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true, maxRetries: 10 }));

  it("a sequence's pattern: %05d is five digits or more, %d one or more, the rest literal", () => {
    expect(sequencePattern('%05d.png').test('00001.png')).toBe(true);
    expect(sequencePattern('%05d.png').test('123456.png')).toBe(true);
    expect(sequencePattern('%05d.png').test('0001.png')).toBe(false);
    expect(sequencePattern('%05d.png').test('00001.jpg')).toBe(false);
    expect(sequencePattern('%05d.png').test('00001xpng')).toBe(false);
    expect(sequencePattern('shot (%d).tif').test('shot (7).tif')).toBe(true);
    expect(sequencePattern('shot (%d).tif').test('shot ().tif')).toBe(false);
    expect(sequencePattern('100%%-%3d.png').test('100%-042.png')).toBe(true);
  });

  it('a file is there or not; standard output never is; a sequence is there when any frame is', async () => {
    expect(await existingOutput(fileOutput(path.join(dir, 'out', 'a.mp4')))).toBe(
      path.join(dir, 'out', 'a.mp4'),
    );
    expect(await existingOutput(fileOutput(path.join(dir, 'out', 'b.mp4')))).toBeUndefined();
    expect(await existingOutput(stdoutOutput(undefined))).toBeUndefined();
    expect(await existingOutput(fileOutput(path.join(dir, 'seq', '%05d.png')))).toBe(
      path.join(dir, 'seq', '00007.png'),
    );
    expect(await existingOutput(fileOutput(path.join(dir, 'seq', '%05d.tif')))).toBeUndefined();
    expect(await existingOutput(fileOutput(path.join(dir, 'nofolder', '%05d.png')))).toBeUndefined();
  });

  it('a whole batch is looked at at once, in order, outputs and exported corrections alike', async () => {
    // d.shot-x.cube and e.ccc.bak are not the export stage's names: d and e have nothing there.
    const batch = await planOutputs(
      ['x/a.mp4', 'b.mov', 'c.png', 'd.mkv', 'e.mp4'],
      path.join(dir, 'out'),
      none,
    );
    const [stdin] = await planOutputs(['-'], '-', none);
    const found = await findExisting([...batch, stdin!], path.join(dir, 'looks'));
    expect(found.map((f) => [f.job.input, path.relative(dir, f.path)])).toEqual([
      ['x/a.mp4', 'out/a.mp4'],
      ['b.mov', 'looks/b.shot-000.cube'],
      ['c.png', 'looks/c.edl'],
      ['-', 'looks/stdin.ccc'],
    ]);
    // Without an export folder only the outputs count.
    expect((await findExisting(batch)).map((f) => f.job.input)).toEqual(['x/a.mp4']);
  });

  it('the refusal names what is there and both ways out, three names at most', () => {
    const at = (...paths: string[]): ExistingOutput[] =>
      paths.map((p) => ({ job: { input: 'i', output: fileOutput(p) }, path: p }));
    expect(existingMessage(at('graded/a.mp4'))).toBe(
      'graded/a.mp4 already exists; -y overwrites it, -n skips it',
    );
    expect(existingMessage(at('g/a.mp4', 'g/b.png'))).toBe(
      'g/a.mp4 and g/b.png already exist; -y overwrites them, -n skips them',
    );
    expect(existingMessage(at('a', 'b', 'c', 'd', 'e'))).toBe(
      'a, b, c and 2 more already exist; -y overwrites them, -n skips them',
    );
  });
});
