import { open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { systemErrorReason } from '../../src/util/errors.js';

describe('systemErrorReason', () => {
  it("keeps the cause of Node's message, without its code or the (temporary) path", () => {
    const denied = Object.assign(
      new Error("EACCES: permission denied, open 'ro/.out2.vgrade-partial-22462.png'"),
      { code: 'EACCES', errno: -13, syscall: 'open', path: 'ro/.out2.vgrade-partial-22462.png' },
    );
    expect(systemErrorReason(denied)).toBe('permission denied');
    expect(systemErrorReason(new Error('ENOSPC: no space left on device, write'))).toBe(
      'no space left on device',
    );
    expect(systemErrorReason(new Error("EXDEV: cross-device link not permitted, rename 'a' -> 'b'"))).toBe(
      'cross-device link not permitted',
    );
  });

  it('reads a real error from the file system', async () => {
    // A path through a regular file (this one): ENOTDIR, for root too.
    const file = path.join(fileURLToPath(import.meta.url), 'sub', 'x.png');
    const notDir = await open(file, 'w').catch((e: unknown) => e);
    expect((notDir as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(systemErrorReason(notDir)).toBe('not a directory');
  });

  it('leaves any other message as it is', () => {
    expect(systemErrorReason(new Error('the disk caught fire'))).toBe('the disk caught fire');
    expect(systemErrorReason('a string')).toBe('a string');
  });
});
