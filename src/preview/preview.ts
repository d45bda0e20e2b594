import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';
import {
  compilePipeline,
  decoderGeometry,
  warmPipeline,
  type CompiledPipeline,
} from '../pipeline/compile.js';
import { applyOverrides, backendOverrides, loadPipeline } from '../pipeline/load.js';
import { packageRoot, resolvePipelinePath } from '../util/packageRoot.js';
import { UsageError } from '../util/errors.js';
import { parseLiveInput } from './liveInput.js';
import { SourceClient } from './sourceClient.js';
import { checkLivePipeline, LiveGrader, type GradedPicture } from './grader.js';
import { JpegEncoder } from './jpegEncoder.js';
import { HttpError, PreviewServer, type Download, type DownloadKind, type HeaderFields } from './server.js';
import { loadReference } from '../ffmpeg/reference.js';
import { STILL_IMAGE_EXTENSIONS } from '../ffmpeg/stillImage.js';
import { Recorder } from './recorder.js';
import { KeepUp, type KeepUpFigures } from './keepUp.js';
import type { LiveFrame } from './liveSource.js';
import { downscaleRgb24 } from '../image/downscale.js';
import { IDENTITY_TRIMS, TRIMS_ONLY_SIZE, trimsCdl, updateTrims, type Trims } from './trims.js';
import { computeScope, sampleForScopes, type Scope, type ScopeKind, type ScopeSample } from './scopes.js';
import { encodePng } from '../image/png.js';
import { ccFile, cubeFile, IDENTITY_CDL, type Cdl } from '../correction/interchange.js';
import { identityLut, type Lut3d } from '../correction/lut3d.js';
import { startWorker } from '../util/workerThread.js';
import type { CdlWorkerData } from './cdlWorker.js';

export interface PreviewOptions {
  readonly input: string;
  readonly host: string;
  readonly port: number;
  /** Required (generated when absent) for an address other than loopback. */
  readonly token?: string | undefined;
  readonly width: number;
  readonly height: number;
  /** ffmpeg's MJPEG quality scale: 2 (best) to 31. */
  readonly quality: number;
  /** The switchable pipelines by name; `off` (no grading) is always offered. */
  readonly pipelines: Readonly<Record<string, string>>;
  readonly initial: string;
  /**
   * A reference to match to (`--reference`, already checked): offered as pipeline `match`
   * ({@link compileMatch}), which the page also makes from a frame or a picture sent.
   */
  readonly reference?: string | undefined;
  /** TensorFlow.js backend of the pipelines' networks; their own when absent. */
  readonly backend?: string | undefined;
  readonly record?: string | undefined;
  /** The whole correction scaled towards the identity: 0 untouched, 1 as graded (default), to 1.5. */
  readonly strength?: number | undefined;
  readonly stallMs?: number;
  readonly logger: Logger;
  readonly binaries: ResolvedBinaries;
  readonly caps: FfmpegCapabilities;
}

export interface PreviewStats {
  readonly pipeline: string;
  /** The pipeline is still starting: pictures are shown ungraded meanwhile. */
  readonly warming: boolean;
  readonly fps: number;
  readonly pictures: number;
  /** Frames the source thread, the grader, the page encoder and slow viewers skipped, in total. */
  readonly dropped: number;
  /** The same, by where they were skipped. */
  readonly drops: { source: number; grader: number; encoder: number; viewers: number };
  /** Whether the machine keeps up with the source, over the last 2 s. */
  readonly keepUp: KeepUpFigures;
  readonly viewers: number;
  readonly source: string;
  /** The latest latency report from a viewer: a frame's entry into ffmpeg to its display (ms). */
  readonly latency: { p50: number; p95: number; samples: number } | undefined;
}

export interface Preview {
  readonly url: string;
  stats(): PreviewStats;
  stop(): Promise<void>;
}

/** `fitCdl` in a thread of its own ({@link ./cdlWorker.ts}); the look is copied at once. */
function fitCdlInThread(look: Lut3d): Promise<Cdl> {
  const worker = startWorker(import.meta.url, 'cdlWorker', {
    workerData: { size: look.size, data: look.data.slice() } satisfies CdlWorkerData,
  });
  return new Promise<Cdl>((resolve, reject) => {
    worker.once('message', (cdl: Cdl) => {
      resolve(cdl);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the CDL fit stopped before it answered (exit ${code})`)));
  });
}

/** The preview's match pipeline (pipelines/preview-match.yaml) matching to `reference`. */
export async function compileMatch(
  reference: string,
  backend: string | undefined,
): Promise<CompiledPipeline> {
  const spec = await loadPipeline(path.join(packageRoot(), 'pipelines', 'preview-match.yaml'));
  return compilePipeline(
    applyOverrides(spec, [
      `match.reference=${JSON.stringify(reference)}`,
      ...backendOverrides(spec, backend),
    ]),
  );
}

/** `off`: the live pipeline that grades nothing (pipelines/preview-off.yaml). */
async function compileOff(): Promise<CompiledPipeline> {
  return compilePipeline(await loadPipeline(path.join(packageRoot(), 'pipelines', 'preview-off.yaml')));
}

/**
 * `vgrade preview`: a live source graded in the browser. Live input (ffmpeg, in its own thread)
 * -> the chosen live pipeline (`live` ... `preview`, run by `buildStream`; `off` grades nothing)
 * -> page encoder (one side-by-side JPEG of source and grade) -> every viewer; and, with
 * `record`, the grade to a file. No stage queues: each one drops what it
 * cannot take at once, so the latency stays what the work itself costs for as long as it runs,
 * and a machine that cannot keep up shows fewer pictures and says so ({@link KeepUp}).
 *
 * The address is returned once the server listens, and a picture follows as soon as the source
 * has one: the initial pipeline's model starts loading before the server does, and until the
 * pipeline is ready its pictures are shown ungraded, marked `warming`.
 */
export async function startPreview(opts: PreviewOptions): Promise<Preview> {
  /** When the current pipeline was chosen. */
  let chosenAt = Date.now();
  const input = parseLiveInput(opts.input);
  const compiled = new Map<string, CompiledPipeline>();
  for (const [name, file] of Object.entries(opts.pipelines)) {
    const spec = await loadPipeline(resolvePipelinePath(file));
    const pipeline = compilePipeline(applyOverrides(spec, backendOverrides(spec, opts.backend)));
    checkLivePipeline(pipeline);
    if (pipeline.delayFrames > 0) {
      opts.logger.warn(
        { pipeline: name, delayFrames: pipeline.delayFrames },
        'this pipeline waits for later frames: the preview lags by as many',
      );
    }
    compiled.set(name, pipeline);
  }
  /** The size the match stage reads its reference at: its proxy's picture. */
  const proxySize = (pipeline: CompiledPipeline): { width: number; height: number } =>
    decoderGeometry(pipeline, { width: opts.width, height: opts.height, depth: 8 }).geometry.active;
  if (opts.reference !== undefined) {
    const pipeline = await compileMatch(opts.reference, opts.backend);
    // Read now, as the stage will (it then finds it read): a picture ffmpeg probes but cannot
    // decode is refused before anything starts too.
    await loadReference(opts.reference, proxySize(pipeline), opts.binaries, opts.logger);
    compiled.set('match', pipeline);
  }
  const off = await compileOff();
  /** The pipelines offered, `match` among them once there is a reference, `off` last. */
  const names = (): string[] => [...compiled.keys(), 'off'];
  const pipelineNamed = (name: string): CompiledPipeline => compiled.get(name) ?? off;
  if (!names().includes(opts.initial)) {
    throw new UsageError('E_USAGE', `--pipeline ${opts.initial}: choose one of ${names().join(', ')}`);
  }
  const initial = pipelineNamed(opts.initial);
  // Its model loads in a worker thread while the source and the server start.
  warmPipeline(initial);
  const token =
    opts.token ??
    (/^(127\.|localhost$|::1$)/.test(opts.host) ? undefined : randomBytes(16).toString('base64url'));
  const { width, height, logger } = opts;

  const source = new SourceClient({
    ffmpeg: opts.binaries.ffmpeg,
    input,
    passthroughArgs: opts.caps.passthroughArgs,
    width,
    height,
    stallMs: opts.stallMs ?? 5000,
  });
  const grader = new LiveGrader(
    {
      width,
      height,
      logger,
      binaries: opts.binaries,
      label: input.label,
      strength: opts.strength ?? 1,
      off,
    },
    (data) => source.recycle(data),
  );
  const keepUp = new KeepUp();
  let pictures = 0;
  let encoderDrops = 0;
  let latency: PreviewStats['latency'];
  let findings: unknown = null;
  /** Freeze: the source frame held (taken from the next picture once asked), graded again and again. */
  let frozen = false;
  let held: Buffer | undefined;
  /** The first frame after a freeze is a jump in the picture: temporal stages start again there. */
  let thawed = false;
  /** Where the trims go back to: the identity at the strength the preview started with. */
  const startTrims: Trims = { ...IDENTITY_TRIMS, strength: opts.strength ?? IDENTITY_TRIMS.strength };
  /** Counts changes of the trims, so a page can tell news from an answer sent before its change. */
  let trimsVersion = 0;
  /** The newest graded picture sampled for the scopes, and each kind computed from it (lazily). */
  let scopeSample: { seq: number; sample: ScopeSample } | undefined;
  const scopeBuffer = new Uint8Array(256 * 256 * 3);
  const scopes = new Map<ScopeKind, { seq: number; scope: Scope }>();
  /** What waits for the next picture, each given it once (its buffers are valid only then). */
  const waitingForPicture: Array<(p: GradedPicture) => void> = [];
  /** `take` of the next picture; refused when none comes for 10 s. */
  const nextPicture = <T>(take: (p: GradedPicture) => T | Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const wanted = (p: GradedPicture): void => {
        try {
          resolve(take(p));
        } catch (err) {
          reject(err as Error);
        }
      };
      waitingForPicture.push(wanted);
      setTimeout(() => {
        const at = waitingForPicture.indexOf(wanted);
        if (at < 0) return;
        waitingForPicture.splice(at, 1);
        reject(new HttpError(503, 'no picture for 10 s: is the source live?'));
      }, 10_000).unref();
    });
  /**
   * The references made on the page (a frame, a picture sent), in a folder of the preview's own,
   * removed on stop. Of those used, the newest two are kept: the one in use, and the one before
   * (which the pipeline just closed may still be reading).
   */
  let referenceDir: Promise<string> | undefined;
  const referencesUsed: string[] = [];
  let referencesMade = 0;
  let stopped = false;
  const newReferenceFile = async (name: string): Promise<string> => {
    if (stopped) throw new HttpError(503, 'the preview is stopping');
    referenceDir ??= mkdtemp(path.join(os.tmpdir(), 'vgrade-preview-'));
    return path.join(await referenceDir, `${++referencesMade}-${name}`);
  };
  /** One reference at a time: a second waits for the first, so the last asked is the one used. */
  let matching: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const run = matching.then(work, work);
    matching = run.catch(() => undefined);
    return run;
  };

  const drops = (): PreviewStats['drops'] => ({
    source: source.dropped,
    grader: grader.dropped,
    encoder: encoderDrops,
    viewers: server.viewerDrops,
  });
  const counts = (): HeaderFields => {
    const d = drops();
    const k = keepUp.figures();
    return {
      fps: k.shownFps,
      dropped: d.source + d.grader + d.encoder + d.viewers,
      drops: d,
      keepUp: k,
      pipeline: grader.pipeline,
      warming: grader.warming,
      latency,
    };
  };
  const server = new PreviewServer(
    {
      snapshot: () => ({
        ...counts(),
        pictures,
        pipelines: names(),
        source: source.status,
        findings,
        trims: grader.currentTrims,
        trimsVersion,
        frozen,
      }),
      choosePipeline: (name) => choose(name),
      // The frame is the next picture's source (the held one when frozen), written as the match
      // stage sees it: made into the proxy as the live stage makes it, so a frame matched to itself
      // is left as it is (ffmpeg's scaling of the whole picture would resample it a little
      // differently, and a tone curve follows that).
      matchFrame: () =>
        oneAtATime(async () => {
          const file = await newReferenceFile('frame.png');
          const pipeline = await compileMatch(file, opts.backend);
          const size = proxySize(pipeline);
          const frame = await nextPicture((p) => {
            const proxy = Buffer.alloc(size.width * size.height * 3);
            downscaleRgb24(p.before, width, height, proxy, size.width, { x: 0, y: 0, ...size });
            return { seq: p.seq, png: encodePng(size.width, size.height, proxy) };
          });
          await writeFile(file, frame.png);
          matchTo(pipeline, file, `frame ${frame.seq}`);
          return { pipeline: 'match', reference: `frame ${frame.seq}` };
        }),
      reference: (picture, name) =>
        oneAtATime(async () => {
          const ext = path.extname(name ?? '').toLowerCase();
          const file = await newReferenceFile(`sent${STILL_IMAGE_EXTENSIONS.has(ext) ? ext : ''}`);
          await writeFile(file, picture);
          const pipeline = await compileMatch(file, opts.backend);
          // Checked (checkReference) and read at the size the match stage reads it, which then
          // finds it read: a picture ffmpeg cannot read is refused here, the pipeline unchanged.
          const label = name ? `the picture sent (${name})` : 'the picture sent';
          try {
            await loadReference(file, proxySize(pipeline), opts.binaries, logger);
          } catch (err) {
            void rm(file, { force: true });
            if (!(err instanceof UsageError)) throw err;
            // "Cannot read the picture sent (a.png): ...": the user's name, not the folder's.
            throw new HttpError(
              422,
              err.message.replace(`the reference ${file}`, label).replaceAll(file, label),
            );
          }
          matchTo(pipeline, file, label);
          return { pipeline: 'match', reference: label };
        }),
      latency: (report) => {
        latency = report;
      },
      trims: (update) => {
        const reset = (update as { reset?: unknown } | null)?.reset === true;
        const trims = reset ? startTrims : updateTrims(grader.currentTrims, update);
        grader.setTrims(trims);
        trimsVersion++;
        server.broadcast({ trims, trimsVersion });
        return { trims, version: trimsVersion };
      },
      freeze: (on) => {
        if (!on && frozen) thawed = true;
        frozen = on;
        held = undefined;
        logger.info({ frozen }, frozen ? 'source frame held' : 'source live again');
        server.broadcast({ frozen });
      },
      scope: (kind) => {
        if (!scopeSample) return undefined;
        let made = scopes.get(kind);
        if (made?.seq !== scopeSample.seq) {
          made = { seq: scopeSample.seq, scope: computeScope(kind, scopeSample.sample) };
          scopes.set(kind, made);
        }
        return made;
      },
      download: (what) => nextPicture((p) => makeDownload(what, p)),
    },
    token,
  );
  function choose(name: string): void {
    if (!names().includes(name))
      throw new Error(`unknown pipeline ${name}: choose one of ${names().join(', ')}`);
    grader.use(name, pipelineNamed(name));
    chosenAt = Date.now();
    findings = null;
    pull();
    logger.info({ pipeline: name }, 'pipeline switched');
    server.broadcast({ ...counts(), findings });
  }
  /** Offers `pipeline` (matching to `file`) as `match`, in place of an earlier one, and switches to it. */
  function matchTo(pipeline: CompiledPipeline, file: string, reference: string): void {
    compiled.set('match', pipeline);
    logger.info({ reference }, 'matching to a new reference');
    choose('match');
    referencesUsed.push(file);
    for (const old of referencesUsed.splice(0, Math.max(0, referencesUsed.length - 2)))
      void rm(old, { force: true });
  }

  const encoder = new JpegEncoder<HeaderFields>(
    opts.binaries.ffmpeg,
    width * 2,
    height,
    opts.quality,
    // When the JPEG was ready: the page tells its share of the latency from the server's.
    ({ jpeg, meta }) => server.broadcast({ ...meta, encodedAt: Date.now() }, jpeg),
    logger,
  );
  const recorder = opts.record
    ? new Recorder(opts.binaries.ffmpeg, opts.record, width, height, logger)
    : undefined;
  const row = width * 3;
  const sideBySide = (p: GradedPicture, into: Buffer): Buffer => {
    for (let y = 0; y < height; y++) {
      p.before.copy(into, y * row * 2, y * row, (y + 1) * row);
      p.after.copy(into, y * row * 2 + row, y * row, (y + 1) * row);
    }
    return into;
  };
  /** A download made from this picture: its buffers and LUT are only valid now (they are copied). */
  const makeDownload = (what: DownloadKind, p: GradedPicture): Download | Promise<Download> => {
    const name = `vgrade-${p.pipeline}-${p.seq}`;
    if (what === 'still') {
      const png = encodePng(width * 2, height, sideBySide(p, Buffer.alloc(row * 2 * height)));
      return { seq: p.seq, filename: `${name}.png`, contentType: 'image/png', body: png };
    }
    const trims = grader.currentTrims;
    // A picture shown as it came (off and no trims, or warming) has the identity for its look.
    const look = p.look ?? identityLut(TRIMS_ONLY_SIZE);
    if (what === 'cube') {
      // At the look's own lattice: what the page applies, point for point (Resolve reads any size).
      const body = cubeFile(
        look,
        look.size,
        `vgrade preview ${p.pipeline}, frame ${p.seq}, strength ${trims.strength}`,
      );
      return { seq: p.seq, filename: `${name}.cube`, contentType: 'text/plain; charset=utf-8', body };
    }
    // The .cc: with a correction, the CDL fitted (fitCdl) to the whole look, correction and trims
    // together, since a CDL after another is no CDL in general (clamps, powers and saturation do
    // not compose), its RMS difference in the file; with none (off), the trims' own CDL, exactly;
    // a picture shown as it came, the identity.
    const cc = (cdl: Cdl): Download => ({
      seq: p.seq,
      filename: `${name}.cc`,
      contentType: 'application/xml',
      body: ccFile(name, cdl),
    });
    if (!p.look) return cc(IDENTITY_CDL);
    return p.pipeline === 'off' ? cc(trimsCdl(trims)) : fitCdlInThread(look).then(cc);
  };

  grader.on('picture', (p: GradedPicture) => {
    pictures++;
    if (p.findings) findings = { top: p.findings.top, amounts: p.findings.amounts, frame: p.seq };
    recorder?.write(p.after);
    if (frozen && !held) held = Buffer.from(p.before);
    for (const take of waitingForPicture.splice(0)) take(p);
    if (server.viewerCount === 0) {
      keepUp.shown();
      return;
    }
    const header = {
      seq: p.seq,
      enteredAt: p.enteredAt,
      ...counts(),
      pipeline: p.pipeline,
      warming: p.warming,
      ...(p.findings ? { findings } : {}),
    };
    const composed = encoder.encode((into) => sideBySide(p, into), header);
    if (composed) keepUp.shown();
    else encoderDrops++;
    // The scopes show the pictures the viewers get, at their rate (a picture the encoder had no
    // room for is not worth a scope either).
    if (composed && server.scopesWanted) {
      scopeSample = { seq: p.seq, sample: sampleForScopes(p.after, width, height, scopeBuffer) };
      server.scopesUpdated();
    }
  });
  grader.on('ready', (name) => {
    logger.info({ pipeline: name, afterMs: Date.now() - chosenAt }, 'grading started');
    server.broadcast({ ...counts() });
  });
  grader.on('error', () => server.broadcast({ ...counts() }));
  // Pull, not push: a frame is asked for only when the grader can take it, so the source thread
  // drops what the machine cannot grade and what is graded is always the newest picture.
  const pull = (): void => {
    if (grader.canTake) source.request();
  };
  // Frozen, each new source frame is overwritten with the held one: the grade goes on at the
  // source's rate (trims and pipeline switches show on the still), and thawing is instant.
  const hold = (frame: LiveFrame): LiveFrame => {
    if (frozen && held) {
      held.copy(frame.data);
      return frame;
    }
    if (!thawed) return frame;
    thawed = false;
    return { ...frame, discontinuity: true };
  };
  source.on('frame', (frame) => {
    keepUp.frame(frame.sourceFps);
    grader.push(hold(frame));
    pull();
  });
  grader.on('free', pull);
  source.on('status', (status) => {
    if (status.state === 'live') keepUp.live();
    else keepUp.lost();
    logger.info({ source: input.label, state: status.state, reason: status.reason }, 'source');
    server.broadcast({ source: status });
  });

  try {
    await server.listen(opts.host, opts.port);
  } catch (err) {
    encoder.close();
    grader.close();
    await source.stop();
    throw new UsageError(
      'E_USAGE',
      `Cannot serve the preview on ${opts.host}:${opts.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  grader.use(opts.initial, initial);
  pull();
  let ticks = 0;
  let keepingUp = true;
  const report = setInterval(() => {
    const k = keepUp.figures();
    if (k.keepingUp !== keepingUp) {
      keepingUp = k.keepingUp;
      if (keepingUp) logger.info({ keepUp: k }, 'the machine keeps up again');
      else
        logger.warn(
          { keepUp: k },
          `dropping ${Math.round(k.dropping * 100)}% of frames: the machine cannot keep up`,
        );
    }
    if (++ticks % 10 === 0) logger.info({ pictures, ...counts(), viewers: server.viewerCount }, 'preview');
  }, 1000);

  return {
    url: server.url,
    stats: () => {
      const d = drops();
      const k = keepUp.figures();
      return {
        pipeline: grader.pipeline,
        warming: grader.warming,
        fps: k.shownFps,
        pictures,
        dropped: d.source + d.grader + d.encoder + d.viewers,
        drops: d,
        keepUp: k,
        viewers: server.viewerCount,
        source: source.status.state,
        latency,
      };
    },
    stop: async () => {
      stopped = true;
      clearInterval(report);
      await source.stop();
      grader.close();
      encoder.close();
      server.close();
      await recorder?.close();
      if (referenceDir) await rm(await referenceDir, { recursive: true, force: true });
    },
  };
}
