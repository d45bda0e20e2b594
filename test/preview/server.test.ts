import { describe, expect, it } from 'vitest';
import { PreviewServer, type PreviewServerHandlers } from '../../src/preview/server.js';
import type { Scope } from '../../src/preview/scopes.js';

const handlers: PreviewServerHandlers = {
  snapshot: () => ({ pipeline: 'off' }),
  choosePipeline: () => {},
  latency: () => {},
  trims: () => ({}),
  freeze: () => {},
  scope: () => undefined,
  download: (what) =>
    Promise.resolve({ seq: 3, filename: `look.${what}`, contentType: 'text/plain', body: what }),
};

const scopeOf = (value: number): Scope => ({
  kind: 'waveform',
  width: 2,
  height: 2,
  data: new Uint8Array([value, 0, 0, value]),
});

describe('the preview server', () => {
  it('is open on the loopback address', async () => {
    const server = new PreviewServer(handlers, undefined);
    const url = await server.listen('127.0.0.1', 0);
    try {
      expect((await fetch(url)).status).toBe(200);
      expect(await (await fetch(new URL('/api/state', url))).json()).toEqual({ pipeline: 'off' });
    } finally {
      server.close();
    }
  });

  it('refuses another address without an access token', async () => {
    const server = new PreviewServer(handlers, undefined);
    await expect(server.listen('0.0.0.0', 0)).rejects.toThrow(/token/);
  });

  it('on another address, answers only requests that carry the token', async () => {
    const server = new PreviewServer(handlers, 's3cret-token');
    const url = await server.listen('0.0.0.0', 0);
    try {
      expect(url).toMatch(/\?token=s3cret-token$/);
      const port = new URL(url).port;
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/api/state?token=wrong-token!`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/api/state?token=s3cret-token`)).status).toBe(200);
      expect(
        (await fetch(`http://127.0.0.1:${port}/api/state`, { headers: { 'x-vgrade-token': 's3cret-token' } }))
          .status,
      ).toBe(200);
      // The tools' endpoints too: scopes, downloads and controls.
      for (const [method, path] of [
        ['GET', '/api/scope?kind=waveform'],
        ['GET', '/api/still.png'],
        ['GET', '/api/look.cube'],
        ['GET', '/api/look.cc'],
        ['POST', '/api/trims'],
        ['POST', '/api/freeze'],
      ] as const) {
        const at = `http://127.0.0.1:${port}${path}`;
        const body = method === 'POST' ? '{"frozen":false}' : undefined;
        expect((await fetch(at, { method, body })).status, path).toBe(401);
        const withToken = `${at}${path.includes('?') ? '&' : '?'}token=s3cret-token`;
        // (No scope yet: answered after a wait with 204, no content.)
        expect((await fetch(withToken, { method, body })).status, path).toBe(
          path.includes('scope') ? 204 : 200,
        );
      }
    } finally {
      server.close();
    }
  });

  it('answers a bad pipeline switch with 400 and its reason', async () => {
    const server = new PreviewServer(
      {
        ...handlers,
        choosePipeline: (name) => {
          throw new Error(`unknown pipeline ${name}`);
        },
      },
      undefined,
    );
    const url = await server.listen('127.0.0.1', 0);
    try {
      const res = await fetch(new URL('/api/pipeline', url), {
        method: 'POST',
        body: JSON.stringify({ name: 'sepia' }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'unknown pipeline sepia' });
    } finally {
      server.close();
    }
  });

  it('answers each request with the newest picture, waits when there is none newer, and counts what a viewer skipped', async () => {
    const server = new PreviewServer(handlers, undefined);
    const url = await server.listen('127.0.0.1', 0);
    const read = async (after: number) => {
      const bytes = Buffer.from(
        await (await fetch(new URL(`/frame?after=${after}&viewer=v1`, url))).arrayBuffer(),
      );
      const jsonLength = bytes.readUInt32BE(0);
      return {
        header: JSON.parse(bytes.subarray(8, 8 + jsonLength).toString()) as Record<string, unknown>,
        jpeg: bytes.subarray(8 + jsonLength, 8 + jsonLength + bytes.readUInt32BE(4)),
      };
    };
    try {
      // Nothing yet: the request waits for the first picture.
      const first = read(-1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.viewerCount).toBe(1);
      server.broadcast({ seq: 0 }, Buffer.from('picture 0'));
      expect(await first).toEqual({ header: { pipeline: 'off', seq: 0 }, jpeg: Buffer.from('picture 0') });
      // A viewer that comes back late gets the newest, and the pictures it missed are counted.
      for (let seq = 1; seq <= 5; seq++) server.broadcast({ seq }, Buffer.from(`picture ${seq}`));
      expect((await read(0)).jpeg.toString()).toBe('picture 5');
      expect(server.viewerDrops).toBe(4);
      // News (a status change) reaches a waiting viewer at once, without a picture.
      const waiting = read(5);
      await new Promise((resolve) => setTimeout(resolve, 100));
      server.broadcast({ source: { state: 'reconnecting' } });
      expect(await waiting).toEqual({
        header: { pipeline: 'off', source: { state: 'reconnecting' } },
        jpeg: Buffer.alloc(0),
      });
    } finally {
      server.close();
    }
  });
});

describe('the preview server: scopes, trims, freeze and downloads', () => {
  it('answers a scope request with the newest scope, or waits for one newer than the viewer has', async () => {
    let newest: { seq: number; scope: Scope } | undefined;
    const asked: string[] = [];
    const server = new PreviewServer(
      {
        ...handlers,
        scope: (kind) => {
          asked.push(kind);
          return newest;
        },
      },
      undefined,
    );
    const url = await server.listen('127.0.0.1', 0);
    const read = async (after: number) => {
      const res = await fetch(new URL(`/api/scope?kind=waveform&after=${after}`, url));
      return {
        status: res.status,
        seq: res.headers.get('x-scope-seq'),
        size: `${res.headers.get('x-scope-width')}x${res.headers.get('x-scope-height')}`,
        data: Array.from(new Uint8Array(await res.arrayBuffer())),
      };
    };
    try {
      expect(server.scopesWanted).toBe(false);
      // None yet: the request waits, and is answered when one is made.
      const first = read(-1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.scopesWanted).toBe(true);
      newest = { seq: 4, scope: scopeOf(9) };
      server.scopesUpdated();
      expect(await first).toEqual({ status: 200, seq: '4', size: '2x2', data: [9, 0, 0, 9] });
      // A viewer that comes back late gets only the newest.
      newest = { seq: 5, scope: scopeOf(10) };
      newest = { seq: 6, scope: scopeOf(11) };
      expect(await read(4)).toMatchObject({ seq: '6', data: [11, 0, 0, 11] });
      // One that has the newest waits for the next.
      const waiting = read(6);
      await new Promise((resolve) => setTimeout(resolve, 100));
      server.scopesUpdated();
      newest = { seq: 7, scope: scopeOf(12) };
      server.scopesUpdated();
      expect(await waiting).toMatchObject({ seq: '7', data: [12, 0, 0, 12] });
      expect(asked.every((kind) => kind === 'waveform')).toBe(true);
      // Only the scopes there are.
      const bad = await fetch(new URL('/api/scope?kind=histogram', url));
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        error: 'unknown scope histogram: choose one of waveform, parade, vectorscope',
      });
    } finally {
      server.close();
    }
  });

  it('passes trims and freeze to the preview, and answers a bad one with 400 and its reason', async () => {
    const calls: unknown[] = [];
    const server = new PreviewServer(
      {
        ...handlers,
        trims: (update) => {
          if ((update as { slope?: unknown }).slope)
            throw new RangeError('Expected number between 0 and 4 for slope[0]');
          calls.push(update);
          return { trims: update, version: 1 };
        },
        freeze: (frozen) => calls.push({ frozen }),
      },
      undefined,
    );
    const url = await server.listen('127.0.0.1', 0);
    const post = (path: string, body: unknown) =>
      fetch(new URL(path, url), { method: 'POST', body: JSON.stringify(body) });
    try {
      const ok = await post('/api/trims', { saturation: 1.2 });
      expect([ok.status, await ok.json()]).toEqual([200, { trims: { saturation: 1.2 }, version: 1 }]);
      const bad = await post('/api/trims', { slope: [9, 1, 1] });
      expect([bad.status, await bad.json()]).toEqual([
        400,
        { error: 'Expected number between 0 and 4 for slope[0]' },
      ]);
      expect((await post('/api/freeze', { frozen: true })).status).toBe(200);
      const notBoolean = await post('/api/freeze', { frozen: 'yes' });
      expect([notBoolean.status, await notBoolean.json()]).toEqual([
        400,
        { error: 'send {"frozen": true} or {"frozen": false}' },
      ]);
      expect(calls).toEqual([{ saturation: 1.2 }, { frozen: true }]);
    } finally {
      server.close();
    }
  });

  it('serves downloads as attachments, and says why when there is no picture to make one from', async () => {
    const server = new PreviewServer(
      {
        ...handlers,
        download: (what) =>
          what === 'cc'
            ? Promise.reject(new Error('no picture for 10 s: is the source live?'))
            : Promise.resolve({
                seq: 12,
                filename: 'vgrade-off-12.cube',
                contentType: 'text/plain',
                body: 'LUT',
              }),
      },
      undefined,
    );
    const url = await server.listen('127.0.0.1', 0);
    try {
      const cube = await fetch(new URL('/api/look.cube', url));
      expect(cube.status).toBe(200);
      expect(cube.headers.get('content-disposition')).toBe('attachment; filename="vgrade-off-12.cube"');
      expect(cube.headers.get('x-vgrade-seq')).toBe('12');
      expect(await cube.text()).toBe('LUT');
      const cc = await fetch(new URL('/api/look.cc', url));
      expect([cc.status, await cc.json()]).toEqual([
        503,
        { error: 'no picture for 10 s: is the source live?' },
      ]);
    } finally {
      server.close();
    }
  });
});
