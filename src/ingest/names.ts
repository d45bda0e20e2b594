import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * Names in a watch folder that are never picked up: hidden files (rsync, Samba and most copy tools
 * write `.name.XXXX` and rename when done) and the usual suffixes of transfers in progress.
 */
export function isCandidateName(name: string): boolean {
  if (name.startsWith('.') || name.endsWith('~')) return false;
  return !/\.(part|partial|tmp|temp|crdownload|download|filepart|!sync)$/i.test(name);
}

/**
 * A safe stem for everything written for one source: letters, digits, `.`, `_` and `-` only, no
 * leading dot, at most 100 characters. Other characters (slashes, spaces, control characters,
 * anything a shell or an FTP client might trip on) become `_`.
 */
export function outputStem(sourceName: string): string {
  const stem = path.basename(sourceName, path.extname(sourceName)).normalize('NFKD').replace(/\p{M}/gu, '');
  const safe = stem
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 100)
    .replace(/[._-]+$/, '');
  return safe || 'untitled';
}

/** Containers `vgrade ingest --container` delivers every master in. */
export const MASTER_CONTAINERS = ['mxf', 'mov', 'mp4', 'mkv'] as const;

/** Containers we write a graded master in; any other source gets Matroska, which takes anything. */
const KEPT_EXTENSIONS = new Set(['.mp4', '.mov', '.mkv', '.m4v']);

/**
 * The graded master's extension: the source's where it is one of {@link KEPT_EXTENSIONS}, `.mxf`
 * for an MXF source whose video goes back into MXF in its own codec (`mxfWrittenBack`: XDCAM's and
 * IMX's MPEG-2, DNxHR; a playout server takes what it was given), else `.mkv`.
 */
export function outputExtension(sourceName: string, mxfWrittenBack = false): string {
  const ext = path.extname(sourceName).toLowerCase();
  if (ext === '.mxf' && mxfWrittenBack) return ext;
  return KEPT_EXTENSIONS.has(ext) ? ext : '.mkv';
}

/** What identifies one version of a dropped file: the same name rewritten is a new job. */
export interface DroppedFile {
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** A stable id for one version of a dropped file, the same on every machine that sees it. */
export function jobIdFor(file: DroppedFile): string {
  return createHash('sha256')
    .update(`${file.name}\0${file.size}\0${Math.round(file.mtimeMs)}`)
    .digest('hex')
    .slice(0, 24);
}
