import { EMPTY, NEVER, Subject, from, lastValueFrom, of, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { slidingWindowsAsync, windowWeight } from '../../src/operators/slidingWindowsAsync.js';

interface Item {
  name: string;
  cut?: boolean;
  released: number;
  parts?: Array<{ result: string; weight: number }>;
}

const item = (name: string, cut = false): Item => ({ name, cut, released: 0 });
const items = (names: string): Item[] =>
  names.split(' ').map((n) => (n.startsWith('|') ? item(n.slice(1), true) : item(n)));

/** An operator that records each window's names and answers `name@window` for every position. */
function operator(
  size: number,
  hop: number,
  windows: string[][],
  opts: { fail?: number; delay?: number } = {},
) {
  return slidingWindowsAsync<Item, string>({
    size,
    hop,
    startsSegment: (i) => i.cut === true,
    release: (i) => i.released++,
    work: async (members) => {
      const k = windows.length;
      windows.push(members.map((i) => i.name));
      if (opts.delay) await new Promise((r) => setTimeout(r, opts.delay! * (k % 2 ? 1 : 3)));
      if (opts.fail !== undefined && k + 1 === opts.fail) throw new Error(`window ${opts.fail} failed`);
      return members.map((i) => `${i.name}@${k}`);
    },
    combine: (i, parts) => ({ ...i, parts: [...parts] }),
  });
}

describe('slidingWindowsAsync', () => {
  it('rejects a size below 1 and a hop outside 1..size', () => {
    const work = async (): Promise<string[]> => [];
    const combine = (i: Item): Item => i;
    expect(() => slidingWindowsAsync({ size: 0, hop: 1, work, combine })).toThrow(
      'Expected integer >= 1 for size but received 0',
    );
    expect(() => slidingWindowsAsync({ size: 4, hop: 5, work, combine })).toThrow(
      'Expected integer in [1, 4] for hop but received 5',
    );
  });

  it('weights positions triangularly: 1 at the edges, highest at the centre', () => {
    expect(Array.from({ length: 6 }, (_, p) => windowWeight(p, 6))).toEqual([1, 2, 3, 3, 2, 1]);
    expect(windowWeight(0, 1)).toBe(1);
  });

  it('never: nothing emitted, no work started', async () => {
    const windows: string[][] = [];
    const seen: Item[] = [];
    const sub = NEVER.pipe(operator(4, 2, windows)).subscribe((i) => seen.push(i));
    await new Promise((r) => setTimeout(r, 5));
    sub.unsubscribe();
    expect(seen).toEqual([]);
    expect(windows).toEqual([]);
  });

  it('empty: completes at once with no work', async () => {
    const windows: string[][] = [];
    expect(await lastValueFrom(EMPTY.pipe(operator(4, 2, windows), toArray()))).toEqual([]);
    expect(windows).toEqual([]);
  });

  it('one: every window is the one item, repeated', async () => {
    const windows: string[][] = [];
    const out = await lastValueFrom(of(item('a')).pipe(operator(3, 3, windows), toArray()));
    expect(windows).toEqual([['a', 'a', 'a']]);
    expect(out[0]!.parts).toEqual([{ result: 'a@0', weight: 1 }]);
  });

  it('many: windows slide by the hop, clamp at both ends, and every item is in size/hop windows', async () => {
    const windows: string[][] = [];
    const out = await lastValueFrom(from(items('a b c d e')).pipe(operator(4, 2, windows), toArray()));
    expect(windows).toEqual([
      ['a', 'a', 'a', 'b'],
      ['a', 'b', 'c', 'd'],
      ['c', 'd', 'e', 'e'],
      ['e', 'e', 'e', 'e'],
    ]);
    expect(out.map((i) => i.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Each item's own position counts, never its clamped copies; weights by position (1 2 2 1).
    expect(out.map((i) => i.parts)).toEqual([
      [
        { result: 'a@0', weight: 2 },
        { result: 'a@1', weight: 1 },
      ],
      [
        { result: 'b@0', weight: 1 },
        { result: 'b@1', weight: 2 },
      ],
      [
        { result: 'c@1', weight: 2 },
        { result: 'c@2', weight: 1 },
      ],
      [
        { result: 'd@1', weight: 1 },
        { result: 'd@2', weight: 2 },
      ],
      [
        { result: 'e@2', weight: 2 },
        { result: 'e@3', weight: 1 },
      ],
    ]);
  });

  it('with hop == size, windows are consecutive and only the last is filled by repeating', async () => {
    const windows: string[][] = [];
    await lastValueFrom(from(items('a b c d e')).pipe(operator(2, 2, windows), toArray()));
    expect(windows).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'e'],
    ]);
  });

  it('no window crosses a cut: the segment before it ends there, clamped', async () => {
    const windows: string[][] = [];
    const out = await lastValueFrom(from(items('a b c |x y')).pipe(operator(2, 1, windows), toArray()));
    expect(windows).toEqual([
      ['a', 'a'],
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'c'],
      ['x', 'x'],
      ['x', 'y'],
      ['y', 'y'],
    ]);
    expect(out.map((i) => i.name)).toEqual(['a', 'b', 'c', 'x', 'y']);
    expect(out.every((i) => i.parts!.length === 2)).toBe(true);
  });

  it('emits in order when windows resolve out of order', async () => {
    const windows: string[][] = [];
    const out = await lastValueFrom(
      from(items('a b c d e f g')).pipe(operator(3, 1, windows, { delay: 2 }), toArray()),
    );
    expect(out.map((i) => i.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(out.every((i) => i.parts!.length === 3)).toBe(true);
  });

  it('emits an item as soon as every window holding it has resolved, not at the end', async () => {
    const source = new Subject<Item>();
    const seen: string[] = [];
    const windows: string[][] = [];
    source.pipe(operator(2, 1, windows)).subscribe((i) => seen.push(i.name));
    for (const i of items('a b c')) source.next(i);
    await new Promise((r) => setTimeout(r, 0));
    // a is in windows [a a] and [a b]; b still waits for [b c]'s neighbour [c ?].
    expect(seen).toEqual(['a', 'b']);
    source.complete();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('passes on a failing window and releases every item it still held', async () => {
    const windows: string[][] = [];
    const held = items('a b c d e');
    await expect(
      lastValueFrom(from(held).pipe(operator(2, 1, windows, { fail: 2 }), toArray())),
    ).rejects.toThrow('window 2 failed');
    const emitted = held.filter((i) => i.released === 0).map((i) => i.name);
    expect(held.every((i) => i.released <= 1)).toBe(true);
    expect(emitted.length).toBeLessThan(held.length);
  });

  it('passes on a source error', async () => {
    const windows: string[][] = [];
    await expect(
      lastValueFrom(throwError(() => new Error('boom')).pipe(operator(2, 1, windows))),
    ).rejects.toThrow('boom');
  });

  it('unsubscribe releases every item held, once', async () => {
    const source = new Subject<Item>();
    const held = items('a b c');
    const windows: string[][] = [];
    const sub = source.pipe(operator(4, 2, windows, { delay: 50 })).subscribe();
    for (const i of held) source.next(i);
    sub.unsubscribe();
    expect(held.map((i) => i.released)).toEqual([1, 1, 1]);
  });
});
