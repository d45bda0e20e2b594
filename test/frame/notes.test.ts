import { describe, expect, expectTypeOf, it } from 'vitest';
import { FrameNotes, noteKey } from '../../src/frame/notes.js';
import { FramePool } from '../../src/frame/pool.js';

describe('FrameNotes: typed keys', () => {
  const COUNT = noteKey<number>('count');
  const RECORD = noteKey<{ label: string }>('record');

  it('reads a note back with the type of its key, no cast', () => {
    const notes = new FrameNotes();
    notes.set(COUNT, 3);
    notes.set(RECORD, { label: 'green-2' });
    expect(notes.get(COUNT)).toBe(3);
    expect(notes.get(RECORD)).toEqual({ label: 'green-2' });
    expectTypeOf(notes.get(COUNT)).toEqualTypeOf<number | undefined>();
    expectTypeOf(notes.get(RECORD)).toEqualTypeOf<{ label: string } | undefined>();
    // @ts-expect-error a value of another type than the key's
    notes.set(COUNT, 'three');
  });

  it('a note never set is undefined; has() tells them apart', () => {
    const notes = new FrameNotes();
    expect(notes.get(COUNT)).toBeUndefined();
    expect(notes.has(COUNT)).toBe(false);
    notes.set(COUNT, 0);
    expect(notes.has(COUNT)).toBe(true);
    expect(notes.get(COUNT)).toBe(0);
  });

  it('keys compare by identity: two keys of one name are two notes', () => {
    const notes = new FrameNotes();
    const other = noteKey<string>('count');
    notes.set(COUNT, 1);
    notes.set(other, 'one');
    expect(notes.get(COUNT)).toBe(1);
    expect(notes.get(other)).toBe('one');
    expect(notes.size).toBe(2);
  });

  it('iterates as [name, value] in the order set; clear() empties it', () => {
    const notes = new FrameNotes();
    notes.set(RECORD, { label: 'blue-1' });
    notes.set(COUNT, 7);
    expect([...notes]).toEqual([
      ['record', { label: 'blue-1' }],
      ['count', 7],
    ]);
    notes.clear();
    expect([...notes]).toEqual([]);
    expect(notes.size).toBe(0);
  });

  it("a pooled frame's notes are cleared when the frame is reused", () => {
    const pool = new FramePool(1, 2, 2, 8);
    const f = pool.tryAcquire()!;
    f.notes.set(COUNT, 5);
    f.release();
    expect(pool.tryAcquire()!.notes.get(COUNT)).toBeUndefined();
  });
});
