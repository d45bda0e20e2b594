/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { canvasRegion, CHROMIUM, launchChromium, startPreview, stopPreview } from '../helpers/browser.js';
import { decodeRgb, ffmpeg, tempDir } from '../helpers/media.js';

const W = 320;
const H = 180;

interface PageState {
  drawn: number;
  lastSeq: number;
  scope: string;
  scopesDrawn: number;
  frozen: boolean;
  full: boolean;
  trims: { strength: number; slope: number[]; offset: number[]; power: number[]; saturation: number } | null;
}

const state = (page: Page): Promise<PageState> =>
  page.evaluate(() => {
    const s = (window as unknown as { __vgrade: PageState }).__vgrade;
    return {
      drawn: s.drawn,
      lastSeq: s.lastSeq,
      scope: s.scope,
      scopesDrawn: s.scopesDrawn,
      frozen: s.frozen,
      full: s.full,
      trims: s.trims,
    };
  });

/** Waits until the page has drawn `n` more pictures (or scopes) than it had. */
async function more(page: Page, what: 'drawn' | 'scopesDrawn', n: number): Promise<void> {
  const from = (await state(page))[what];
  await page.waitForFunction(
    ([key, target]) => (window as unknown as { __vgrade: Record<string, number> }).__vgrade[key]! >= target,
    [what, from + n] as const,
    { timeout: 120_000 },
  );
}

/** The source half and the graded half of the picture, the split in the middle. */
const halves = async (page: Page) => ({
  source: await canvasRegion(page, 'view', 0, 0.45),
  graded: await canvasRegion(page, 'view', 0.55, 1),
});

const scopeDigest = async (page: Page) => (await canvasRegion(page, 'scope', 0, 1)).digest;

async function setFrozen(page: Page, frozen: boolean): Promise<void> {
  if ((await state(page)).frozen !== frozen) await page.keyboard.press('Space');
  await page.waitForFunction(
    (f) => (window as unknown as { __vgrade: PageState }).__vgrade.frozen === f,
    frozen,
    { timeout: 120_000 },
  );
}

async function resetTrims(page: Page): Promise<void> {
  await page.keyboard.press('r');
  await page.waitForFunction(
    () => {
      const t = (window as unknown as { __vgrade: PageState }).__vgrade.trims;
      return (
        t !== null && t.slope.every((v) => v === 1) && t.power.every((v) => v === 1) && t.saturation === 1
      );
    },
    undefined,
    { timeout: 120_000 },
  );
}

/** Clicks a button that makes the browser download a file; its bytes. */
async function download(page: Page, button: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(button)]);
  const path = await file.path();
  return readFile(path);
}

describe.skipIf(!existsSync(CHROMIUM))('vgrade preview: scopes, trims, freeze, stills and looks', () => {
  let browser: Browser;
  let preview: { child: ChildProcess; url: string };
  let page: Page;

  beforeAll(async () => {
    // A moving picture with a cast, graded by the classical pipeline.
    preview = await startPreview([
      '--input',
      `lavfi:testsrc2=size=${W}x${H}:rate=25,colorchannelmixer=rr=0.7:bb=0.8`,
      '--size',
      `${W}x${H}`,
      '--pipeline',
      'classical',
    ]);
    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true });
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
  });

  it('freeze holds the picture while it goes on being graded; space lets it go', async () => {
    // Live, the test pattern moves.
    const live = await halves(page);
    await more(page, 'drawn', 5);
    expect((await halves(page)).source.digest).not.toBe(live.source.digest);
    await setFrozen(page, true);
    expect(await page.locator('#freeze').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('#frozen').isVisible()).toBe(true);
    // Once the held frame is shown (and its grade has settled over the blend's 12 frames), new
    // pictures keep coming and are all the same.
    await more(page, 'drawn', 20);
    const held = await halves(page);
    const seq = (await state(page)).lastSeq;
    await more(page, 'drawn', 10);
    expect((await state(page)).lastSeq).toBeGreaterThan(seq);
    expect(await halves(page)).toEqual(held);
    await setFrozen(page, false);
    expect(await page.locator('#frozen').isVisible()).toBe(false);
    await more(page, 'drawn', 5);
    expect((await halves(page)).source.digest).not.toBe(held.source.digest);
  });

  it('a trim changes the graded half and not the source half', async () => {
    await setFrozen(page, true);
    await more(page, 'drawn', 20);
    const before = await halves(page);
    // More red in the grade, with the slider a colourist would use.
    await page.locator('input[aria-label="gain R"]').fill('1.5');
    await expect
      .poll(async () => (await halves(page)).graded.mean[0]! - before.graded.mean[0]!, { timeout: 120_000 })
      .toBeGreaterThan(15);
    const after = await halves(page);
    expect(after.source).toEqual(before.source);
    expect(Math.abs(after.graded.mean[1]! - before.graded.mean[1]!)).toBeLessThan(3);
    // Every viewer and the API see the trims.
    const api = (await (await fetch(new URL('/api/state', preview.url))).json()) as {
      trims: PageState['trims'];
    };
    expect(api.trims).toMatchObject({
      slope: [1.5, 1, 1],
      offset: [0, 0, 0],
      power: [1, 1, 1],
      saturation: 1,
    });
    // r puts them back, and the grade with them.
    await resetTrims(page);
    await expect
      .poll(async () => Math.abs((await halves(page)).graded.mean[0]! - before.graded.mean[0]!), {
        timeout: 120_000,
      })
      .toBeLessThan(1);
    await setFrozen(page, false);
  });

  it('the scopes follow the graded picture: still while it is, changed when it changes', async () => {
    await setFrozen(page, true);
    await page.keyboard.press('2');
    expect((await state(page)).scope).toBe('waveform');
    expect(await page.locator('#scope').isVisible()).toBe(true);
    await more(page, 'drawn', 20);
    await more(page, 'scopesDrawn', 2);
    const still = await scopeDigest(page);
    await more(page, 'scopesDrawn', 3);
    expect(await scopeDigest(page)).toBe(still);
    // Lift the grade's blacks: the waveform's bottom moves up.
    await page.locator('input[aria-label="lift G"]').fill('0.1');
    await expect.poll(() => scopeDigest(page), { timeout: 120_000 }).not.toBe(still);
    // Each scope draws its own picture; 1 turns them off.
    const seen = new Set<number>([await scopeDigest(page)]);
    for (const [key, kind, height] of [
      ['3', 'parade', 200],
      ['4', 'vectorscope', 320],
    ] as const) {
      await page.keyboard.press(key);
      await more(page, 'scopesDrawn', 2);
      expect(await state(page)).toMatchObject({ scope: kind });
      expect(await page.locator('#scope').getAttribute('height')).toBe(String(height));
      const digest = await scopeDigest(page);
      expect(seen.has(digest)).toBe(false);
      seen.add(digest);
    }
    await page.keyboard.press('1');
    expect(await page.locator('#scope').isVisible()).toBe(false);
    await page.locator('button[data-scope="waveform"]').click();
    expect((await state(page)).scope).toBe('waveform');
    // Live again, the moving pattern moves the waveform.
    await resetTrims(page);
    await setFrozen(page, false);
    await more(page, 'scopesDrawn', 2);
    const moving = await scopeDigest(page);
    await expect.poll(() => scopeDigest(page), { timeout: 120_000 }).not.toBe(moving);
  });

  it("exports the look as a .cube that ffmpeg's lut3d reads and that reproduces the grade of a grabbed still", async () => {
    await setFrozen(page, true);
    await page.locator('input[aria-label="gain B"]').fill('1.2');
    await page.locator('input[aria-label="gamma R"]').fill('1.3');
    await page.locator('input[aria-label="saturation"]').fill('0.8');
    await page.waitForFunction(
      () => (window as unknown as { __vgrade: PageState }).__vgrade.trims?.saturation === 0.8,
      undefined,
      { timeout: 120_000 },
    );
    // Enough pictures for the trims to be in the grade and the held frame's blend to settle.
    await more(page, 'drawn', 20);
    const tmp = await tempDir('vgrade-preview-tools-');
    try {
      const still = await download(page, '#grab');
      const cube = await download(page, '#cube');
      const cc = (await download(page, '#cc')).toString();
      const stillFile = `${tmp.dir}/still.png`;
      const cubeFile = `${tmp.dir}/look.cube`;
      await writeFile(stillFile, still);
      await writeFile(cubeFile, cube);
      // The still: source on the left, grade on the right, at the preview's size.
      const [both] = await decodeRgb(stillFile, 2 * W, H);
      expect(both).toHaveLength(2 * W * H * 3);
      expect(cube.toString()).toMatch(
        /^TITLE "vgrade preview classical, frame \d+, strength 1"\nLUT_3D_SIZE \d+\n/,
      );
      // ffmpeg grades the still's source half with the exported look...
      const out = `${tmp.dir}/graded.png`;
      await ffmpeg(['-i', stillFile, '-vf', `crop=${W}:${H}:0:0,lut3d=file=${cubeFile}`, out]);
      const [byFfmpeg] = await decodeRgb(out, W, H);
      const [source, grade] = [0, 1].map((half) => {
        const b = Buffer.alloc(W * H * 3);
        for (let y = 0; y < H; y++)
          both!.copy(b, y * W * 3, (y * 2 + half) * W * 3, (y * 2 + half + 1) * W * 3);
        return b;
      });
      // ...as the page graded it: within rounding (ffmpeg truncates where the preview rounds).
      let worst = 0;
      let total = 0;
      let changed = 0;
      for (let i = 0; i < grade!.length; i++) {
        const d = Math.abs(byFfmpeg![i]! - grade![i]!);
        worst = Math.max(worst, d);
        total += d;
        if (Math.abs(grade![i]! - source![i]!) > 8) changed++;
      }
      expect(worst).toBeLessThanOrEqual(2);
      expect(total / grade!.length).toBeLessThan(0.75);
      // Not a test of the identity: the look changes the picture.
      expect(changed).toBeGreaterThan(grade!.length / 4);
      // The .cc: an ASC CDL fitted to the same look.
      expect(cc).toMatch(/<ColorCorrection xmlns="urn:ASC:CDL:v1.01" id="vgrade-classical-\d+">/);
      const sat = Number(/<Saturation>([\d.]+)<\/Saturation>/.exec(cc)![1]);
      expect(sat).toBeGreaterThan(0.6);
      expect(sat).toBeLessThan(0.95);
    } finally {
      await tmp.cleanup();
      await resetTrims(page);
      await setFrozen(page, false);
    }
  });

  it('with no correction (off), exports the trims themselves as the .cc', async () => {
    const api = (path: string, body?: unknown) =>
      fetch(new URL(path, preview.url), body ? { method: 'POST', body: JSON.stringify(body) } : {});
    try {
      expect((await api('/api/pipeline', { name: 'off' })).status).toBe(200);
      const set = await api('/api/trims', { slope: [1.25, 1, 0.9], offset: [0, 0.02, 0], saturation: 1.1 });
      expect(set.status).toBe(200);
      const cc = await (await api('/api/look.cc')).text();
      expect(cc).toContain('<Slope>1.25 1 0.9</Slope>');
      expect(cc).toContain('<Offset>0 0.02 0</Offset>');
      expect(cc).toContain('<Power>1 1 1</Power>');
      expect(cc).toContain('<Saturation>1.1</Saturation>');
      // Out of range: refused, and nothing changes.
      const bad = await api('/api/trims', { power: [1, 9, 1] });
      expect([bad.status, await bad.json()]).toEqual([
        400,
        { error: 'Expected number between 0.1 and 4 for power[1] but received 9' },
      ]);
    } finally {
      await api('/api/trims', { reset: true });
      await api('/api/pipeline', { name: 'classical' });
    }
  });

  it('has a full-window mode and lists its keys', async () => {
    const small = (await page.locator('#view').boundingBox())!;
    await page.keyboard.press('f');
    expect((await state(page)).full).toBe(true);
    expect(await page.locator('#tools').isVisible()).toBe(false);
    expect(await page.locator('header').isVisible()).toBe(false);
    const large = (await page.locator('#view').boundingBox())!;
    expect(large.width).toBeGreaterThan(small.width);
    await page.keyboard.press('Escape');
    expect((await state(page)).full).toBe(false);
    expect(await page.locator('#tools').isVisible()).toBe(true);
    const keys = await page.locator('#keys dt').allTextContents();
    expect(keys).toEqual(expect.arrayContaining(['f', 'space', 's', 'e / c', '1 2 3 4', 'r']));
  });
});
