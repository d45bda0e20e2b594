/// <reference lib="dom" />
import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLI } from './cli.js';

/** Debian's Chromium (.ci/run installs it), never a downloaded browser. */
export const CHROMIUM = process.env['VGRADE_CHROMIUM'] ?? '/usr/bin/chromium';

/** Headless Debian Chromium as root on a machine with no network (see .ci/run). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** `vgrade preview --port 0 ARGS`, once it has printed its address. */
export function startPreview(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'preview', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /vgrade preview: (http\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`preview exited with ${code}: ${err}`)));
  });
}

/** Stops a preview with SIGTERM; its exit code. */
export async function stopPreview(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/**
 * The pixels of a canvas between two fractions of its width, whole height: a digest (to tell
 * identical pictures) and the mean of each channel.
 */
export function canvasRegion(
  page: Page,
  id: string,
  from: number,
  to: number,
): Promise<{ digest: number; mean: number[] }> {
  return page.evaluate(
    ([canvasId, f0, f1]) => {
      const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
      const x0 = Math.floor(canvas.width * f0);
      const x1 = Math.floor(canvas.width * f1);
      const { data } = canvas.getContext('2d')!.getImageData(x0, 0, x1 - x0, canvas.height);
      let digest = 0x811c9dc5;
      const sum = [0, 0, 0];
      for (let i = 0; i < data.length; i++) {
        digest = Math.imul(digest ^ data[i]!, 0x01000193) >>> 0;
        if (i % 4 < 3) sum[i % 4]! += data[i]!;
      }
      return { digest, mean: sum.map((s) => s / (data.length / 4)) };
    },
    [id, from, to] as const,
  );
}
