/**
 * Finds the ffmpeg and ffprobe executables.
 *
 * ffmpeg is looked for in this order; the first hit wins:
 *
 * 1. `VGRADE_FFMPEG` (and `VGRADE_FFPROBE`): the user said exactly which binary to use, so a
 *    wrong path is an error, never a reason to fall back silently.
 * 2. `ffmpeg-static`, an optional dependency (its install downloads a binary, so it is often
 *    absent).
 * 3. An executable file named `ffmpeg` on `PATH`: what the user or their distribution installed,
 *    kept up to date by it, and usually far newer than the bundled binary (Debian 12's 5.1 applies
 *    the encoder's per-frame LUT with SIMD in planar float and has `-fps_mode`; the bundled 4.1 does
 *    neither, which costs a third of the default pipeline's speed at 720p: docs/benchmarks.md).
 * 4. `@ffmpeg-installer/ffmpeg`, a regular dependency whose binary ships inside the npm package, so
 *    that vgrade works on a machine with no ffmpeg at all.
 *
 * ffprobe comes from `VGRADE_FFPROBE` when that is set; otherwise from beside ffmpeg (when ffmpeg
 * came from `VGRADE_FFMPEG` or `PATH`), then `@ffprobe-installer/ffprobe`, then `PATH`.
 *
 * Results are cached per distinct environment (the two variables and `PATH`).
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../util/errors.js';

/** Where the ffmpeg binary was found. */
export type BinarySource = 'env' | 'ffmpeg-static' | '@ffmpeg-installer' | 'PATH';

/** Where the ffprobe binary was found. */
export type ProbeSource = 'env' | 'beside-ffmpeg' | '@ffprobe-installer' | 'PATH';

/** The executables vgrade runs. */
export interface ResolvedBinaries {
  /** Absolute or env-given path of ffmpeg. */
  ffmpeg: string;
  /** Absolute or env-given path of ffprobe. */
  ffprobe: string;
  /** Where ffmpeg was found. */
  source: BinarySource;
  /** Where ffprobe was found. */
  probeSource: ProbeSource;
}

/** The environment variables read here. */
export const FFMPEG_ENV = 'VGRADE_FFMPEG';
export const FFPROBE_ENV = 'VGRADE_FFPROBE';

const EXE_SUFFIX = process.platform === 'win32' ? '.exe' : '';

const HOW_TO_FIX =
  `Install ffmpeg (e.g. "apt install ffmpeg" or "brew install ffmpeg"), ` +
  `or reinstall vgrade's dependencies so that @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe are present, ` +
  `or set ${FFMPEG_ENV} and ${FFPROBE_ENV} to the full paths of the ffmpeg and ffprobe executables.`;

const cache = new Map<string, Promise<ResolvedBinaries>>();

/**
 * Resolves the ffmpeg and ffprobe executables (see the module comment for the order).
 *
 * @param env - the environment to read `VGRADE_FFMPEG`, `VGRADE_FFPROBE` and `PATH` from.
 * @throws UsageError `E_FFMPEG_MISSING` when a variable names a file that is not an executable,
 *   or when no ffmpeg or no ffprobe can be found at all.
 */
export function resolveBinaries(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedBinaries> {
  const key = [env[FFMPEG_ENV] ?? '', env[FFPROBE_ENV] ?? '', env.PATH ?? ''].join('\0');
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = resolveUncached(env);
    // A failed lookup is not cached: the user may fix the environment and try again.
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

async function resolveUncached(env: NodeJS.ProcessEnv): Promise<ResolvedBinaries> {
  const ffmpeg = await findFfmpeg(env);
  const probe = await findFfprobe(env, ffmpeg);
  return { ffmpeg: ffmpeg.path, ffprobe: probe.path, source: ffmpeg.source, probeSource: probe.source };
}

async function findFfmpeg(env: NodeJS.ProcessEnv): Promise<{ path: string; source: BinarySource }> {
  const fromEnv = env[FFMPEG_ENV];
  if (fromEnv) return { path: await requireExecutable(FFMPEG_ENV, fromEnv), source: 'env' };

  const fromStatic = await ffmpegStaticPath();
  if (fromStatic !== undefined) return { path: fromStatic, source: 'ffmpeg-static' };

  const fromPath = await findOnPath('ffmpeg', env);
  if (fromPath !== undefined) return { path: fromPath, source: 'PATH' };

  const fromInstaller = await installerPath('@ffmpeg-installer/ffmpeg');
  if (fromInstaller !== undefined) return { path: fromInstaller, source: '@ffmpeg-installer' };

  throw new UsageError('E_FFMPEG_MISSING', `ffmpeg not found. ${HOW_TO_FIX}`);
}

async function findFfprobe(
  env: NodeJS.ProcessEnv,
  ffmpeg: { path: string; source: BinarySource },
): Promise<{ path: string; source: ProbeSource }> {
  const fromEnv = env[FFPROBE_ENV];
  if (fromEnv) return { path: await requireExecutable(FFPROBE_ENV, fromEnv), source: 'env' };

  if (ffmpeg.source === 'env' || ffmpeg.source === 'PATH') {
    const beside = path.join(path.dirname(ffmpeg.path), `ffprobe${EXE_SUFFIX}`);
    if (await isExecutableFile(beside)) return { path: beside, source: 'beside-ffmpeg' };
  }

  const fromInstaller = await installerPath('@ffprobe-installer/ffprobe');
  if (fromInstaller !== undefined) return { path: fromInstaller, source: '@ffprobe-installer' };

  const fromPath = await findOnPath('ffprobe', env);
  if (fromPath !== undefined) return { path: fromPath, source: 'PATH' };

  throw new UsageError('E_FFMPEG_MISSING', `ffprobe not found (ffmpeg is ${ffmpeg.path}). ${HOW_TO_FIX}`);
}

async function requireExecutable(variable: string, file: string): Promise<string> {
  const problem = await executableProblem(file);
  if (problem === undefined) return file;
  throw new UsageError(
    'E_FFMPEG_MISSING',
    `${variable} is set to ${JSON.stringify(file)}, which ${problem}. ` +
      `Point ${variable} at an executable file, or unset it to use the bundled binary.`,
  );
}

/** Why `file` cannot be executed ("does not exist", ...), or `undefined` when it can. */
async function executableProblem(file: string): Promise<string | undefined> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return 'does not exist';
  }
  if (!info.isFile()) return 'is not a regular file';
  try {
    await access(file, fsConstants.X_OK);
  } catch {
    return 'is not executable';
  }
  return undefined;
}

/**
 * The path `ffmpeg-static` exports, when that optional package is installed and its download
 * completed (its default export is `null` on platforms it has no binary for).
 */
async function ffmpegStaticPath(): Promise<string | undefined> {
  // A variable specifier keeps TypeScript from requiring the package's types at build time.
  const specifier = 'ffmpeg-static';
  try {
    const mod = (await import(specifier)) as { default?: unknown };
    const file = mod.default;
    if (typeof file === 'string' && (await isExecutableFile(file))) return file;
  } catch {
    // Not installed: fall through to the next source.
  }
  return undefined;
}

/**
 * The `path` exported by `@ffmpeg-installer/ffmpeg` or `@ffprobe-installer/ffprobe`. Both throw
 * when loaded on a platform they have no binary for, hence the dynamic import.
 */
async function installerPath(
  specifier: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe',
): Promise<string | undefined> {
  try {
    const mod = (await import(specifier)) as { default?: { path?: unknown } };
    const file = mod.default?.path;
    if (typeof file === 'string' && (await isExecutableFile(file))) return file;
  } catch {
    // Not installed or unsupported platform: fall through.
  }
  return undefined;
}

/**
 * Searches the directories of `env.PATH`, in order, for an executable regular file called `name`
 * (plus `.exe` on Windows). Returns its absolute path, or `undefined`.
 */
export async function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  for (const dir of dirs) {
    const candidate = path.resolve(dir, name + EXE_SUFFIX);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** True when `file` is a regular file (after following links) that this process may execute. */
export async function isExecutableFile(file: string): Promise<boolean> {
  return (await executableProblem(file)) === undefined;
}
