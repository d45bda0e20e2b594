import { describe, expect, it } from 'vitest';
import { isCandidateName, jobIdFor, outputExtension, outputStem } from '../../src/ingest/names.js';

describe('which dropped names are picked up', () => {
  it('takes ordinary media names', () => {
    for (const name of ['clip.mov', 'A001_C002.MXF', 'news at 10.mp4', 'x'])
      expect(isCandidateName(name)).toBe(true);
  });

  it('leaves hidden files and transfers in progress alone', () => {
    for (const name of [
      '.clip.mov.XyZ12',
      '.DS_Store',
      'clip.mov.part',
      'clip.mov.tmp',
      'clip.crdownload',
      'clip.mov~',
      'a.filepart',
    ]) {
      expect(isCandidateName(name)).toBe(false);
    }
  });
});

describe('output names', () => {
  it('keep letters, digits, dots, dashes and underscores of the source name', () => {
    expect(outputStem('A001_C002-take.3.mov')).toBe('A001_C002-take.3');
  });

  it('turn spaces, separators and shell characters into underscores', () => {
    expect(outputStem('news at 10; rm -rf $HOME.mp4')).toBe('news_at_10_rm_-rf_HOME');
    expect(outputStem('a\\b|c>d.mov')).toBe('a_b_c_d');
  });

  it('never start with a dot and are never empty', () => {
    expect(outputStem('...hidden.mov')).toBe('hidden');
    expect(outputStem('..mov')).toBe('untitled');
    expect(outputStem('日本語.mov')).toBe('untitled');
  });

  it('spell accented letters without their accents', () => {
    expect(outputStem('Café Zürich.mov')).toBe('Cafe_Zurich');
  });

  it('are at most 100 characters', () => {
    expect(outputStem(`${'x'.repeat(300)}.mp4`)).toHaveLength(100);
  });

  it('keep mp4, mov and mkv containers, and MXF where its codec goes back into it; anything else goes in Matroska', () => {
    expect(outputExtension('a.MOV')).toBe('.mov');
    expect(outputExtension('a.mp4')).toBe('.mp4');
    expect(outputExtension('a.mxf')).toBe('.mkv');
    expect(outputExtension('a.MXF', true)).toBe('.mxf');
    expect(outputExtension('a.ts')).toBe('.mkv');
    expect(outputExtension('a.ts', true)).toBe('.mkv');
  });
});

describe('job ids', () => {
  const file = { name: 'a.mov', size: 1000, mtimeMs: 1_700_000_000_123.4 };

  it('are the same for the same version of a file, wherever computed', () => {
    expect(jobIdFor(file)).toBe(jobIdFor({ ...file }));
    expect(jobIdFor(file)).toMatch(/^[0-9a-f]{24}$/);
  });

  it('differ when the file is rewritten or renamed', () => {
    expect(jobIdFor({ ...file, size: 1001 })).not.toBe(jobIdFor(file));
    expect(jobIdFor({ ...file, mtimeMs: file.mtimeMs + 1000 })).not.toBe(jobIdFor(file));
    expect(jobIdFor({ ...file, name: 'b.mov' })).not.toBe(jobIdFor(file));
  });
});
