import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startPreview } from '../../src/preview/preview.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { silentLogger } from '../../src/util/logger.js';
import { decodePng } from '../../src/image/png.js';
import { tempDir } from '../helpers/media.js';

/** One answer of `GET /frame`: its header, and whether it carried a picture. */
async function frame(
  url: string,
  after: number,
): Promise<{ header: Record<string, unknown>; picture: boolean }> {
  const bytes = Buffer.from(
    await (await fetch(new URL(`/frame?after=${after}&viewer=test`, url))).arrayBuffer(),
  );
  const jsonLength = bytes.readUInt32BE(0);
  return {
    header: JSON.parse(bytes.subarray(8, 8 + jsonLength).toString()) as Record<string, unknown>,
    picture: bytes.readUInt32BE(4) > 0,
  };
}

describe('the preview on a source the machine cannot keep up with', () => {
  it('drops frames instead of falling behind, and says so', async () => {
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg, silentLogger);
    // 1080p at 2000 frames a second: no machine makes that in real time, so ffmpeg falls further
    // behind the source's timestamps with every frame.
    const preview = await startPreview({
      input: 'lavfi:testsrc2=size=1920x1080:rate=2000',
      host: '127.0.0.1',
      port: 0,
      width: 320,
      height: 180,
      quality: 5,
      pipelines: { classical: 'preview-classical' },
      initial: 'classical',
      logger: silentLogger,
      binaries,
      caps,
    });
    try {
      // A viewer that takes every picture it is given, for 4 s after the first.
      const pictures: Array<{ header: Record<string, unknown>; at: number }> = [];
      let after = -1;
      let first: number | undefined;
      let state: Record<string, unknown> = {};
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const answer = await frame(preview.url, after);
        if (answer.picture) {
          first ??= Date.now();
          after = Number(answer.header['seq']);
          pictures.push({ header: answer.header, at: Date.now() });
        }
        if (first !== undefined && Date.now() - first > 4000) {
          state = (await (await fetch(new URL('/api/state', preview.url))).json()) as Record<string, unknown>;
          if ((state['keepUp'] as { keepingUp: boolean }).keepingUp === false) break;
        }
      }
      const running = Date.now() - first!;
      // The server's stats say the machine cannot keep up, and what share of the frames it drops.
      expect(state).toMatchObject({ keepUp: { keepingUp: false }, drops: expect.any(Object) });
      const keepUp = state['keepUp'] as { sourceFps: number; shownFps: number; dropping: number };
      expect(keepUp.sourceFps).toBeCloseTo(2000, -2);
      expect(keepUp.dropping).toBeGreaterThan(0.5);
      expect(keepUp.dropping).toBeCloseTo(1 - keepUp.shownFps / keepUp.sourceFps, 5);
      expect(preview.stats().keepUp.keepingUp).toBe(false);
      // Every picture the page gets says so too, once the verdict is in.
      expect(pictures.at(-1)!.header).toMatchObject({ keepUp: { keepingUp: false } });
      // The newest picture is shown, not a backlog: its latency (entry into ffmpeg to being served)
      // does not grow with the time the preview has run, whereas ffmpeg is by now seconds behind
      // the source's timestamps.
      const newest = pictures.slice(-5);
      for (const p of newest) expect(p.at - Number(p.header['enteredAt'])).toBeLessThan(running / 2);
      const seqs = pictures.map((p) => Number(p.header['seq']));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    } finally {
      await preview.stop();
    }
  });
});

describe('the preview matching to the frame shown', () => {
  it('writes the frame as the match stage sees it in a folder of its own, switches to match, and removes the folder on stop', async () => {
    const tmp = await tempDir('vgrade-preview-tmp-');
    const saved = process.env['TMPDIR'];
    // (Beside what tsx keeps there for the preview's worker threads.)
    const previewFolders = async () =>
      (await readdir(tmp.dir)).filter((f) => f.startsWith('vgrade-preview-'));
    process.env['TMPDIR'] = tmp.dir;
    try {
      const binaries = await resolveBinaries();
      const caps = await getCapabilities(binaries.ffmpeg, silentLogger);
      const preview = await startPreview({
        input: 'lavfi:testsrc2=size=320x180:rate=25',
        host: '127.0.0.1',
        port: 0,
        width: 320,
        height: 180,
        quality: 5,
        pipelines: {},
        initial: 'off',
        logger: silentLogger,
        binaries,
        caps,
      });
      try {
        const res = await fetch(new URL('/api/match', preview.url), { method: 'POST' });
        expect(await res.json()).toEqual({
          pipeline: 'match',
          reference: expect.stringMatching(/^frame \d+$/),
        });
        const state = (await (await fetch(new URL('/api/state', preview.url))).json()) as unknown;
        expect(state).toMatchObject({ pipeline: 'match', pipelines: ['match', 'off'] });
        const [folder, ...others] = await previewFolders();
        expect(others).toEqual([]);
        const files = await readdir(path.join(tmp.dir, folder!));
        expect(files).toEqual([expect.stringMatching(/frame\.png$/)]);
        // At the match pipeline's proxy size (456x256, stretched), as the stage reads it.
        const png = decodePng(await readFile(path.join(tmp.dir, folder!, files[0]!)));
        expect([png.width, png.height]).toEqual([456, 256]);
      } finally {
        await preview.stop();
      }
      expect(await previewFolders()).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
      await tmp.cleanup();
    }
  });
});
