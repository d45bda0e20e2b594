import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isStillImageFile } from './stillImage.js';

/** What kind of thing an output is: decides the encoder defaults. */
export type OutputKind = 'video' | 'image' | 'sequence';

/**
 * What to do with an output that is already there, as ffmpeg's flags say it: `-y` overwrites it,
 * `-n` skips its input; with neither, vgrade refuses before any work (ffmpeg would ask).
 */
export type OnExisting = 'refuse' | 'overwrite' | 'skip';

/** Encoder settings the user set on the command line; they win over the pipeline's. */
export interface EncoderOverrides {
  readonly codec?: string;
  readonly crf?: number;
  readonly preset?: string;
}

/**
 * One output. Files are written under `tmpPath` (same folder, same extension, so ffmpeg picks the
 * same muxer) and renamed to `path` only when complete; standard output is written directly.
 */
export interface OutputTarget {
  /** As the user wrote it, or derived from the input's name; `-` for standard output. */
  readonly path: string;
  readonly tmpPath: string | undefined;
  readonly label: string;
  /** The muxer to force (`-f`), required for standard output. */
  readonly format: string | undefined;
  readonly kind: OutputKind;
  readonly overrides: EncoderOverrides;
}

export function outputKind(file: string): OutputKind {
  if (!isStillImageFile(file)) return 'video';
  return /%0?\d*d/.test(path.basename(file)) ? 'sequence' : 'image';
}

export function fileOutput(file: string, overrides: EncoderOverrides = {}, format?: string): OutputTarget {
  const kind = outputKind(file);
  const dir = path.dirname(file);
  const ext = path.extname(file);
  const base = path.basename(file, ext);
  // Sequences are written in place (each image is complete when written); one file gets a temp name.
  const tmpPath =
    kind === 'sequence' ? undefined : path.join(dir, `.${base}.vgrade-partial-${process.pid}${ext}`);
  return { path: file, tmpPath, label: file, format, kind, overrides };
}

export function stdoutOutput(format: string | undefined, overrides: EncoderOverrides = {}): OutputTarget {
  return {
    path: '-',
    tmpPath: undefined,
    label: 'standard output',
    format: format ?? 'nut',
    kind: 'video',
    overrides,
  };
}

/**
 * What is already at an output's name, or undefined: the file itself (whatever it is), or for an
 * image sequence the first file its pattern matches in its folder (`out/%05d.png` matches
 * `out/00001.png` and `out/123456.png`). Standard output is never there already.
 */
export async function existingOutput(target: OutputTarget): Promise<string | undefined> {
  if (target.path === '-') return undefined;
  if (target.kind !== 'sequence') {
    const there = await lstat(target.path).then(
      () => true,
      () => false,
    );
    return there ? target.path : undefined;
  }
  const dir = path.dirname(target.path);
  const pattern = sequencePattern(path.basename(target.path));
  const names = await readdir(dir).catch(() => [] as string[]);
  const first = names.filter((n) => pattern.test(n)).sort()[0];
  return first === undefined ? undefined : path.join(dir, first);
}

/** The file names an image sequence's pattern writes: `%05d` is five digits or more, `%d` one or more. */
export function sequencePattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(/%%|%0?(\d*)d/g, (m, width: string) =>
    m === '%%' ? '%' : `\\d{${Math.max(1, Number(width || 1))},}`,
  );
  return new RegExp(`^${source}$`);
}
