import { open, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderScanner } from '../../src/ingest/scanner.js';
import { isOpenForWriting } from '../../src/ingest/openWriters.js';
import { tempDir } from '../helpers/media.js';

describe('the watch-folder scanner', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir('vgrade-scan-');
  });
  afterEach(() => tmp.cleanup());
  const names = (files: Array<{ name: string }>) => files.map((f) => f.name).sort();

  it('reports a file once its size and time have held still for the settle time, and only once', async () => {
    const scanner = new FolderScanner(tmp.dir, { settleMs: 1000 });
    await writeFile(path.join(tmp.dir, 'a.mov'), 'x'.repeat(10));
    expect(await scanner.scan(0)).toEqual([]);
    expect(await scanner.scan(999)).toEqual([]);
    expect(scanner.pending).toBe(1);
    const ready = await scanner.scan(1000);
    expect(ready).toMatchObject([{ name: 'a.mov', size: 10 }]);
    expect(scanner.pending).toBe(0);
    expect(await scanner.scan(5000)).toEqual([]);
  });

  it('starts the settle time again whenever the file grows', async () => {
    const scanner = new FolderScanner(tmp.dir, { settleMs: 1000 });
    const file = path.join(tmp.dir, 'a.mov');
    await writeFile(file, 'x');
    await scanner.scan(0);
    await writeFile(file, 'xx');
    expect(await scanner.scan(1500)).toEqual([]);
    expect(names(await scanner.scan(2500))).toEqual(['a.mov']);
  });

  it('reports a rewritten file again, as a new version', async () => {
    const scanner = new FolderScanner(tmp.dir, { settleMs: 0 });
    const file = path.join(tmp.dir, 'a.mov');
    await writeFile(file, 'one');
    await scanner.scan(0);
    expect(await scanner.scan(1)).toHaveLength(1);
    await writeFile(file, 'three');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    await scanner.scan(2);
    expect(await scanner.scan(3)).toMatchObject([{ name: 'a.mov', size: 5 }]);
  });

  it('ignores hidden and partial files, subfolders and symbolic links', async () => {
    const scanner = new FolderScanner(tmp.dir, { settleMs: 0 });
    await writeFile(path.join(tmp.dir, '.a.mov.tmp123'), 'x');
    await writeFile(path.join(tmp.dir, 'b.mov.part'), 'x');
    await mkdir(path.join(tmp.dir, 'done'));
    await writeFile(path.join(tmp.dir, 'done', 'c.mov'), 'x');
    await symlink('/etc/hostname', path.join(tmp.dir, 'd.mov'));
    await writeFile(path.join(tmp.dir, 'e.mov'), 'x');
    await scanner.scan(0);
    expect(names(await scanner.scan(1))).toEqual(['e.mov']);
  });

  it('holds back a file that a process still has open for writing, however long it pauses', async () => {
    const scanner = new FolderScanner(tmp.dir, { settleMs: 100 });
    const file = path.join(tmp.dir, 'a.mov');
    const writer = await open(file, 'w');
    await writer.write('first half');
    expect(await isOpenForWriting(file)).toBe(true);
    await scanner.scan(0);
    expect(await scanner.scan(10_000)).toEqual([]);
    await writer.close();
    expect(await isOpenForWriting(file)).toBe(false);
    expect(await scanner.scan(10_050)).toEqual([]);
    expect(names(await scanner.scan(10_100))).toEqual(['a.mov']);
  });

  it('does not mistake a reader for a writer', async () => {
    const file = path.join(tmp.dir, 'a.mov');
    await writeFile(file, 'x');
    const reader = await open(file, 'r');
    try {
      expect(await isOpenForWriting(file)).toBe(false);
    } finally {
      await reader.close();
    }
  });
});
