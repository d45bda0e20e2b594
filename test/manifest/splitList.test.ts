import { describe, expect, it } from 'vitest';
import { formatSplitList, parseSplitList, readSplitList, sourceNames } from '../../src/manifest/splitList.js';

describe('split lists (vgrade dataset --splits, and splits.tsv beside each manifest)', () => {
  it('know a source by its file name, so a split holds wherever the media lives', () => {
    expect(sourceNames(['/work/media/dev/video/a.mp4']).get('/work/media/dev/video/a.mp4')).toBe('a.mp4');
    expect(sourceNames(['media/dev/video/a.mp4']).get('media/dev/video/a.mp4')).toBe('a.mp4');
  });

  it('tell apart two sources that share a file name, by a hash of the path, the same every time', () => {
    const sources = ['cam1/C0001.MP4', 'cam2/C0001.MP4', 'cam2/C0002.MP4'];
    const names = sourceNames(sources);
    expect(names.get('cam2/C0002.MP4')).toBe('C0002.MP4');
    expect(names.get('cam1/C0001.MP4')).toMatch(/^C0001\.MP4~[0-9a-f]{8}$/);
    expect(names.get('cam2/C0001.MP4')).toMatch(/^C0001\.MP4~[0-9a-f]{8}$/);
    expect(names.get('cam1/C0001.MP4')).not.toBe(names.get('cam2/C0001.MP4'));
    expect(sourceNames([...sources].reverse())).toEqual(names);
  });

  it('read back what they write, sorted by split and name', () => {
    const splits = { train: ['media/b.jpg', '/x/a.mp4'], validation: ['c.png'], test: [] };
    const text = formatSplitList(splits, sourceNames([...splits.train, ...splits.validation]));
    expect(text.split('\n').slice(1)).toEqual(['a.mp4\ttrain', 'b.jpg\ttrain', 'c.png\tvalidation', '']);
    expect([...parseSplitList(text, 'splits.tsv')]).toEqual([
      ['a.mp4', 'train'],
      ['b.jpg', 'train'],
      ['c.png', 'validation'],
    ]);
  });

  it('skip comments and blank lines', () => {
    const list = parseSplitList('# made by hand\n\na.mp4\ttest  # the cat\r\n', 'l.tsv');
    expect([...list]).toEqual([['a.mp4', 'test']]);
  });

  it('refuse a line they cannot read, naming the file and line', () => {
    expect(() => parseSplitList('a.mp4\ttrain\nb.mp4 train\n', 'l.tsv')).toThrow(/at l\.tsv:2/);
    expect(() => parseSplitList('a.mp4\ttraining\n', 'l.tsv')).toThrow(/train\|validation\|test/);
    expect(() => parseSplitList('a.mp4\ttrain\tx\n', 'l.tsv')).toThrow(/l\.tsv:1/);
  });

  it('refuse a name listed twice rather than pick one', () => {
    expect(() => parseSplitList('a.mp4\ttrain\na.mp4\ttest\n', 'l.tsv')).toThrow(
      /l\.tsv:2 lists "a\.mp4" a second time/,
    );
  });

  it('say which file is missing when the list given is not there', async () => {
    await expect(readSplitList('/nonexistent/splits.tsv')).rejects.toThrow(
      'Split list not found: /nonexistent/splits.tsv',
    );
  });
});
