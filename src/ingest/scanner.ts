import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isCandidateName, type DroppedFile } from './names.js';
import { isOpenForWriting } from './openWriters.js';

export interface ScannerOptions {
  /** How long a file's size and modification time must stay the same before it is complete. */
  readonly settleMs: number;
  /** Also require that no process on this machine has it open for writing (Linux). */
  readonly checkWriters?: boolean;
}

interface Observation {
  size: number;
  mtimeMs: number;
  since: number;
  reported: boolean;
}

/**
 * Polls one folder (its top level only: `done/`, `quarantine/` and any other subfolder are not
 * read) and reports each dropped file once it is complete: a regular file, not a symbolic link,
 * not hidden or named like a transfer in progress, whose size and modification time have not
 * changed for `settleMs`, and which no local process holds open for writing. A file that changes
 * after it was reported is reported again as a new version. Polling, not inotify: it works the
 * same on network shares, where most ingest folders live.
 */
export class FolderScanner {
  private readonly seen = new Map<string, Observation>();

  constructor(
    readonly dir: string,
    private readonly opts: ScannerOptions,
  ) {}

  /** Files seen but not yet complete, after the last scan. */
  get pending(): number {
    let n = 0;
    for (const o of this.seen.values()) if (!o.reported) n++;
    return n;
  }

  /** One pass over the folder: the files that became complete since the last pass. */
  async scan(now = Date.now()): Promise<DroppedFile[]> {
    const names = (await readdir(this.dir)).filter(isCandidateName);
    const present = new Set(names);
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    const ready: DroppedFile[] = [];
    for (const name of names) {
      const full = path.join(this.dir, name);
      let st;
      try {
        st = await lstat(full);
      } catch {
        continue; // gone since readdir
      }
      if (!st.isFile()) continue;
      const before = this.seen.get(name);
      if (!before || before.size !== st.size || before.mtimeMs !== st.mtimeMs) {
        this.seen.set(name, { size: st.size, mtimeMs: st.mtimeMs, since: now, reported: false });
        continue;
      }
      if (before.reported || now - before.since < this.opts.settleMs) continue;
      if (this.opts.checkWriters !== false && (await isOpenForWriting(full))) {
        before.since = now; // a writer that pauses: wait the whole settle time after it closes
        continue;
      }
      before.reported = true;
      ready.push({ name, size: st.size, mtimeMs: st.mtimeMs });
    }
    return ready;
  }
}
