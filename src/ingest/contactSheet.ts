/*
 * A before/after contact sheet: `frames` pictures of the source in one row, the graded master's at
 * the same times in the row below, each row under a label band that names it (SOURCE, GRADED) and
 * gives each picture's time in the clip (`00:00:04.20`).
 *
 * ffmpeg picks and scales the pictures: for each chosen time the first frame at it (within half a
 * frame; times are counted from each file's first frame and put on the frame grid when the rate is
 * known, so the label is the frame's own time), tiled into a row, both rows stacked, as raw RGB on
 * stdout. The bands are drawn here with a built-in bitmap font ({@link drawText}) and the sheet is
 * written as PNG: ffmpeg's drawtext needs a font file, which a bare machine (a CI runner, a slim
 * container, the bundled static ffmpeg) may not have, and labels must not depend on it. An HDR
 * clip's pictures are shown as their SDR view (`color/hdr.ts`): as codes, they look dim and flat.
 */
import { writeFile } from 'node:fs/promises';
import { encodePng } from '../image/png.js';
import { HdrView, type HdrTransfer } from '../color/hdr.js';
import { FfmpegArgs } from '../ffmpeg/args.js';
import { spawnFfmpeg } from '../ffmpeg/spawn.js';
import type { InputSource } from '../ffmpeg/input.js';
import { RuntimeFailure } from '../util/errors.js';
import { drawText, GLYPH_HEIGHT, textWidth, type RgbImage } from './bitmapFont.js';

export interface ContactSheetOptions {
  /** Pictures per row, spread evenly over the clip. */
  readonly frames: number;
  /** Width of one picture in the sheet; the height follows the source's shape. */
  readonly width: number;
}

export const CONTACT_SHEET_DEFAULTS: ContactSheetOptions = { frames: 4, width: 320 };

/** The rows, top to bottom, as their bands name them. */
export const CONTACT_SHEET_ROWS = ['source', 'graded'] as const;

/** What is known of the clip the sheet shows. */
export interface ContactSheetClip {
  /** Seconds. */
  readonly duration: number;
  /** The upright picture's width / height. */
  readonly displayAspect: number;
  /** Frames per second, when known: the chosen times are then frame times. */
  readonly frameRate?: number | undefined;
  /** An HDR clip's transfer: its pictures are shown as their SDR view, as vgrade graded them. */
  readonly hdr?: HdrTransfer | undefined;
}

/** Black between pictures and rows. */
const GAP = 4;
const TEXT: readonly [number, number, number] = [235, 235, 235];
const SAMPLE_TIME = '00:00:00.00';

/** Where everything goes on the sheet. */
export interface ContactSheetLayout {
  readonly frames: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  /** Height of the label band above each row. */
  readonly bandHeight: number;
  /** Font pixels per bitmap pixel. */
  readonly scale: number;
  readonly width: number;
  readonly height: number;
  /** Each column's time in seconds from the clip's first frame; fewer than `frames` for a clip of fewer frames. */
  readonly times: readonly number[];
  /** How early before its time a column's frame may start: half a frame (20 ms at unknown rates). */
  readonly slack: number;
}

/** `00:00:04.20`: hours, minutes, seconds and hundredths. */
export function formatClipTime(seconds: number): string {
  const cs = Math.max(0, Math.round(seconds * 100));
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(cs / 360_000))}:${two(Math.floor(cs / 6000) % 60)}:${two(Math.floor(cs / 100) % 60)}.${two(cs % 100)}`;
}

export function contactSheetLayout(
  clip: ContactSheetClip,
  opts: ContactSheetOptions = CONTACT_SHEET_DEFAULTS,
): ContactSheetLayout {
  const tileWidth = opts.width;
  const tileHeight = Math.max(2, 2 * Math.round(opts.width / clip.displayAspect / 2));
  const rate = clip.frameRate && clip.frameRate > 0 ? clip.frameRate : undefined;
  const times: number[] = [];
  for (let k = 0; k < opts.frames; k++) {
    const even = (k * Math.max(clip.duration, 0)) / opts.frames;
    const t = rate ? Math.round(even * rate) / rate : even;
    // A clip of fewer frames than columns: each frame once, the columns after it left black.
    if (k === 0 || (t > times[times.length - 1]! && t < clip.duration)) times.push(t);
  }
  // Twice the size when the row's name and a time fit side by side over one picture.
  const widest = Math.max(...CONTACT_SHEET_ROWS.map((r) => r.length));
  const fits = (s: number): boolean =>
    textWidth('X'.repeat(widest), s) + textWidth(SAMPLE_TIME, s) + 4 * s <= tileWidth;
  const scale = fits(2) ? 2 : 1;
  const bandHeight = GLYPH_HEIGHT * scale + 6;
  return {
    frames: opts.frames,
    tileWidth,
    tileHeight,
    bandHeight,
    scale,
    width: opts.frames * tileWidth + (opts.frames - 1) * GAP,
    height: 2 * (bandHeight + tileHeight) + GAP,
    times,
    slack: Math.min(rate ? 0.5 / rate : 0.02, (clip.duration || 0.04) / opts.frames / 2),
  };
}

/**
 * The ffmpeg arguments that write both rows of pictures, stacked without bands, to stdout as one
 * raw rgb24 frame of `layout.width` x `2 * layout.tileHeight + 4`.
 */
export function contactSheetArgs(before: InputSource, after: string, layout: ContactSheetLayout): string[] {
  // Each time takes the first frame from `slack` before it: the very frame, on the frame grid.
  const pick = layout.times
    .map((t) => {
      const from = (t - layout.slack).toFixed(6);
      return `gte(t\\,${from})*not(gte(prev_t\\,${from}))`;
    })
    .join('+');
  const row = (input: number, label: string): string =>
    `[${input}:v:0]setpts=PTS-STARTPTS,select='${pick}',` +
    `scale=${layout.tileWidth}:${layout.tileHeight},setsar=1,` +
    `tile=${layout.frames}x1:padding=${GAP}:color=black,setpts=0[${label}]`;
  return new FfmpegArgs()
    .global('-hide_banner', '-nostdin', '-loglevel', 'error')
    .global(
      '-filter_complex',
      `${row(0, 'a')};${row(1, 'b')};[a]pad=iw:ih+${GAP}[top];[top][b]vstack,format=rgb24`,
    )
    .input(before.ffmpegInput, { format: before.format, options: before.inputOptions ?? [] })
    .input(after)
    .output('-', { format: 'rawvideo', options: ['-frames:v', '1'] })
    .toArray();
}

/** The band above a row: its name at the left, each picture's time at the right of its column. */
export function labelBand(layout: ContactSheetLayout, name: string): RgbImage {
  const band: RgbImage = {
    width: layout.width,
    height: layout.bandHeight,
    rgb: new Uint8Array(layout.width * layout.bandHeight * 3),
  };
  const s = layout.scale;
  const y = Math.floor((layout.bandHeight - GLYPH_HEIGHT * s) / 2);
  drawText(band, 2 * s, y, name.toUpperCase(), s, TEXT);
  layout.times.forEach((t, k) => {
    const text = formatClipTime(t);
    const right = k * (layout.tileWidth + GAP) + layout.tileWidth - 2 * s;
    drawText(band, right - textWidth(text, s), y, text, s, TEXT);
  });
  return band;
}

/** Runs ffmpeg for the two rows of pictures (see {@link contactSheetArgs}). */
async function rowsOfPictures(
  ffmpeg: string,
  before: InputSource,
  after: string,
  layout: ContactSheetLayout,
): Promise<Uint8Array> {
  const expected = layout.width * (2 * layout.tileHeight + GAP) * 3;
  const proc = spawnFfmpeg(ffmpeg, contactSheetArgs(before, after, layout), {
    label: 'contact sheet',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  let size = 0;
  proc.child.stdout!.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= expected) chunks.push(chunk);
  });
  await proc.exited;
  if (size !== expected) {
    throw new RuntimeFailure(
      'E_FFMPEG',
      `ffmpeg (contact sheet) wrote ${size} bytes where one ${layout.width}x${2 * layout.tileHeight + GAP} rgb24 picture has ${expected}`,
    );
  }
  return Buffer.concat(chunks);
}

/**
 * Writes the contact sheet of `before` (the source) and `after` (the graded master) to `target`
 * as PNG, and returns its layout (the times shown, for the job's report).
 */
export async function writeContactSheet(
  ffmpeg: string,
  before: InputSource,
  after: string,
  target: string,
  clip: ContactSheetClip,
  opts: ContactSheetOptions = CONTACT_SHEET_DEFAULTS,
): Promise<ContactSheetLayout> {
  const layout = contactSheetLayout(clip, opts);
  const pictures = await rowsOfPictures(ffmpeg, before, after, layout);
  if (clip.hdr) new HdrView(clip.hdr).toSdrInPlace(pictures);
  const sheet = new Uint8Array(layout.width * layout.height * 3);
  const rowBytes = layout.width * layout.tileHeight * 3;
  let at = 0;
  CONTACT_SHEET_ROWS.forEach((name, i) => {
    sheet.set(labelBand(layout, name).rgb, at);
    at += layout.width * layout.bandHeight * 3;
    sheet.set(pictures.subarray(i * (rowBytes + layout.width * GAP * 3)).subarray(0, rowBytes), at);
    at += rowBytes + layout.width * GAP * 3;
  });
  await writeFile(target, encodePng(layout.width, layout.height, sheet));
  return layout;
}
