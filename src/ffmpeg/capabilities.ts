/**
 * What an ffmpeg binary can do: its version, encoders, filters, muxers and pixel formats, and
 * the spelling of options that changed between versions. Asked of the binary itself, never
 * assumed from a version number; the answers are kept in memory per path and on disk per binary
 * (its real path, size and modification time), so later runs do not ask again.
 *
 * Versions: a release prints `ffmpeg version 5.1.6-0+deb12u1`; a git snapshot prints
 * `ffmpeg version N-47683-g0e8eb07980-static`, which names no release. For those the release is
 * guessed from libavutil's version: the newest release whose libavutil is not newer than the
 * binary's (libavutil 56.24 lies between 4.1's 56.22 and 4.2's 56.31, so it reads as 4.1).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import nodePath from 'node:path';
import type { Logger } from 'pino';
import { runFfmpeg } from './spawn.js';

/** A library version as `-version` prints it (`libavutil 56. 24.101`). */
export interface LibraryVersion {
  major: number;
  minor: number;
  micro: number;
}

/** Conversion support of one pixel format (`ffmpeg -pix_fmts`). */
export interface PixFmtSupport {
  /** Can be converted from (flag I). */
  input: boolean;
  /** Can be converted to (flag O). */
  output: boolean;
  components: number;
  bitsPerPixel: number;
}

/** The version of an ffmpeg or ffprobe binary. */
export interface BinaryVersion {
  path: string;
  /** As printed after "version": `4.1`, `5.1.6-0+deb12u1`, `N-47683-g0e8eb07980-static`. */
  version: string;
  /** Release major, parsed from {@link BinaryVersion.version} or guessed from libavutil. */
  major: number;
  /** Release minor, likewise. */
  minor: number;
  /** True when major/minor were guessed from libavutil because the version names no release. */
  versionGuessed: boolean;
  /** `libavutil`, `libavcodec`, ... as printed by `-version` (the runtime column). */
  libraries: Readonly<Record<string, LibraryVersion>>;
}

/** What one ffmpeg binary offers. */
export interface FfmpegCapabilities extends BinaryVersion {
  encoders: ReadonlySet<string>;
  filters: ReadonlySet<string>;
  /** Output formats, aliases included (`stream_segment` and `ssegment`). */
  muxers: ReadonlySet<string>;
  pixFmts: ReadonlyMap<string, PixFmtSupport>;
  /**
   * The output option that passes frames through with their timestamps, neither duplicating nor
   * dropping any: `['-fps_mode', 'passthrough']` where the binary knows `-fps_mode` (5.1 and
   * later), else `['-vsync', 'passthrough']`.
   */
  passthroughArgs: readonly string[];
  /**
   * The pixel format `haldclut` is fastest in for 8- and 16-bit sources: `gbrpf32le` where this
   * binary's `haldclut` takes planar float (ffmpeg 5 and later have a SIMD path for it, about twice
   * as fast at 1080p as rgb24 here), else `rgb24`/`rgb48le`. Found by running it, not by version.
   */
  floatHaldclut: boolean;
}

/**
 * libavutil's version in each release's first point release, oldest first; the last entry
 * also stands for anything newer.
 */
const RELEASES: readonly (readonly [
  major: number,
  minor: number,
  avutilMajor: number,
  avutilMinor: number,
])[] = [
  [3, 0, 55, 17],
  [3, 1, 55, 27],
  [3, 2, 55, 34],
  [3, 3, 55, 58],
  [3, 4, 55, 78],
  [4, 0, 56, 14],
  [4, 1, 56, 22],
  [4, 2, 56, 31],
  [4, 3, 56, 51],
  [4, 4, 56, 70],
  [5, 0, 57, 17],
  [5, 1, 57, 28],
  [6, 0, 58, 2],
  [6, 1, 58, 29],
  [7, 0, 59, 8],
  [7, 1, 59, 39],
  [8, 0, 60, 8],
];

const capabilitiesCache = new Map<string, Promise<FfmpegCapabilities>>();
const probeVersionCache = new Map<string, Promise<BinaryVersion>>();

/**
 * Asks the ffmpeg at `ffmpegPath` what it can do (six short runs, in parallel). Cached per path;
 * a failure is not cached.
 *
 * @throws UsageError `E_FFMPEG_MISSING` when the binary cannot be started, RuntimeFailure
 *   `E_FFMPEG` when it fails to answer.
 */
export function getCapabilities(ffmpegPath: string, logger?: Logger): Promise<FfmpegCapabilities> {
  return cached(capabilitiesCache, ffmpegPath, () => askCapabilities(ffmpegPath, logger));
}

/** The version of the ffprobe (or ffmpeg) at `ffprobePath`, from `-version`. Cached per path. */
export function getProbeVersion(ffprobePath: string, logger?: Logger): Promise<BinaryVersion> {
  return cached(probeVersionCache, ffprobePath, async () => {
    const { stdout } = await runFfmpeg(ffprobePath, ['-hide_banner', '-version'], {
      label: 'version',
      logger,
    });
    return { path: ffprobePath, ...parseVersionOutput(stdout) };
  });
}

/**
 * What a binary answered, kept as text: enough to rebuild its capabilities with the parsers below.
 * This is what the disk cache holds.
 */
interface RawAnswers {
  readonly version: string;
  readonly encoders: string;
  readonly filters: string;
  readonly muxers: string;
  readonly pixFmts: string;
  readonly fpsMode: boolean;
  readonly floatHaldclut: boolean;
}

async function askCapabilities(path: string, logger: Logger | undefined): Promise<FfmpegCapabilities> {
  const key = await binaryKey(path);
  const cacheFile = key === undefined ? undefined : diskCacheFile(key);
  let raw = cacheFile === undefined ? undefined : await readDiskCache(cacheFile);
  if (raw === undefined) {
    raw = await askBinary(path, logger);
    if (cacheFile !== undefined) await writeDiskCache(cacheFile, raw);
  } else {
    logger?.debug({ path, cacheFile }, 'ffmpeg capabilities from the cache');
  }
  return fromAnswers(path, raw);
}

async function askBinary(path: string, logger: Logger | undefined): Promise<RawAnswers> {
  const ask = async (what: string): Promise<string> =>
    (await runFfmpeg(path, ['-hide_banner', ...what.split(' ')], { label: `capabilities ${what}`, logger }))
      .stdout;
  const [version, encoders, filters, muxers, pixFmts, help] = await Promise.all([
    ask('-version'),
    ask('-encoders'),
    ask('-filters'),
    ask('-muxers'),
    ask('-pix_fmts'),
    ask('-h full'), // lists every option, so -fps_mode is found if this binary has it
  ]);
  const floatHaldclut = await runFfmpeg(
    path,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=size=8x8',
      '-f',
      'lavfi',
      '-i',
      'haldclutsrc=level=2',
      '-filter_complex',
      '[0:v]format=gbrpf32le[m];[m][1:v]haldclut=shortest=1',
      '-frames:v',
      '1',
      '-f',
      'null',
      '-',
    ],
    { label: 'capabilities float haldclut', logger },
  ).then(
    () => true,
    () => false,
  );
  return { version, encoders, filters, muxers, pixFmts, fpsMode: hasOption(help, 'fps_mode'), floatHaldclut };
}

function fromAnswers(path: string, raw: RawAnswers): FfmpegCapabilities {
  return {
    path,
    ...parseVersionOutput(raw.version),
    encoders: parseEncoders(raw.encoders),
    filters: parseFilters(raw.filters),
    muxers: parseMuxers(raw.muxers),
    pixFmts: parsePixFmts(raw.pixFmts),
    passthroughArgs: raw.fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'],
    floatHaldclut: raw.floatHaldclut,
  };
}

/** Bump when what is cached, or how it is asked, changes: older entries are then never read. */
const DISK_CACHE_VERSION = 1;

/**
 * Where answers are cached between runs: `VGRADE_CACHE_DIR`, else `$XDG_CACHE_HOME/vgrade`, else
 * `~/.cache/vgrade`. Asking a binary takes about 0.3 s (Debian's ffmpeg loads many libraries per
 * start, and seven starts are needed); a run that grades one short clip felt it.
 */
export function capabilitiesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VGRADE_CACHE_DIR) return env.VGRADE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || nodePath.join(os.homedir(), '.cache');
  return nodePath.join(base, 'vgrade');
}

/** The binary's identity: its real path, size and modification time (a replaced binary is a new key). */
async function binaryKey(path: string): Promise<string | undefined> {
  try {
    const real = await realpath(path);
    const info = await stat(real);
    return createHash('sha256')
      .update(JSON.stringify([DISK_CACHE_VERSION, real, info.size, info.mtimeMs, info.ino]))
      .digest('hex')
      .slice(0, 32);
  } catch {
    return undefined; // not a file we can stat (a name on PATH that vanished): ask, and let that fail
  }
}

function diskCacheFile(key: string): string {
  return nodePath.join(capabilitiesCacheDir(), `ffmpeg-${key}.json`);
}

async function readDiskCache(file: string): Promise<RawAnswers | undefined> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<RawAnswers>;
    const texts = [raw.version, raw.encoders, raw.filters, raw.muxers, raw.pixFmts];
    if (
      texts.every((t) => typeof t === 'string') &&
      typeof raw.fpsMode === 'boolean' &&
      typeof raw.floatHaldclut === 'boolean'
    )
      return raw as RawAnswers;
  } catch {
    // missing or unreadable: ask the binary
  }
  return undefined;
}

/**
 * `mkdir -p`, one level at a time. Node 20's `mkdir(dir, { recursive: true })` never settles for
 * some paths (one under /proc spun a CPU for as long as it was left); a plain mkdir answers
 * ENOENT or EACCES at once.
 */
async function makeFolders(dir: string, depth = 0): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = nodePath.dirname(dir);
    if (code !== 'ENOENT' || parent === dir || depth > 64) throw err;
    await makeFolders(parent, depth + 1);
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/** Writes under a temporary name and renames, so a reader never sees half a file. Failures are ignored. */
async function writeDiskCache(file: string, raw: RawAnswers): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await makeFolders(nodePath.dirname(file));
    await writeFile(tmp, JSON.stringify(raw));
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = make();
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

/** Parses `-version` output: the version string, the release it is or contains, the libraries. */
export function parseVersionOutput(text: string): Omit<BinaryVersion, 'path'> {
  const version = /^\S+ version (\S+)/m.exec(text)?.[1] ?? 'unknown';
  const libraries: Record<string, LibraryVersion> = {};
  for (const m of text.matchAll(/^(lib\w+)\s+(\d+)\.\s*(\d+)\.\s*(\d+)/gm)) {
    libraries[m[1]!] = { major: Number(m[2]), minor: Number(m[3]), micro: Number(m[4]) };
  }
  const release = /^n?(\d+)\.(\d+)/.exec(version);
  if (release !== null) {
    return {
      version,
      major: Number(release[1]),
      minor: Number(release[2]),
      versionGuessed: false,
      libraries,
    };
  }
  const guess = releaseFromAvutil(libraries.libavutil);
  return { version, major: guess[0], minor: guess[1], versionGuessed: true, libraries };
}

/** The newest release whose libavutil is not newer than `avutil`; 0.0 when unknown. */
export function releaseFromAvutil(avutil: LibraryVersion | undefined): [major: number, minor: number] {
  if (avutil === undefined) return [0, 0];
  let best: [number, number] = [0, 0];
  for (const [major, minor, avMajor, avMinor] of RELEASES) {
    if (avMajor < avutil.major || (avMajor === avutil.major && avMinor <= avutil.minor))
      best = [major, minor];
  }
  return best;
}

/** Rows after the `------` rule: ` V..... libx264   libx264 H.264 ...` */
export function parseEncoders(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of afterRule(text)) {
    const m = /^\s*[A-Z.]{6}\s+(\S+)/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Rows such as ` TS. haldclut          VV->V      Adjust colors using a Hald CLUT.` */
export function parseFilters(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*[A-Z.|]{2,3}\s+(\S+)\s+\S*->\S*\s/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Rows after the `--` rule: `  E matroska        Matroska`, `  E stream_segment,ssegment ...` */
export function parseMuxers(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of afterRule(text)) {
    const [flags, list] = line.trim().split(/\s+/);
    if (flags === undefined || list === undefined || !flags.includes('E')) continue;
    for (const name of list.split(',')) names.add(name);
  }
  return names;
}

/** Rows after the `-----` rule: `IO... yuv420p   3   12   8-8-8` (the depths column is 5.0+). */
export function parsePixFmts(text: string): Map<string, PixFmtSupport> {
  const formats = new Map<string, PixFmtSupport>();
  for (const line of afterRule(text)) {
    const m = /^([I.])([O.])[A-Z.]{3}\s+(\S+)\s+(\d+)\s+(\d+)/.exec(line);
    if (m) {
      formats.set(m[3]!, {
        input: m[1] === 'I',
        output: m[2] === 'O',
        components: Number(m[4]),
        bitsPerPixel: Number(m[5]),
      });
    }
  }
  return formats;
}

/** True when `-h full` output lists the option `-name`. */
export function hasOption(helpText: string, name: string): boolean {
  return new RegExp(`^-${name}\\s`, 'm').test(helpText);
}

/** The lines after the first line made only of dashes (the end of a listing's legend). */
function afterRule(text: string): string[] {
  const lines = text.split('\n');
  const rule = lines.findIndex((line) => /^\s*-{2,}\s*$/.test(line));
  return rule < 0 ? [] : lines.slice(rule + 1);
}
