/**
 * A key of `Frame.notes` that carries the type of what is kept under it, so a note is read back
 * typed, without a cast. Declare each key once, beside the stage that writes it:
 *
 *   export const FINDINGS = noteKey<FrameRecord>('classify');
 *   frame.notes.set(FINDINGS, record);
 *   const record = frame.notes.get(FINDINGS); // FrameRecord | undefined
 *
 * Keys compare by identity: two keys with the same name are two different notes.
 */
export interface NoteKey<T> {
  /** What the note is called in logs and in `[...notes]`. */
  readonly name: string;
  /** Never set: ties the key to its value's type (both ways, so a key's type cannot widen). */
  readonly valueType?: (value: T) => T;
}

/** Declares a key of `Frame.notes` for values of type `T`. */
export function noteKey<T>(name: string): NoteKey<T> {
  return { name };
}

/** A frame's notes (statistics, classifier records), each under its typed key. Cleared on reuse. */
export class FrameNotes {
  private readonly values = new Map<{ readonly name: string }, unknown>();

  get<T>(key: NoteKey<T>): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set<T>(key: NoteKey<T>, value: T): void {
    this.values.set(key, value);
  }

  has<T>(key: NoteKey<T>): boolean {
    return this.values.has(key);
  }

  clear(): void {
    this.values.clear();
  }

  get size(): number {
    return this.values.size;
  }

  /** Each note as `[name, value]`, in the order they were set. */
  *[Symbol.iterator](): IterableIterator<[string, unknown]> {
    for (const [key, value] of this.values) yield [key.name, value];
  }
}
