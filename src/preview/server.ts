import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PAGE_HTML } from './page.js';
import { isScopeKind, SCOPE_KINDS, type Scope, type ScopeKind } from './scopes.js';

/** What the page's header messages carry besides a picture's own fields. */
export type HeaderFields = Record<string, unknown>;

export interface PreviewServerHandlers {
  /** The state a new viewer starts from (pipelines, source status...). */
  snapshot(): HeaderFields;
  /** Switches the pipeline; throws with a message for the viewer when the name is unknown. */
  choosePipeline(name: string): void;
  /** A viewer's latency figures (ms), about once a second. */
  latency(report: { p50: number; p95: number; samples: number }): void;
  /**
   * Changes the trims (a partial update, or `{"reset": true}`) and returns what to answer (them
   * all, and their version); throws a RangeError with a message for the viewer when one is out
   * of range.
   */
  trims(update: unknown): unknown;
  /** Holds the current source frame and keeps grading it (true), or goes live again (false). */
  freeze(frozen: boolean): void;
  /** The newest scope of a kind and the picture (`seq`) it shows, once there is one. */
  scope(kind: ScopeKind): { seq: number; scope: Scope } | undefined;
  /** A download made from the next picture: a still, or the look as `.cube` or `.cc`. */
  download(what: DownloadKind): Promise<Download>;
  /**
   * Makes the current source frame (the held one when frozen) the reference of pipeline `match`
   * and switches to it; what to answer.
   */
  matchFrame(): Promise<unknown>;
  /**
   * Makes a picture sent from the page (its bytes, and its file's name when the page gave it)
   * the reference of pipeline `match` and switches to it; what to answer. Rejects with an
   * {@link HttpError} 422 when it is no picture ffmpeg can read.
   */
  reference(picture: Buffer, name: string | undefined): Promise<unknown>;
}

/** The largest picture the page may send as a reference (`POST /api/reference`). */
export const REFERENCE_BYTES = 32 * 1024 * 1024;

/** A handler's refusal answered with its own HTTP status (any other failure is a 500). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export type DownloadKind = 'still' | 'cube' | 'cc';

export interface Download {
  /** The picture it was made from. */
  readonly seq: number;
  readonly filename: string;
  readonly contentType: string;
  readonly body: Buffer | string;
}

/** A viewer's request for the next scope of a kind, held until there is one newer than it has. */
interface ScopeWaiting {
  readonly kind: ScopeKind;
  readonly after: number;
  readonly res: http.ServerResponse;
  readonly timer: NodeJS.Timeout;
}

const DOWNLOADS: Readonly<Record<string, DownloadKind>> = {
  '/api/still.png': 'still',
  '/api/look.cube': 'cube',
  '/api/look.cc': 'cc',
};

/** A viewer's request for the next picture, held until there is one newer than it has. */
interface Waiting {
  readonly after: number;
  readonly res: http.ServerResponse;
  readonly timer: NodeJS.Timeout;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function message(header: HeaderFields, jpeg?: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(header));
  const lengths = Buffer.alloc(8);
  lengths.writeUInt32BE(json.length, 0);
  lengths.writeUInt32BE(jpeg?.length ?? 0, 4);
  return jpeg ? [lengths, json, jpeg] : [lengths, json];
}

/**
 * The preview's web server: the page, the feed and a small JSON API. On a loopback address it is
 * open; on any other address every request must carry the access token (`?token=` or an
 * `x-vgrade-token` header), compared in constant time.
 *
 * The feed is pulled: `GET /frame?after=SEQ&viewer=ID` answers with the newest picture if it is
 * newer than SEQ, else waits for the next one (or answers with news alone: a status change, or
 * nothing for 2 s). Each viewer has at most one picture on its way, so no buffer anywhere, ours or
 * the kernel's, can hold a queue of pictures for a viewer that falls behind: it gets the newest
 * when it asks, and what it skipped is counted.
 *
 * The scopes are pulled the same way (`GET /api/scope?kind=KIND&after=SEQ`: the newest scope of
 * the graded picture, as an intensity image with its size in the headers), so a slow viewer only
 * ever gets the newest scope too. Downloads (`/api/still.png`, `/api/look.cube`, `/api/look.cc`)
 * are made from the next picture, and every control (`/api/pipeline`, `/api/trims`,
 * `/api/freeze`, `/api/match`) is a small JSON POST; a reference picture is POSTed as it is
 * (`/api/reference`, up to {@link REFERENCE_BYTES}, its name in `x-vgrade-filename`); all of them
 * behind the same token.
 */
export class PreviewServer {
  private readonly waiting = new Set<Waiting>();
  private readonly scopeWaiting = new Set<ScopeWaiting>();
  private scopeAskedAt = 0;
  private readonly seen = new Map<string, number>();
  private latest: { seq: number; header: HeaderFields; jpeg: Buffer } | undefined;
  private skipped = 0;
  private server: http.Server | undefined;
  url = '';

  constructor(
    private readonly handlers: PreviewServerHandlers,
    private readonly token: string | undefined,
  ) {}

  /** Viewers that asked for a picture in the last 3 seconds. */
  get viewerCount(): number {
    const now = Date.now();
    for (const [id, at] of this.seen) if (now - at > 3000) this.seen.delete(id);
    return this.seen.size;
  }

  /** Whether a viewer asked for a scope in the last 3 seconds (else none need computing). */
  get scopesWanted(): boolean {
    return Date.now() - this.scopeAskedAt < 3000;
  }

  /** Answers the viewers waiting for a scope newer than they have, now that there may be one. */
  scopesUpdated(): void {
    for (const w of this.scopeWaiting) {
      const newest = this.handlers.scope(w.kind);
      if (!newest || newest.seq <= w.after) continue;
      clearTimeout(w.timer);
      this.scopeWaiting.delete(w);
      this.answerScope(w.res, newest);
    }
  }

  private answerScope(res: http.ServerResponse, newest: { seq: number; scope: Scope } | undefined): void {
    if (!newest) {
      res.writeHead(204, { 'cache-control': 'no-store' }).end();
      return;
    }
    const { scope } = newest;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-scope-kind': scope.kind,
      'x-scope-seq': String(newest.seq),
      'x-scope-width': String(scope.width),
      'x-scope-height': String(scope.height),
    });
    res.end(scope.data);
  }

  /** Pictures viewers skipped because they asked after a newer one had replaced them, in total. */
  get viewerDrops(): number {
    return this.skipped;
  }

  async listen(host: string, port: number): Promise<string> {
    if (!isLoopback(host) && !this.token)
      throw new Error('an address other than loopback needs an access token');
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${shown}:${address.port}/${this.token && !isLoopback(host) ? `?token=${this.token}` : ''}`;
    return this.url;
  }

  /**
   * Offers a new picture (its header has its `seq`) to the viewers waiting for one; without a
   * JPEG, answers every waiting viewer with the news (a status change) at once.
   */
  broadcast(header: HeaderFields, jpeg?: Buffer): void {
    if (jpeg) this.latest = { seq: Number(header['seq']), header, jpeg };
    for (const w of this.waiting) {
      if (!jpeg) this.answer(w.res, w.after, header);
      else if (this.latest!.seq > w.after) this.answer(w.res, w.after);
      else continue;
      clearTimeout(w.timer);
      this.waiting.delete(w);
    }
  }

  /** The newest picture if newer than `after`, else the news alone. */
  private answer(res: http.ServerResponse, after: number, news?: HeaderFields): void {
    const snapshot = this.handlers.snapshot();
    const parts =
      !news && this.latest && this.latest.seq > after
        ? message({ ...snapshot, ...this.latest.header }, this.latest.jpeg)
        : message({ ...snapshot, ...news });
    if (!news && this.latest && this.latest.seq > after && after >= 0)
      this.skipped += this.latest.seq - after - 1;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(Buffer.concat(parts));
  }

  close(): void {
    for (const w of this.waiting) {
      clearTimeout(w.timer);
      w.res.destroy();
    }
    this.waiting.clear();
    for (const w of this.scopeWaiting) {
      clearTimeout(w.timer);
      w.res.destroy();
    }
    this.scopeWaiting.clear();
    this.server?.close();
    this.server?.closeAllConnections();
  }

  private authorised(req: http.IncomingMessage, url: URL): boolean {
    if (!this.token || isLoopback(this.server ? (this.server.address() as AddressInfo).address : ''))
      return true;
    const given = url.searchParams.get('token') ?? req.headers['x-vgrade-token'];
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://preview');
    if (!this.authorised(req, url)) {
      res
        .writeHead(401, { 'content-type': 'text/plain' })
        .end('an access token is needed: open the address vgrade printed\n');
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(PAGE_HTML);
        return;
      case 'GET /frame': {
        const after = Number(url.searchParams.get('after') ?? -1);
        this.seen.set(url.searchParams.get('viewer') ?? req.socket.remoteAddress ?? '?', Date.now());
        res.socket?.setNoDelay(true);
        if (this.latest && this.latest.seq > after) {
          this.answer(res, after);
          return;
        }
        const waiting: Waiting = {
          after,
          res,
          timer: setTimeout(() => {
            this.waiting.delete(waiting);
            this.answer(res, after, {});
          }, 2000),
        };
        this.waiting.add(waiting);
        req.on('close', () => {
          clearTimeout(waiting.timer);
          this.waiting.delete(waiting);
        });
        return;
      }
      case 'GET /api/time':
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify({ now: Date.now() }));
        return;
      case 'GET /api/scope': {
        const kind = url.searchParams.get('kind');
        if (!isScopeKind(kind)) {
          this.json(res, 400, {
            error: `unknown scope ${String(kind)}: choose one of ${SCOPE_KINDS.join(', ')}`,
          });
          return;
        }
        const after = Number(url.searchParams.get('after') ?? -1);
        this.scopeAskedAt = Date.now();
        const newest = this.handlers.scope(kind);
        if (newest && newest.seq > after) {
          this.answerScope(res, newest);
          return;
        }
        const waiting: ScopeWaiting = {
          kind,
          after,
          res,
          timer: setTimeout(() => {
            this.scopeWaiting.delete(waiting);
            this.answerScope(res, undefined);
          }, 2000),
        };
        this.scopeWaiting.add(waiting);
        req.on('close', () => {
          clearTimeout(waiting.timer);
          this.scopeWaiting.delete(waiting);
        });
        return;
      }
      case 'GET /api/still.png':
      case 'GET /api/look.cube':
      case 'GET /api/look.cc':
        this.handlers.download(DOWNLOADS[url.pathname]!).then(
          (d) =>
            res
              .writeHead(200, {
                'content-type': d.contentType,
                'content-disposition': `attachment; filename="${d.filename}"`,
                'cache-control': 'no-store',
                'x-content-type-options': 'nosniff',
                'x-vgrade-seq': String(d.seq),
              })
              .end(d.body),
          (err: unknown) => this.json(res, 503, { error: (err as Error).message }),
        );
        return;
      case 'POST /api/match':
        req.resume();
        this.answerWith(res, this.handlers.matchFrame());
        return;
      case 'POST /api/reference':
        this.readBody(req, res, REFERENCE_BYTES, (picture) => {
          if (picture.length === 0) {
            this.json(res, 400, { error: 'send a picture (PNG, JPEG, TIFF...): the request was empty' });
            return;
          }
          const given = req.headers['x-vgrade-filename'];
          let name: string | undefined;
          try {
            name = typeof given === 'string' && given !== '' ? decodeURIComponent(given) : undefined;
          } catch {
            name = given as string;
          }
          this.answerWith(res, this.handlers.reference(picture, name));
        });
        return;
      case 'POST /api/trims':
      case 'POST /api/freeze':
        this.readJson(req, res, (body) => {
          try {
            if (route === 'POST /api/trims') {
              this.json(res, 200, this.handlers.trims(body));
              return;
            }
            const frozen = (body as { frozen?: unknown }).frozen;
            if (typeof frozen !== 'boolean') throw new Error('send {"frozen": true} or {"frozen": false}');
            this.handlers.freeze(frozen);
            this.json(res, 200, { frozen });
          } catch (err) {
            this.json(res, 400, { error: (err as Error).message });
          }
        });
        return;
      case 'GET /api/state':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(this.handlers.snapshot()));
        return;
      case 'POST /api/pipeline':
      case 'POST /api/latency':
        this.readJson(req, res, (body) => {
          if (route === 'POST /api/latency') {
            const r = body as { p50?: unknown; p95?: unknown; samples?: unknown };
            if (typeof r.p50 === 'number' && typeof r.p95 === 'number' && typeof r.samples === 'number') {
              this.handlers.latency({ p50: r.p50, p95: r.p95, samples: r.samples });
            }
            res.writeHead(204).end();
            return;
          }
          const name = (body as { name?: unknown }).name;
          try {
            if (typeof name !== 'string') throw new Error('send {"name": PIPELINE}');
            this.handlers.choosePipeline(name);
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify({ pipeline: name }));
          } catch (err) {
            res
              .writeHead(400, { 'content-type': 'application/json' })
              .end(JSON.stringify({ error: (err as Error).message }));
          }
        });
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  /** Answers with what `work` gives, or with its error: an HttpError's status, else 500. */
  private answerWith(res: http.ServerResponse, work: Promise<unknown>): void {
    work.then(
      (body) => this.json(res, 200, body),
      (err: unknown) =>
        this.json(res, err instanceof HttpError ? err.status : 500, {
          error: err instanceof Error ? err.message : String(err),
        }),
    );
  }

  /**
   * The request's body, up to `limit` bytes; a longer one is read to its end all the same (a
   * client still sending does not read an answer) and answered 413.
   */
  private readBody(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    limit: number,
    then: (body: Buffer) => void,
  ): void {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (d: Buffer) => {
      length += d.length;
      if (length <= limit) chunks.push(d);
    });
    req.on('end', () => {
      if (length > limit) {
        this.json(res, 413, {
          error: `the picture is ${(length / 2 ** 20).toFixed(1)} MB: send one of ${limit / 2 ** 20} MB at most`,
        });
        return;
      }
      then(Buffer.concat(chunks));
    });
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  }

  private readJson(req: http.IncomingMessage, res: http.ServerResponse, then: (body: unknown) => void): void {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      text += d;
      if (text.length > 64 * 1024) req.destroy();
    });
    req.on('end', () => {
      try {
        then(JSON.parse(text || '{}'));
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('expected JSON\n');
      }
    });
  }
}
