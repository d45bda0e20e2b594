import { existsSync } from 'node:fs';
import path from 'node:path';
import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import { applyOverrides, backendOverrides, loadPipeline } from '../../pipeline/load.js';
import { compilePipeline } from '../../pipeline/compile.js';
import { resolvePipelinePath } from '../../util/packageRoot.js';
import { UsageError } from '../../util/errors.js';
import { etaSeconds, type IngestQueue, type JobProgress, type JobRecord } from '../../ingest/jobs.js';
import { formatDuration } from '../progress.js';
import { defineCommand, logging } from '../command.js';
import { MASTER_CONTAINERS } from '../../ingest/names.js';
import { BACKEND_OPTION, SET_OPTION, STRENGTH_OPTION, strengthSets } from '../options.js';
import { absoluteReference, checkReference, parseReference } from '../../ffmpeg/reference.js';

export interface QueueChoice {
  /** Output folder: where the embedded queue lives unless `db` says elsewhere. */
  out: string | undefined;
  db: string | undefined;
  queue: string | undefined;
  queueName: string;
  retries: number;
  retryDelaySeconds: number;
  /** BullMQ: how long a worker's hold on a job lasts unrenewed (a killed worker's job returns after it). */
  lockSeconds?: number;
}

export interface IngestCommand extends QueueChoice {
  watch: string;
  out: string;
  done: string | undefined;
  quarantine: string | undefined;
  /** The shipped grade, or `match` with a reference, when absent. */
  pipeline: string | undefined;
  /** A house look: every file is matched to it (a pipeline with a match stage). */
  reference: string | undefined;
  /** Every master in this container (`mxf`, `mov`...); the source's own, where kept, when absent. */
  container: string | undefined;
  sets: string[];
  /** TensorFlow.js backend of the pipeline's networks; the pipeline's own when absent. */
  backend: string | undefined;
  concurrency: number;
  settleSeconds: number;
  pollSeconds: number;
  checkWriters: boolean;
  scan: boolean;
  once: boolean;
  metrics: boolean;
  metricsHost: string;
  metricsPort: number;
  logLevel: string;
  logFormat: LogFormat;
  quiet: boolean;
}

/**
 * The embedded SQLite queue (default: OUT/.vgrade/ingest.db) or BullMQ on Redis (`--queue`), once
 * it answers. Only the ingest itself (`create`) makes the SQLite file; `status` reads one that exists.
 */
async function openQueue(choice: QueueChoice, { create }: { create: boolean }): Promise<IngestQueue> {
  if (choice.queue) {
    const { BullQueue } = await import('../../ingest/bullQueue.js');
    const queue = new BullQueue(choice.queue, choice.queueName, {
      retries: choice.retries,
      retryDelayMs: choice.retryDelaySeconds * 1000,
      lockMs: (choice.lockSeconds ?? 30) * 1000,
    });
    await queue.connect();
    return queue;
  }
  const file = choice.db ?? (choice.out ? path.join(choice.out, '.vgrade', 'ingest.db') : undefined);
  if (!file) throw new UsageError('E_USAGE', 'Name the ingest with --out DIR (or --db FILE, or --queue URL)');
  if (create) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.dirname(file), { recursive: true });
  } else if (!existsSync(file)) {
    throw new UsageError(
      'E_USAGE',
      choice.db
        ? `No ingest queue at --db ${file}: the file does not exist`
        : `No ingest queue in ${choice.out}: it has no .vgrade/ingest.db (vgrade ingest --out ${choice.out} starts one)`,
    );
  }
  const { SqliteQueue } = await import('../../ingest/sqliteQueue.js');
  return new SqliteQueue(file);
}

/**
 * `vgrade ingest --watch DIR --out DIR`: grades every file dropped into DIR, unattended, until
 * stopped (or, with `--once`, until nothing is left). See src/ingest/ for what happens to a file.
 */
export async function runIngestCommand(cmd: IngestCommand): Promise<number> {
  const logger = commandLogger(cmd);
  if (!Number.isInteger(cmd.concurrency) || cmd.concurrency < 1) {
    throw new UsageError(
      'E_USAGE',
      `--concurrency must be a whole number of at least 1, not ${cmd.concurrency}`,
    );
  }
  const watchDir = path.resolve(cmd.watch);
  const reference = cmd.reference === undefined ? undefined : absoluteReference(cmd.reference);
  const pipelineName = cmd.pipeline ?? (reference === undefined ? 'grade' : 'match');
  const loaded = await loadPipeline(resolvePipelinePath(pipelineName));
  if (reference !== undefined && !loaded.stages.some((s) => s.name === 'match')) {
    throw new UsageError(
      'E_USAGE',
      `--reference needs a pipeline with a match stage, and ${pipelineName} has none (leave out --pipeline, or add match to it)`,
    );
  }
  const referenceSets = reference === undefined ? [] : [`match.reference=${JSON.stringify(reference)}`];
  const pipeline = applyOverrides(loaded, [
    ...backendOverrides(loaded, cmd.backend),
    ...referenceSets,
    ...cmd.sets,
  ]);
  compilePipeline(pipeline); // a bad pipeline is refused now, not at the first file
  if (!pipeline.stages.some((s) => s.name === 'encode')) {
    throw new UsageError(
      'E_PIPELINE_STAGE',
      `${pipelineName} writes no video; ingest needs a pipeline that ends in encode`,
    );
  }
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  if (reference !== undefined) {
    // Refused now, not at the first file; and not from the watch folder, where it would be graded.
    await checkReference(reference, binaries, logger);
    if (path.dirname(parseReference(reference).file) === watchDir) {
      throw new UsageError(
        'E_USAGE',
        `The reference ${cmd.reference} lies in the watch folder ${watchDir}, where it would be graded as a drop: keep it elsewhere`,
      );
    }
  }
  const ctx = {
    watchDir,
    outDir: path.resolve(cmd.out),
    doneDir: path.resolve(cmd.done ?? path.join(watchDir, 'done')),
    quarantineDir: path.resolve(cmd.quarantine ?? path.join(watchDir, 'quarantine')),
    pipeline,
    binaries,
    caps,
    logger,
    ...(cmd.container !== undefined && { container: `.${cmd.container}` }),
  };
  // Loaded here, not with the command's module: prom-client and the service's machinery are
  // for the ingest alone.
  const [{ prepareFolders, runIngest }, { IngestMetrics, serveMetrics }] = await Promise.all([
    import('../../ingest/service.js'),
    import('../../ingest/metrics.js'),
  ]);
  await prepareFolders(ctx);
  const queue = await openQueue(cmd, { create: true });
  const metrics = new IngestMetrics(queue);
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    logger.info('stopping: jobs in hand go back to the queue');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let server: Awaited<ReturnType<typeof serveMetrics>>['server'] | undefined;
  let metricsUrl: string | undefined;
  try {
    if (cmd.metrics) {
      const served = await serveMetrics({ watchDir, queue, metrics }, cmd.metricsHost, cmd.metricsPort).catch(
        (err: NodeJS.ErrnoException) => {
          throw new UsageError(
            'E_USAGE',
            `Cannot serve metrics on ${cmd.metricsHost}:${cmd.metricsPort}: ${err.code ?? err.message}` +
              ' (choose another --metrics-port, 0 for any free port, or --no-metrics)',
          );
        },
      );
      server = served.server;
      metricsUrl = `${served.url}/metrics`;
    }
    logger.debug(
      {
        watch: watchDir,
        out: ctx.outDir,
        queue: queue.address,
        metrics: metricsUrl ?? null,
        pipeline: path.basename(pipeline.file),
      },
      'watching',
    );
    if (!cmd.quiet && !['error', 'fatal', 'silent'].includes(cmd.logLevel)) {
      process.stderr.write(
        `${startLine({ scan: cmd.scan, watch: watchDir, out: ctx.outDir, queue: queue.address, metrics: metricsUrl })}\n`,
      );
    }
    await runIngest(
      ctx,
      queue,
      metrics,
      {
        pollMs: cmd.pollSeconds * 1000,
        settleMs: cmd.settleSeconds * 1000,
        checkWriters: cmd.checkWriters,
        concurrency: cmd.concurrency,
        retries: cmd.retries,
        retryDelayMs: cmd.retryDelaySeconds * 1000,
        scan: cmd.scan,
        once: cmd.once,
      },
      abort.signal,
    );
    if (cmd.once) process.stdout.write(`${JSON.stringify(await queue.counts())}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    server?.close();
    await queue.close();
  }
  // A stop asked for by a signal is the service's normal end: status 0, as service managers expect.
  return 0;
}

/**
 * What an ingest says when it starts (unless quiet): what it watches, where it writes, its queue
 * and its metrics, on one line.
 */
export function startLine(at: {
  scan: boolean;
  watch: string;
  out: string;
  queue: string;
  metrics: string | undefined;
}): string {
  const what = at.scan ? 'watching' : 'grading files of';
  const scan = at.scan ? '' : 'not scanning, ';
  return `vgrade ingest: ${what} ${at.watch} -> ${at.out} (${scan}queue ${at.queue}, metrics ${at.metrics ?? 'off'})`;
}

/** `14:03:12`: a time of day on this machine's clock. */
function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** The detail of a running job: `120/200 frames, 45.2 fps, ETA 0:02`. */
function describeProgress(p: JobProgress, now: number): string {
  const eta = etaSeconds(p);
  const age = (now - p.at) / 1000;
  return [
    `${p.total !== null ? `${p.frames}/${p.total}` : p.frames} frames`,
    `${p.fps.toFixed(1)} fps`,
    ...(eta !== undefined ? [`ETA ${formatDuration(eta)}`] : []),
    // Progress is recorded about once a second: an old record means a busy or stuck worker.
    ...(age >= 10 ? [`as of ${formatDuration(age)} ago`] : []),
  ].join(', ');
}

/** One row of `vgrade ingest status`: state, tries, file, and what the state says about it. */
export function describeJob(job: JobRecord, now = Date.now()): string {
  const retrying = job.state === 'queued' && job.attempts > 0;
  const state = retrying ? 'retrying' : job.state;
  let detail: string;
  if (job.state === 'done') {
    detail = `-> ${job.output ?? ''}${job.frames !== null ? ` (${job.frames} frames)` : ''}`;
  } else if (job.state === 'running') {
    detail = job.progress ? describeProgress(job.progress, now) : 'starting';
  } else if (retrying) {
    const wait = job.notBefore - now;
    const next = wait > 0 ? `${clock(job.notBefore)} (in ${formatDuration(wait / 1000)})` : 'now';
    detail = `next try ${next}${job.lastError ? `; ${job.lastError}` : ''}`;
  } else {
    detail = job.lastError ?? '';
  }
  return `${state.padEnd(12)} ${String(job.attempts).padStart(2)}  ${job.name}  ${detail}`.trimEnd();
}

/** `vgrade ingest status`: every job and its state, as a table or as JSON Lines. */
export async function runIngestStatus(choice: QueueChoice & { json: boolean }): Promise<number> {
  const queue = await openQueue(choice, { create: false });
  try {
    const jobs = await queue.list();
    if (choice.json) {
      for (const job of jobs) process.stdout.write(`${JSON.stringify(job)}\n`);
    } else {
      const c = await queue.counts();
      process.stdout.write(
        `${c.queued} queued (${c.retrying} retrying), ${c.running} running, ${c.done} done, ${c.quarantined} quarantined\n`,
      );
      if (jobs.length) process.stdout.write(`${'state'.padEnd(12)} tries  file\n`);
      for (const job of jobs) process.stdout.write(`${describeJob(job)}\n`);
    }
  } finally {
    await queue.close();
  }
  return 0;
}

export const ingestCommand = defineCommand({
  command: 'ingest [action]',
  describe:
    'Grade every file dropped into a watch folder, unattended: masters, reports, LUTs; `ingest status` lists jobs',
  builder: (y) =>
    y
      .positional('action', {
        type: 'string',
        choices: ['run', 'status'],
        default: 'run',
        describe: 'run: watch and grade; status: list the jobs and their states',
      })
      .options({
        watch: { type: 'string', describe: 'The folder files are dropped into (its top level)' },
        out: { type: 'string', describe: 'Where graded masters, reports and LUTs are written' },
        pipeline: {
          alias: 'p',
          type: 'string',
          describe: 'Pipeline file or shipped name (default grade; match with --reference)',
        },
        reference: {
          alias: 'r',
          type: 'string',
          describe:
            'A house look every file is matched to: a still, FILE@TIME, a video or a folder of stills (see vgrade match)',
        },
        set: SET_OPTION,
        done: { type: 'string', describe: 'Where sources go once graded (default WATCH/done)' },
        quarantine: {
          type: 'string',
          describe: 'Where files that keep failing go, with NAME.reason.json (default WATCH/quarantine)',
        },
        queue: {
          type: 'string',
          describe:
            'redis://HOST:PORT: a BullMQ queue shared by a farm of workers (default: SQLite in OUT/.vgrade)',
        },
        'queue-name': { type: 'string', default: 'vgrade-ingest', describe: 'BullMQ queue name' },
        lock: {
          type: 'number',
          default: 30,
          describe:
            "BullMQ: seconds a worker's hold on a job lasts unrenewed; a dead worker's job returns after it",
        },
        db: { type: 'string', describe: 'SQLite file of the embedded queue (default OUT/.vgrade/ingest.db)' },
        concurrency: { type: 'number', default: 1, describe: 'Files graded at once by this process' },
        retries: {
          type: 'number',
          default: 3,
          describe:
            'Retries before quarantine of a file whose failure may pass (ffmpeg died, disk full); a damaged file goes at once',
        },
        'retry-delay': {
          type: 'number',
          default: 30,
          describe: 'Seconds before the first retry; doubles with each further one',
        },
        settle: {
          type: 'number',
          default: 5,
          describe: 'Seconds a file must stay unchanged (and closed by its writer) before it is taken',
        },
        poll: { type: 'number', default: 1, describe: 'Seconds between listings of the watch folder' },
        'check-writers': {
          type: 'boolean',
          default: true,
          describe: 'Also wait while a local process holds the file open for writing (Linux /proc)',
        },
        scan: {
          type: 'boolean',
          default: true,
          describe: 'List the watch folder (--no-scan: a farm worker that only grades)',
        },
        once: {
          type: 'boolean',
          default: false,
          describe: 'Exit when nothing is left to grade, printing the job counts',
        },
        metrics: { type: 'boolean', default: true, describe: 'Serve /metrics and /healthz' },
        'metrics-host': {
          type: 'string',
          default: '127.0.0.1',
          describe: 'Address for /metrics and /healthz',
        },
        'metrics-port': {
          type: 'number',
          default: 9464,
          describe: 'Port for /metrics and /healthz (0: any free)',
        },
        container: {
          type: 'string',
          choices: MASTER_CONTAINERS,
          describe:
            "Every master in this container, e.g. mxf with --set encode.codec=mpeg2video for XDCAM HD422 (default: the source's where kept, else mkv)",
        },
        backend: BACKEND_OPTION,
        strength: STRENGTH_OPTION,
        json: { type: 'boolean', default: false, describe: 'status: print JSON Lines' },
      }),
  handler: async (args) => {
    const queue = {
      out: args.out,
      db: args.db,
      queue: args.queue,
      queueName: args['queue-name'],
      retries: args.retries,
      retryDelaySeconds: args['retry-delay'],
      lockSeconds: args.lock,
    };
    if (args.action === 'status') return runIngestStatus({ ...queue, json: args.json });
    if (!args.watch || !args.out)
      throw new UsageError('E_USAGE', 'vgrade ingest needs --watch DIR and --out DIR');
    return runIngestCommand({
      ...queue,
      watch: args.watch,
      out: args.out,
      done: args.done,
      quarantine: args.quarantine,
      pipeline: args.pipeline,
      reference: args.reference,
      container: args.container,
      sets: [...args.set, ...strengthSets(args.strength)],
      backend: args.backend,
      concurrency: args.concurrency,
      settleSeconds: args.settle,
      pollSeconds: args.poll,
      checkWriters: args['check-writers'],
      scan: args.scan,
      once: args.once,
      metrics: args.metrics,
      metricsHost: args['metrics-host'],
      metricsPort: args['metrics-port'],
      ...logging(args),
    });
  },
});
