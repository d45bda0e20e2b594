import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PAGE_HTML } from './page.js';

/** What the page's header messages carry besides a picture's own fields. */
export type HeaderFields = Record<string, unknown>;

export interface PreviewServerHandlers {
  /** The state a new viewer starts from (pipelines, source status...). */
  snapshot(): HeaderFields;
  /** Switches the pipeline; throws with a message for the viewer when the name is unknown. */
  choosePipeline(name: string): void;
  /** A viewer's latency figures (ms), about once a second. */
  latency(report: { p50: number; p95: number; samples: number }): void;
}

interface Viewer {
  readonly res: http.ServerResponse;
  dropped: number;
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
 * The preview's web server: the page, the feed (`GET /stream`, one long response per viewer) and
 * a small JSON API. On a loopback address it is open; on any other address every request must
 * carry the access token (`?token=` or an `x-vgrade-token` header), compared in constant time.
 *
 * A viewer whose connection is still busy with earlier pictures skips the new one (counted as
 * its own drop): a slow viewer never delays the others or grows a queue.
 */
export class PreviewServer {
  private readonly viewers = new Set<Viewer>();
  private server: http.Server | undefined;
  url = '';

  constructor(
    private readonly handlers: PreviewServerHandlers,
    private readonly token: string | undefined,
  ) {}

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Pictures the slowest viewers skipped, in total. */
  get viewerDrops(): number {
    let n = 0;
    for (const v of this.viewers) n += v.dropped;
    return n;
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

  /** Sends one picture (or, without a JPEG, only news) to every viewer that can take it now. */
  broadcast(header: HeaderFields, jpeg?: Buffer): void {
    const parts = message(header, jpeg);
    for (const viewer of this.viewers) {
      if (jpeg && viewer.res.writableNeedDrain) {
        viewer.dropped++;
        continue;
      }
      for (const part of parts) viewer.res.write(part);
    }
  }

  close(): void {
    for (const v of this.viewers) v.res.end();
    this.viewers.clear();
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
      case 'GET /stream': {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.socket?.setNoDelay(true);
        const viewer: Viewer = { res, dropped: 0 };
        this.viewers.add(viewer);
        for (const part of message(this.handlers.snapshot())) res.write(part);
        req.on('close', () => this.viewers.delete(viewer));
        return;
      }
      case 'GET /api/time':
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify({ now: Date.now() }));
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
