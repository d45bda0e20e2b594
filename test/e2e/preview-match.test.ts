/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { canvasRegion, CHROMIUM, launchChromium, startPreview, stopPreview } from '../helpers/browser.js';
import { decodeRgb, ffmpeg, tempDir } from '../helpers/media.js';

const W = 320;
const H = 180;
/**
 * The test pattern's first frame, again and again, with a cast: less red and blue. (A still scene,
 * so that a still of it shows what the source shows; a frame holds few flat colours, which a tone
 * curve fitted to another frame of the moving pattern would not undo exactly.)
 */
const SOURCE = `lavfi:testsrc2=size=${W}x${H}:rate=25,trim=end_frame=1,loop=loop=-1:size=1,colorchannelmixer=rr=0.7:bb=0.8`;

interface PageState {
  drawn: number;
  pipeline: string | null;
  warming: boolean;
  frozen: boolean;
  match: { state: string; text: string };
}

const state = (page: Page): Promise<PageState> =>
  page.evaluate(() => {
    const s = (window as unknown as { __vgrade: PageState }).__vgrade;
    return { drawn: s.drawn, pipeline: s.pipeline, warming: s.warming, frozen: s.frozen, match: s.match };
  });

/** Waits until the page has drawn `n` more pictures than it had. */
async function more(page: Page, n: number): Promise<void> {
  const target = (await state(page)).drawn + n;
  await page.waitForFunction(
    (t) => (window as unknown as { __vgrade: PageState }).__vgrade.drawn >= t,
    target,
    { timeout: 120_000 },
  );
}

/**
 * Waits until the page shows `pipeline` chosen, its button pressed, and grading (no longer
 * starting). (Checked together: a picture the previous pipeline graded may still come after a
 * switch, and the page says which pipeline graded what it shows.)
 */
async function grading(page: Page, pipeline: string): Promise<void> {
  await page.waitForFunction(
    (p) => {
      const s = (window as unknown as { __vgrade: PageState }).__vgrade;
      const button = document.querySelector(`#pipelines button[data-pipeline="${p}"]`);
      return s.pipeline === p && !s.warming && button?.getAttribute('aria-pressed') === 'true';
    },
    pipeline,
    { timeout: 120_000 },
  );
}

/** Mean of each channel of rgb24 pixels between two fractions of the width, whole height. */
function meanOf(rgb: Uint8Array, width: number, height: number, from: number, to: number): number[] {
  const x0 = Math.floor(width * from);
  const x1 = Math.floor(width * to);
  const sum = [0, 0, 0];
  for (let y = 0; y < height; y++)
    for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum[c]! += rgb[(y * width + x) * 3 + c]!;
  return sum.map((s) => s / ((x1 - x0) * height));
}

/** The split in the middle: the source's left part, the grade's right part. */
const GRADED: readonly [number, number] = [0.55, 1];
const halves = async (page: Page) => ({
  source: await canvasRegion(page, 'view', 0, 0.45),
  graded: await canvasRegion(page, 'view', ...GRADED),
});

async function setFrozen(page: Page, frozen: boolean): Promise<void> {
  if ((await state(page)).frozen !== frozen) await page.keyboard.press('Space');
  await page.waitForFunction(
    (f) => (window as unknown as { __vgrade: PageState }).__vgrade.frozen === f,
    frozen,
    { timeout: 120_000 },
  );
}

/** Switches with the page's pipeline button, and waits for the grade to settle. */
async function choose(page: Page, pipeline: string): Promise<void> {
  await page.locator(`#pipelines button[data-pipeline="${pipeline}"]`).click();
  await grading(page, pipeline);
  // The blend's 12 frames (classical), and then some.
  await more(page, 15);
}

/** How `vgrade preview ARGS` ended when it refused to start: its exit status and stderr. */
const refusal = (args: string[]): Promise<string> =>
  startPreview(args).then(
    async ({ child }) => {
      await stopPreview(child);
      return 'it started';
    },
    (err: Error) => err.message,
  );

describe('vgrade preview --reference', () => {
  it('refuses a reference it cannot use before anything starts (exit 2)', async () => {
    const tmp = await tempDir('vgrade-preview-match-');
    try {
      expect(await refusal(['-i', SOURCE, '--reference', `${tmp.dir}/hero.png`])).toMatch(
        new RegExp(`^preview exited with 2: [^]*Reference not found: ${tmp.dir}/hero\\.png`),
      );
      // Named as a picture, probed as one, but nothing ffmpeg can decode.
      await writeFile(`${tmp.dir}/notes.png`, 'not a picture');
      expect(await refusal(['-i', SOURCE, '-r', `${tmp.dir}/notes.png`])).toMatch(
        new RegExp(`^preview exited with 2: [^]*Cannot read the reference ${tmp.dir}/notes\\.png`),
      );
      expect(await refusal(['-i', SOURCE, '--pipeline', 'match'])).toMatch(
        /^preview exited with 2: [^]*--pipeline match needs --reference FILE/,
      );
    } finally {
      await tmp.cleanup();
    }
  });
});

describe.skipIf(!existsSync(CHROMIUM))('vgrade preview: matching to a frame or a picture', () => {
  let browser: Browser;
  let preview: { child: ChildProcess; url: string };
  let page: Page;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  /** The clean pattern's colours in the part of the picture the graded half shows. */
  let still: number[];

  beforeAll(async () => {
    tmp = await tempDir('vgrade-preview-match-');
    // A clean still of the same scene: the pattern without the cast.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${W}x${H}:rate=25`,
      '-frames:v',
      '1',
      `${tmp.dir}/clean.png`,
    ]);
    await copyFile(`${tmp.dir}/clean.png`, `${tmp.dir}/scene.png`);
    await writeFile(`${tmp.dir}/notes.txt`, 'not a picture');
    const [clean] = await decodeRgb(`${tmp.dir}/clean.png`, W, H);
    still = meanOf(clean!, W, H, ...GRADED);
    preview = await startPreview([
      '--input',
      SOURCE,
      '--size',
      `${W}x${H}`,
      '--reference',
      `${tmp.dir}/clean.png`,
    ]);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(preview.url);
    await page.waitForFunction(
      () => (window as unknown as { __vgrade: PageState }).__vgrade.drawn > 5,
      undefined,
      { timeout: 120_000 },
    );
  });
  afterAll(async () => {
    await browser?.close();
    if (preview) expect(await stopPreview(preview.child)).toBe(0);
    await tmp?.cleanup();
  });

  it('with --reference, starts on the match pipeline, offered beside the others', async () => {
    await grading(page, 'match');
    expect(await page.locator('#pipelines button').allTextContents()).toEqual([
      'neural',
      'classical',
      'match',
      'off',
    ]);
  });

  it("a picture chosen from a file: the graded half moves towards the picture's colours, the source half stays", async () => {
    await setFrozen(page, true);
    await choose(page, 'off');
    const before = await halves(page);
    await page.locator('#referenceFile').setInputFiles(`${tmp.dir}/scene.png`);
    await page.waitForFunction(
      () => (window as unknown as { __vgrade: PageState }).__vgrade.match.state === 'done',
      undefined,
      { timeout: 120_000 },
    );
    expect((await state(page)).match.text).toBe('matched to the picture sent (scene.png)');
    await grading(page, 'match');
    // Red and blue, which the cast took away, come back: what is left of their distance to the
    // still's is a small part of what it was.
    const left = async (c: number) =>
      Math.abs((await halves(page)).graded.mean[c]! - still[c]!) /
      Math.abs(before.graded.mean[c]! - still[c]!);
    for (const c of [0, 2]) await expect.poll(() => left(c), { timeout: 120_000 }).toBeLessThan(0.25);
    expect((await halves(page)).source).toEqual(before.source);
  });

  it('"match to this frame" (m) switches the page to match, and a frame matched to itself stays as it is', async () => {
    await setFrozen(page, true);
    // From another grade, which moves the picture (the classical balance undoes the cast).
    await choose(page, 'classical');
    const classical = await halves(page);
    await choose(page, 'off');
    const source = await halves(page);
    const moved = classical.graded.mean.map((v, c) => Math.abs(v - source.graded.mean[c]!));
    expect(Math.max(...moved)).toBeGreaterThan(10);
    await choose(page, 'classical');
    await page.keyboard.press('m');
    await page.waitForFunction(
      () => {
        const { match } = (window as unknown as { __vgrade: PageState }).__vgrade;
        return match.state !== 'busy' && match.text.includes('frame');
      },
      undefined,
      { timeout: 120_000 },
    );
    expect((await state(page)).match).toMatchObject({
      state: 'done',
      text: expect.stringMatching(/^matched to frame \d+$/),
    });
    await grading(page, 'match');
    // The graded half comes back to the source's colours (off showed them there), within what
    // the JPEG and a fitted curve leave.
    const offBy = async () => {
      const now = (await halves(page)).graded.mean;
      return Math.max(...now.map((v, c) => Math.abs(v - source.graded.mean[c]!)));
    };
    await expect.poll(offBy, { timeout: 120_000 }).toBeLessThan(3);
    expect((await halves(page)).source).toEqual(source.source);
    const keys = await page.locator('#keys dt').allTextContents();
    expect(keys).toContain('m');
  });

  it('refuses a file that is no picture, says why, and keeps the grade', async () => {
    const pipeline = (await state(page)).pipeline;
    await page.locator('#referenceFile').setInputFiles(`${tmp.dir}/notes.txt`);
    await page.waitForFunction(
      () => (window as unknown as { __vgrade: PageState }).__vgrade.match.state === 'failed',
      undefined,
      { timeout: 120_000 },
    );
    expect((await state(page)).match.text).toMatch(
      /^cannot match: Cannot read the picture sent \(notes\.txt\): /,
    );
    expect(await page.locator('#matchStatus').textContent()).toMatch(/^cannot match: /);
    expect((await state(page)).pipeline).toBe(pipeline);
    // And an empty one, from anything that speaks HTTP.
    const empty = await fetch(new URL('/api/reference', preview.url), { method: 'POST', body: '' });
    expect([empty.status, await empty.json()]).toEqual([
      400,
      { error: 'send a picture (PNG, JPEG, TIFF...): the request was empty' },
    ]);
    await setFrozen(page, false);
  });
});
