import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { segmentMean, type Averaged } from '../../src/operators/segmentMean.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Letters as items; an upper-case letter starts a segment; the mean of measures is their join. */
const joined = { measure: (x: string) => x, mean: (list: readonly string[]) => list.join('') };
const upper = (x: string): boolean => x === x.toUpperCase();

const averaged = (item: string, mean: string): Averaged<string, string> => ({ item, own: item, mean });

describe('segmentMean', () => {
  it('gives each item the mean over its neighbours within the radius, delayed by the radius', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c-d-e|');
      expectObservable(source.pipe(segmentMean({ radius: 1, ...joined }))).toBe('--A-B-C-D(E|)', {
        A: averaged('a', 'ab'),
        B: averaged('b', 'abc'),
        C: averaged('c', 'bcd'),
        D: averaged('d', 'cde'),
        E: averaged('e', 'de'),
      });
    });
  });

  it('never averages across the start of a segment', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a---b---C---d---|');
      const result = source.pipe(segmentMean({ radius: 2, startsSegment: upper, ...joined }));
      expectObservable(result).toBe('--------(AB)----(CD|)', {
        A: averaged('a', 'ab'),
        B: averaged('b', 'ab'),
        C: averaged('C', 'Cd'),
        D: averaged('d', 'Cd'),
      });
    });
  });

  it('keeps earlier measures only up to the radius', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abcde|');
      const result = source.pipe(segmentMean({ radius: 0, ...joined }));
      expectObservable(result).toBe('abcde|', {
        a: averaged('a', 'a'),
        b: averaged('b', 'b'),
        c: averaged('c', 'c'),
        d: averaged('d', 'd'),
        e: averaged('e', 'e'),
      });
    });
  });

  it('measures each item once, in arrival order', () => {
    const seen: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|');
      const measure = (x: string): string => (seen.push(x), x);
      expectObservable(source.pipe(segmentMean({ radius: 3, measure, mean: joined.mean }))).toBe(
        '-----(ABC|)',
        { A: averaged('a', 'abc'), B: averaged('b', 'abc'), C: averaged('c', 'abc') },
      );
    });
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
