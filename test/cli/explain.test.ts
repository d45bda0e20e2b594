import { afterEach, describe, expect, it, vi } from 'vitest';
import { runExplain } from '../../src/cli/commands/explain.js';

/** What `vgrade explain` prints for these options. */
async function explain(opts: { size?: string; depth?: 8 | 16; sets?: string[] }): Promise<string> {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  await runExplain({
    pipeline: 'grade',
    size: opts.size ?? '1920x1080',
    depth: opts.depth ?? 8,
    sets: opts.sets ?? [],
  });
  return written.join('');
}

describe('vgrade explain: where the full-resolution pixels go', () => {
  afterEach(() => vi.restoreAllMocks());

  it('an 8-bit source with the default encode: decoded once, its pictures graded in Node, the ring sized', async () => {
    const text = await explain({});
    const ring = /frame ring: (\d+) frames/.exec(text);
    expect(ring).not.toBeNull();
    // One picture per frame of the pool (3 more frames with pictures), and 3 read ahead.
    const pictures = Number(ring![1]) + 6;
    const mib = ((pictures * 1920 * 1080 * 1.5) / 1024 / 1024).toFixed(1);
    expect(text).toContain(`graded in Node (encode apply=auto), a ring of ${pictures} pictures, ${mib} MiB`);
  });

  it('a 16-bit source, or apply encoder: the pixels stay in ffmpeg', async () => {
    expect(await explain({ depth: 16 })).toContain('full-resolution pixels stay in ffmpeg');
    expect(await explain({ sets: ['encode.apply=encoder'] })).toContain(
      'full-resolution pixels stay in ffmpeg',
    );
  });
});
