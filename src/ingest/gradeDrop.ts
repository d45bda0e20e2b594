import {
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';
import { withExport, type PipelineSpec } from '../pipeline/load.js';
import { compilePipeline } from '../pipeline/compile.js';
import { displaySize, probeMedia } from '../ffmpeg/probe.js';
import { hdrTransfer } from '../color/hdr.js';
import { restrictedFileInput } from '../ffmpeg/input.js';
import { mezzanineOf } from '../ffmpeg/mezzanine.js';
import { fileOutput } from '../ffmpeg/output.js';
import { gradeOne, type GradeProgress } from '../run/grade.js';
import { isShotRecord, type RunRecord, type ShotRecord } from '../stages/records.js';
import { RuntimeFailure, UsageError } from '../util/errors.js';
import { CONTACT_SHEET_ROWS, writeContactSheet } from './contactSheet.js';
import { outputExtension, outputStem } from './names.js';
import type { DropJob, JobOutcome } from './jobs.js';

/** The folders and tools one ingest works with. */
export interface IngestContext {
  readonly watchDir: string;
  readonly outDir: string;
  readonly doneDir: string;
  readonly quarantineDir: string;
  readonly pipeline: PipelineSpec;
  readonly binaries: ResolvedBinaries;
  readonly caps: FfmpegCapabilities;
  readonly logger: Logger;
  /** Every master's extension (`.mxf`...), whatever the source's; absent: `outputExtension`. */
  readonly container?: string;
}

/** Scratch space of one job, inside the output folder so every final move is a rename. */
export function workDirFor(ctx: IngestContext, jobId: string): string {
  return path.join(ctx.outDir, '.vgrade-work', jobId);
}

/**
 * The dropped file's path, after checking that it is what the job says: a plain file (symbolic
 * links are never followed) whose real location is directly inside the watch folder.
 */
async function sourcePath(ctx: IngestContext, name: string): Promise<string> {
  if (name !== path.basename(name) || name === '.' || name === '..') {
    throw new UsageError('E_INPUT_MISSING', `${JSON.stringify(name)} is not a file name in the watch folder`);
  }
  const full = path.join(ctx.watchDir, name);
  const st = await lstat(full);
  if (!st.isFile()) {
    throw new RuntimeFailure('E_INPUT_NOT_MEDIA', `${name} is not a regular file (links are not followed)`);
  }
  if (path.dirname(await realpath(full)) !== (await realpath(ctx.watchDir))) {
    throw new UsageError('E_INPUT_MISSING', `${name} is not inside the watch folder`);
  }
  return full;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

async function reportJob(file: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { job?: string }).job;
  } catch {
    return undefined;
  }
}

/**
 * The stem of this job's files in the output folder: the sanitised source name, or, when another
 * source already wrote under it, that stem with the job's id. A rerun of the same job (after a
 * crash) finds its own report and writes over its own files: never a second copy.
 */
async function claimStem(ctx: IngestContext, job: DropJob, ext: string): Promise<string> {
  const plain = outputStem(job.name);
  for (const stem of [plain, `${plain}-${job.id.slice(0, 8)}`]) {
    const owner = await reportJob(path.join(ctx.outDir, `${stem}.report.json`));
    if (owner === job.id) return stem;
    if (owner === undefined && !(await exists(path.join(ctx.outDir, `${stem}${ext}`)))) return stem;
  }
  return `${plain}-${job.id}`;
}

/** Moves a file into `dir` under its name, or with the job id added when that name is taken. */
export async function moveInto(file: string, dir: string, jobId: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = path.basename(file);
  let target = path.join(dir, name);
  if (await exists(target)) {
    const ext = path.extname(name);
    target = path.join(dir, `${path.basename(name, ext)}.${jobId.slice(0, 8)}${ext}`);
  }
  try {
    await rename(file, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // Another file system: copy, then remove the original (still a move, never a loss).
    await copyFile(file, target);
    await unlink(file);
  }
  return target;
}

/**
 * Renames the export stage's files (named after the source, spaces and all) after the output's
 * sanitised stem, and returns their new names.
 */
async function namedLuts(dir: string, sourceName: string, stem: string): Promise<string[]> {
  const base = path.basename(sourceName, path.extname(sourceName));
  const files = await readdir(dir).catch(() => [] as string[]);
  const named: string[] = [];
  for (const file of files) {
    const name = file.startsWith(base) ? `${stem}${file.slice(base.length)}` : file;
    if (name !== file) await rename(path.join(dir, file), path.join(dir, name));
    named.push(name);
  }
  return named;
}

/** Replaces `target` (a file or folder) with `source` by rename. */
async function replace(source: string, target: string): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await rename(source, target);
}

/**
 * Grades one dropped file and delivers everything for it, atomically, to the output folder:
 * `STEM.EXT` (the graded master), `STEM.report.json` (the job, the media, the classifier's
 * findings per shot), `STEM.contact.png` (source above, graded below, labelled with each
 * picture's time) and `STEM.luts/` (each shot's .cube and ASC CDL). Everything is made in a
 * scratch folder first and renamed into place, the master last; then the source moves to the
 * done folder. Run again after a crash at any
 * point, the job writes the same names again: exactly one master per source.
 */
export async function gradeDrop(
  ctx: IngestContext,
  job: DropJob,
  signal: AbortSignal,
  onProgress: (progress: GradeProgress) => void = () => {},
): Promise<JobOutcome> {
  const logger = ctx.logger.child({ job: job.id, file: job.name });
  const source = path.join(ctx.watchDir, job.name);
  if (!(await exists(source))) {
    // A crash after the source was moved to done but before the job was marked: finished already.
    const stem = outputStem(job.name);
    for (const s of [stem, `${stem}-${job.id.slice(0, 8)}`]) {
      if ((await reportJob(path.join(ctx.outDir, `${s}.report.json`))) === job.id) {
        const report = JSON.parse(await readFile(path.join(ctx.outDir, `${s}.report.json`), 'utf8')) as {
          output: string;
          frames: number;
          seconds: number;
        };
        return {
          output: path.join(ctx.outDir, report.output),
          frames: report.frames,
          seconds: report.seconds,
        };
      }
    }
    throw new UsageError('E_INPUT_MISSING', `${job.name} is no longer in the watch folder`);
  }
  const input = restrictedFileInput(await sourcePath(ctx, job.name));
  const sourceMedia = await probeMedia(ctx.binaries.ffprobe, input.ffmpegInput, {
    inputOptions: input.inputOptions,
    logger,
  });
  const kept = mezzanineOf(sourceMedia.video, '.mxf', sourceMedia.bitRate);
  const ext =
    ctx.container ?? outputExtension(job.name, kept !== undefined && ctx.caps.encoders.has(kept.encoder));
  const work = workDirFor(ctx, job.id);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });

  const hasClassify = ctx.pipeline.stages.some((s) => s.name === 'classify');
  const makesCorrection = ctx.pipeline.stages.some((s) => s.name === 'merge');
  let spec = ctx.pipeline;
  // What the classifier found, from the run itself: a count of analysed frames and each shot's summary.
  const classified = { frames: 0, shots: [] as ShotRecord[] };
  const onRecord = ({ record }: RunRecord): void => {
    if (isShotRecord(record)) classified.shots.push(record);
    else classified.frames++;
  };
  if (makesCorrection) spec = withExport(spec, path.join(work, 'luts'));
  const graded = path.join(work, `graded${ext}`);
  const result = await gradeOne(
    compilePipeline(spec),
    input,
    fileOutput(graded),
    {
      logger,
      binaries: ctx.binaries,
      caps: ctx.caps,
      signal,
      onProgress,
      onRecord,
    },
    sourceMedia,
  );

  const media = await probeMedia(ctx.binaries.ffprobe, graded, { logger });
  const video = media.video!;
  const shown = displaySize(video);
  const aspect = shown.width / shown.height;
  const sheet = await writeContactSheet(ctx.binaries.ffmpeg, input, graded, path.join(work, 'contact.png'), {
    duration: media.duration ?? result.frames / (video.avgFrameRate ?? 25),
    displayAspect: aspect,
    frameRate: video.avgFrameRate,
    hdr: hdrTransfer(video.colorTransfer),
  });

  const stem = await claimStem(ctx, job, ext);
  if (stem !== outputStem(job.name)) {
    // Never written over: another source delivered under this name; this one gets its job's id.
    logger.warn(
      { taken: `${outputStem(job.name)}${ext}`, output: `${stem}${ext}` },
      'output name taken by another source; delivered under another name',
    );
  }
  const lutFiles = makesCorrection ? await namedLuts(path.join(work, 'luts'), job.name, stem) : [];
  const report = {
    job: job.id,
    attempt: job.attempt,
    source: { name: job.name, size: job.size, modified: new Date(job.mtimeMs).toISOString() },
    output: `${stem}${ext}`,
    pipeline: { file: path.basename(ctx.pipeline.file), description: ctx.pipeline.description ?? null },
    frames: result.frames,
    seconds: Number(result.seconds.toFixed(3)),
    video: {
      width: video.width,
      height: video.height,
      duration: media.duration ?? null,
      codec: video.codec,
      // What a broadcast ingest checks was carried over: the source's start timecode and captions.
      timecode: sourceMedia.timecode ?? null,
      closedCaptions: sourceMedia.video?.closedCaptions === true,
    },
    contactSheet: {
      file: `${stem}.contact.png`,
      rows: CONTACT_SHEET_ROWS,
      times: sheet.times.map((t) => Number(t.toFixed(3))),
    },
    classifier: hasClassify
      ? { framesAnalysed: classified.frames, shots: classified.shots.map(({ input: _, ...shot }) => shot) }
      : null,
    exports: lutFiles.sort().map((f) => `${stem}.luts/${f}`),
    gradedAt: new Date().toISOString(),
  };
  await writeFile(path.join(work, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

  const final = (suffix: string): string => path.join(ctx.outDir, `${stem}${suffix}`);
  if (lutFiles.length) await replace(path.join(work, 'luts'), final('.luts'));
  await replace(path.join(work, 'contact.png'), final('.contact.png'));
  await replace(path.join(work, 'report.json'), final('.report.json'));
  await rename(graded, final(ext));
  const moved = await moveInto(source, ctx.doneDir, job.id);
  await rm(work, { recursive: true, force: true });
  logger.info(
    { output: final(ext), frames: result.frames, seconds: result.seconds, source: moved },
    'job done',
  );
  return { output: final(ext), frames: result.frames, seconds: result.seconds };
}

/**
 * Takes a file that keeps failing out of the watch folder: it moves to the quarantine folder,
 * with `NAME.reason.json` beside it saying why. Never deleted.
 */
export async function quarantine(
  ctx: IngestContext,
  job: DropJob,
  reason: string,
): Promise<string | undefined> {
  await rm(workDirFor(ctx, job.id), { recursive: true, force: true });
  const source = path.join(ctx.watchDir, job.name);
  const moved = (await exists(source)) ? await moveInto(source, ctx.quarantineDir, job.id) : undefined;
  const note = {
    job: job.id,
    source: job.name,
    attempts: job.attempt,
    reason,
    quarantinedAt: new Date().toISOString(),
  };
  await mkdir(ctx.quarantineDir, { recursive: true });
  await writeFile(
    path.join(ctx.quarantineDir, `${path.basename(moved ?? job.name)}.reason.json`),
    `${JSON.stringify(note, null, 2)}\n`,
  );
  ctx.logger.warn({ job: job.id, file: job.name, reason, movedTo: moved }, 'quarantined');
  return moved;
}
