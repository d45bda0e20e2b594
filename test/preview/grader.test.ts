import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveGrader, type GradedPicture } from '../../src/preview/grader.js';
import { compilePipeline } from '../../src/pipeline/compile.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { resolvePipelinePath } from '../../src/util/packageRoot.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { silentLogger } from '../../src/util/logger.js';
import type { LiveFrame } from '../../src/preview/liveSource.js';
import { applyLutRgb24 } from '../../src/lut/rgb24Wasm.js';
import { IDENTITY_TRIMS } from '../../src/preview/trims.js';
import { compileMatch } from '../../src/preview/preview.js';
import { encodePng } from '../../src/image/png.js';
import { tempDir } from '../helpers/media.js';

const W = 96;
const H = 54;

/** A picture with a strong cast: reddish grey with a gradient. */
function picture(seq: number): LiveFrame {
  const data = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const v = 40 + ((i % W) * 150) / W;
    data[i * 3] = Math.min(255, v * 1.4);
    data[i * 3 + 1] = v;
    data[i * 3 + 2] = v * 0.7;
  }
  return { seq, enteredAt: Date.now(), discontinuity: seq === 0, data };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function grader(strength?: number) {
  const binaries = await resolveBinaries();
  const recycled: Buffer[] = [];
  const g = new LiveGrader(
    {
      width: W,
      height: H,
      logger: silentLogger,
      binaries,
      label: 'test',
      strength,
      off: await compiled('preview-off'),
    },
    (b) => recycled.push(b),
  );
  const shown: Array<GradedPicture & { afterCopy: Buffer; lookReproduces: boolean }> = [];
  g.on('picture', (p) => {
    // The look is only valid during the event: what it makes of the source is checked now.
    const viaLook = Buffer.alloc(p.before.length);
    if (p.look) applyLutRgb24(p.look, p.before, viaLook, W * H);
    else p.before.copy(viaLook);
    shown.push({ ...p, afterCopy: Buffer.from(p.after), lookReproduces: viaLook.equals(p.after) });
  });
  return { g, shown, recycled };
}

const compiled = async (name: string) => compilePipeline(await loadPipeline(resolvePipelinePath(name)));

describe('the live grader', () => {
  it('off: shows the source as it is', async () => {
    const { g, shown } = await grader();
    g.use('off', await compiled('preview-off'));
    g.push(picture(0));
    expect(shown).toHaveLength(1);
    expect(shown[0]!.afterCopy.equals(shown[0]!.before)).toBe(true);
    expect(shown[0]!.pipeline).toBe('off');
  });

  it('applies the correction the pipeline finds to the full preview picture', async () => {
    const { g, shown, recycled } = await grader();
    g.use('classical', await compiled('preview-classical'));
    for (let i = 0; i < 5; i++) g.push(picture(i));
    expect(shown.map((p) => p.seq)).toEqual([0, 1, 2, 3, 4]);
    const p = shown[4]!;
    expect(p.pipeline).toBe('classical');
    // The cast is reduced: red and blue come closer together in the middle of the picture.
    const at = ((H >> 1) * W + (W >> 1)) * 3;
    const castBefore = p.before[at]! - p.before[at + 2]!;
    const castAfter = p.afterCopy[at]! - p.afterCopy[at + 2]!;
    expect(Math.abs(castAfter)).toBeLessThan(Math.abs(castBefore) * 0.6);
    // Every source buffer is handed back for reuse.
    expect(recycled).toHaveLength(5);
  });

  it('scales the correction by --strength: none at 0, about half at 0.5, as graded at 1', async () => {
    const at = ((H >> 1) * W + (W >> 1)) * 3;
    const graded = async (strength: number) => {
      const { g, shown } = await grader(strength);
      g.use('classical', await compiled('preview-classical'));
      for (let i = 0; i < 5; i++) g.push(picture(i));
      const p = shown[4]!;
      return [0, 1, 2].map((c) => p.afterCopy[at + c]! - p.before[at + c]!);
    };
    const [none, half, full] = [await graded(0), await graded(0.5), await graded(1)];
    expect(none).toEqual([0, 0, 0]);
    expect(Math.max(...full.map(Math.abs))).toBeGreaterThan(10);
    for (let c = 0; c < 3; c++) expect(half[c]!).toBeCloseTo(full[c]! / 2, -0.5);
  });

  it('applies the trims after the correction, to the grade only, from the next frame on', async () => {
    const at = ((H >> 1) * W + (W >> 1)) * 3;
    const { g, shown } = await grader();
    g.use('classical', await compiled('preview-classical'));
    for (let i = 0; i < 5; i++) g.push(picture(i));
    g.setTrims({ ...IDENTITY_TRIMS, slope: [1.3, 1, 1], saturation: 0.9 });
    for (let i = 5; i < 10; i++) g.push(picture(i));
    const [plain, trimmed] = [shown[4]!, shown[9]!];
    // The source is the same; the grade's red went up by about the slope.
    expect(trimmed.before.equals(plain.before)).toBe(true);
    expect(trimmed.afterCopy[at]! / plain.afterCopy[at]!).toBeGreaterThan(1.15);
    expect(Math.abs(trimmed.afterCopy[at + 1]! - plain.afterCopy[at + 1]!)).toBeLessThan(12);
    // Each picture carries the look that made its grade (correction and trims as one LUT).
    expect(shown.every((p) => p.lookReproduces)).toBe(true);
    expect(g.currentTrims.slope).toEqual([1.3, 1, 1]);
  });

  it('off: the trims alone make the look, and at their identity the picture is the source', async () => {
    const { g, shown } = await grader();
    g.use('off', await compiled('preview-off'));
    g.setTrims({ ...IDENTITY_TRIMS, offset: [0, 0, 0.2] });
    g.push(picture(0));
    g.setTrims(IDENTITY_TRIMS);
    g.push(picture(1));
    const at = ((H >> 1) * W + (W >> 1)) * 3;
    expect(shown[0]!.afterCopy[at + 2]! - shown[0]!.before[at + 2]!).toBeCloseTo(51, -0.5);
    expect(shown[0]!.look?.size).toBe(33);
    expect(shown[1]!.afterCopy.equals(shown[1]!.before)).toBe(true);
    expect(shown[1]!.look).toBeUndefined();
    expect(shown.every((p) => p.lookReproduces)).toBe(true);
  });

  it('shows each frame at once, as it came and marked warming, while the pipeline starts; graded once it is ready', async () => {
    const { g, shown } = await grader();
    const ready = new Promise<string>((resolve) => g.once('ready', resolve));
    g.use('neural', await compiled('preview'));
    expect(g.warming).toBe(true);
    // The classifier's model is still loading in its thread: no frame waits for it.
    for (let i = 0; i < 5; i++) {
      expect(g.canTake).toBe(true);
      g.push(picture(i));
    }
    expect(shown.map((p) => [p.seq, p.pipeline, p.warming])).toEqual(
      [0, 1, 2, 3, 4].map((seq) => [seq, 'neural', true]),
    );
    for (const p of shown) expect(p.afterCopy.equals(p.before)).toBe(true);
    expect(g.dropped).toBe(0);
    expect(g.inFlight).toBe(2); // the two frames that start the pipeline
    expect(await ready).toBe('neural');
    expect(g.warming).toBe(false);
    // Pictures from now on are graded, with the classifier's findings.
    for (let seq = 5; !shown.some((p) => !p.warming) && seq < 2000; seq++) {
      if (g.canTake) g.push(picture(seq));
      await settle(10);
    }
    const graded = shown.find((p) => !p.warming)!;
    expect(graded).toMatchObject({ pipeline: 'neural', warming: false });
    expect(graded.findings?.top).toHaveLength(3);
    // Never back to an older picture: those that started the pipeline are not shown late.
    expect(graded.seq).toBeGreaterThan(4);
    g.close();
  });

  it('drops frames instead of queueing them when the pipeline is busy, and never shows one out of order', async () => {
    const { g, shown } = await grader();
    g.use('neural', await compiled('preview'));
    const ready = new Promise((resolve) => g.once('ready', resolve));
    g.push(picture(0));
    await ready;
    shown.length = 0;
    for (let i = 1; i <= 60; i++) {
      g.push(picture(i));
      expect(g.inFlight).toBeLessThanOrEqual(2);
    }
    expect(g.dropped).toBeGreaterThan(0);
    await settle(3000);
    expect(shown.length + g.dropped).toBe(60);
    const seqs = shown.map((p) => p.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(shown[0]!.findings?.top).toHaveLength(3);
    g.close();
  });

  it('refuses a file pipeline, naming it, and goes on with the one it had', async () => {
    const { g, shown } = await grader();
    g.use('classical', await compiled('preview-classical'));
    await expect(async () => g.use('neural', await compiled('grade'))).rejects.toThrow(
      'grade.yaml is not a live pipeline: the preview runs pipelines that start with live and end with preview (as pipelines/preview.yaml does)',
    );
    g.push(picture(0));
    expect(g.pipeline).toBe('classical');
    expect(shown.map((p) => p.pipeline)).toEqual(['classical']);
    g.close();
  });

  it('switches pipeline between frames', async () => {
    const { g, shown } = await grader();
    g.use('classical', await compiled('preview-classical'));
    g.push(picture(0));
    g.use('off', await compiled('preview-off'));
    g.push(picture(1));
    expect(shown.map((p) => p.pipeline)).toEqual(['classical', 'off']);
  });

  it('loses no frame to a stage that listens only once it has read something (match, its reference)', async () => {
    const tmp = await tempDir('vgrade-grader-');
    const { g, shown } = await grader();
    try {
      const reference = path.join(tmp.dir, 'reference.png');
      await writeFile(reference, encodePng(W, H, picture(0).data));
      g.use('match', await compileMatch(reference, undefined));
      // Frames go in from the start, as a live source sends them, while the stage reads its
      // reference: had the first ones been lost, the chain would wait for them for ever.
      let seq = 0;
      const deadline = Date.now() + 60_000;
      while (!shown.some((p) => !p.warming) && Date.now() < deadline) {
        if (g.canTake) g.push(picture(seq++));
        await settle(20);
      }
      expect(shown.find((p) => !p.warming)).toMatchObject({ pipeline: 'match', warming: false });
    } finally {
      g.close();
      await tmp.cleanup();
    }
  });
});
