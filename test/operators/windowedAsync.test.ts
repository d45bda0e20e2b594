import { EMPTY, NEVER, Subject, from, lastValueFrom, of, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { windowedAsync } from '../../src/operators/windowedAsync.js';

interface Item {
  name: string;
  cut?: boolean;
  released: number;
  result?: string;
}

const item = (name: string, cut = false): Item => ({ name, cut, released: 0 });

function operator(size: number, windows: string[][], opts: { fail?: number; delay?: number } = {}) {
  return windowedAsync<Item, string>({
    size,
    startsWindow: (i) => i.cut === true,
    release: (i) => i.released++,
    work: async (items) => {
      windows.push(items.map((i) => i.name));
      if (opts.delay) await new Promise((r) => setTimeout(r, opts.delay));
      if (opts.fail !== undefined && windows.length === opts.fail)
        throw new Error(`window ${opts.fail} failed`);
      return items.map((i) => `${i.name}'`);
    },
    apply: (i, r) => ({ ...i, result: r }),
  });
}

describe('windowedAsync', () => {
  it('rejects a window size below 1', () => {
    expect(() => windowedAsync({ size: 0, work: async () => [], apply: (i) => i })).toThrow(
      'Expected integer >= 1 for size but received 0',
    );
  });

  it('never: nothing emitted, no work started', async () => {
    const windows: string[][] = [];
    const seen: Item[] = [];
    const sub = NEVER.pipe(operator(3, windows)).subscribe((i) => seen.push(i));
    await new Promise((r) => setTimeout(r, 5));
    sub.unsubscribe();
    expect(seen).toEqual([]);
    expect(windows).toEqual([]);
  });

  it('empty: completes at once with no work', async () => {
    const windows: string[][] = [];
    expect(await lastValueFrom(EMPTY.pipe(operator(3, windows), toArray()))).toEqual([]);
    expect(windows).toEqual([]);
  });

  it('one: a window shorter than its size is worked at completion', async () => {
    const windows: string[][] = [];
    const out = await lastValueFrom(of(item('a')).pipe(operator(3, windows), toArray()));
    expect(out.map((i) => i.result)).toEqual(["a'"]);
    expect(windows).toEqual([['a']]);
  });

  it('many: windows of `size`, closed early at a cut, results emitted in order', async () => {
    const windows: string[][] = [];
    const input = [item('a'), item('b'), item('c'), item('d', true), item('e'), item('f'), item('g')];
    const out = await lastValueFrom(from(input).pipe(operator(3, windows, { delay: 2 }), toArray()));
    expect(out.map((i) => i.result)).toEqual(["a'", "b'", "c'", "d'", "e'", "f'", "g'"]);
    expect(windows).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    const cutEarly: string[][] = [];
    await lastValueFrom(from([item('a'), item('b', true), item('c')]).pipe(operator(3, cutEarly), toArray()));
    expect(cutEarly).toEqual([['a'], ['b', 'c']]);
    expect(input.every((i) => i.released === 0)).toBe(true); // emitted items belong downstream
  });

  it('starts the next window while one is being worked on', async () => {
    const windows: string[][] = [];
    const source = new Subject<Item>();
    const seen: string[] = [];
    const done = lastValueFrom(source.pipe(operator(2, windows, { delay: 20 }), toArray()));
    for (const n of 'abcd') source.next(item(n));
    expect(windows).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]); // both dispatched before either finished
    source.complete();
    for (const i of await done) seen.push(i.result!);
    expect(seen).toEqual(["a'", "b'", "c'", "d'"]);
  });

  it('error from the source: passed on, held items released', async () => {
    const windows: string[][] = [];
    const held = [item('a'), item('b')];
    const source = new Subject<Item>();
    const result = lastValueFrom(source.pipe(operator(3, windows)));
    held.forEach((i) => source.next(i));
    source.error(new Error('decoder died'));
    await expect(result).rejects.toThrow('decoder died');
    expect(held.map((i) => i.released)).toEqual([1, 1]);
  });

  it('error from the work: passed on, the failed window and later ones released', async () => {
    const windows: string[][] = [];
    const input = [item('a'), item('b'), item('c'), item('d')];
    await expect(lastValueFrom(from(input).pipe(operator(2, windows, { fail: 1 })))).rejects.toThrow(
      'window 1 failed',
    );
    expect(input.map((i) => i.released)).toEqual([1, 1, 1, 1]);
  });

  it('early unsubscribe: everything held is released once', async () => {
    const windows: string[][] = [];
    const source = new Subject<Item>();
    const input = [item('a'), item('b'), item('c')];
    const sub = source.pipe(operator(2, windows, { delay: 50 })).subscribe();
    input.forEach((i) => source.next(i));
    sub.unsubscribe();
    expect(input.map((i) => i.released)).toEqual([1, 1, 1]);
    await new Promise((r) => setTimeout(r, 60));
    expect(input.map((i) => i.released)).toEqual([1, 1, 1]);
  });

  it('passes a source error through even when nothing is held', async () => {
    await expect(lastValueFrom(throwError(() => new Error('x')).pipe(operator(2, [])))).rejects.toThrow('x');
  });
});
