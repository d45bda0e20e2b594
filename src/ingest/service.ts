import { mkdir, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FolderScanner } from './scanner.js';
import { gradeDrop, quarantine, type IngestContext } from './gradeDrop.js';
import type { IngestQueue } from './jobs.js';
import type { IngestMetrics } from './metrics.js';
import { UsageError } from '../util/errors.js';

export interface IngestLoopOptions {
  /** How often the watch folder is listed. */
  readonly pollMs: number;
  /** How long a file must stay unchanged (and unopened for writing) before it is taken. */
  readonly settleMs: number;
  readonly checkWriters: boolean;
  readonly concurrency: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  /** Whether this process lists the folder; a farm may run workers that only grade. */
  readonly scan: boolean;
  /** Stop once the folder has nothing waiting and the queue has nothing queued or running. */
  readonly once: boolean;
}

/** Checks the folders before anything starts: the watch folder must exist; the others are made. */
export async function prepareFolders(ctx: IngestContext): Promise<void> {
  const st = await stat(ctx.watchDir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new UsageError(
      'E_INPUT_MISSING',
      `The watch folder ${ctx.watchDir} does not exist or is not a folder`,
    );
  }
  for (const dir of [ctx.outDir, ctx.doneDir, ctx.quarantineDir]) await mkdir(dir, { recursive: true });
}

/**
 * The ingest loop: lists the watch folder every `pollMs`, adds each complete file to the queue,
 * and grades jobs from the queue, `concurrency` at a time, until `signal` aborts (or, with
 * `once`, until there is nothing left). On abort the jobs in hand are stopped and go back to
 * the queue untouched by a failure count; their partial files are removed.
 */
export async function runIngest(
  ctx: IngestContext,
  queue: IngestQueue,
  metrics: IngestMetrics,
  opts: IngestLoopOptions,
  signal: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const scanner = new FolderScanner(ctx.watchDir, {
    settleMs: opts.settleMs,
    checkWriters: opts.checkWriters,
  });
  const working = queue.work(
    {
      concurrency: opts.concurrency,
      retries: opts.retries,
      retryDelayMs: opts.retryDelayMs,
      handle: async (job, jobSignal, progress) => {
        ctx.logger.info({ job: job.id, file: job.name, attempt: job.attempt }, 'job started');
        let counted = 0;
        const outcome = await gradeDrop(ctx, job, jobSignal, (p) => {
          metrics.frames(p.frames - counted);
          counted = p.frames;
          const fps = p.elapsedSeconds > 0 ? p.frames / p.elapsedSeconds : 0;
          progress({ frames: p.frames, total: p.total ?? null, fps, at: Date.now() });
        });
        metrics.jobDone(outcome.seconds);
        return outcome;
      },
      giveUp: async (job, reason) => {
        await quarantine(ctx, job, reason);
      },
      failed: (job, reason, final) => {
        metrics.failed(final);
        if (!final)
          ctx.logger.warn(
            { job: job.id, file: job.name, attempt: job.attempt, reason },
            'failed; will retry',
          );
      },
      trouble: (job, err) => {
        ctx.logger.error({ err, job: job.id, file: job.name }, 'could not record the outcome of a job');
      },
    },
    stop.signal,
  );
  try {
    let scanned = false;
    while (!stop.signal.aborted) {
      if (opts.scan) {
        try {
          for (const file of await scanner.scan()) {
            if (await queue.add(file)) ctx.logger.info({ file: file.name, size: file.size }, 'queued');
          }
          metrics.lastScanAt = Date.now();
          scanned = true;
        } catch (err) {
          ctx.logger.error(
            { err, watch: ctx.watchDir },
            'scan failed: cannot list the watch folder or reach the queue',
          );
        }
      }
      if (opts.once && (scanned || !opts.scan) && scanner.pending === 0) {
        const c = await queue.counts();
        if (c.queued === 0 && c.running === 0) break;
      }
      await sleep(opts.pollMs, undefined, { signal: stop.signal }).catch(() => {});
    }
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
    await working;
  }
}
