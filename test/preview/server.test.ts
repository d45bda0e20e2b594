import { describe, expect, it } from 'vitest';
import {
  HttpError,
  PreviewServer,
  REFERENCE_BYTES,
  type PreviewServerHandlers,
} from '../../src/preview/server.js';
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
  matchFrame: () => Promise.resolve({ pipeline: 'match' }),
  reference: () => Promise.resolve({ pipeline: 'match' }),
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
        ['POST', '/api/match'],
        ['POST', '/api/reference'],
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

  it('matches to the frame shown, or says why it cannot', async () => {
    let answer = (): Promise<unknown> => Promise.resolve({ pipeline: 'match', reference: 'frame 7' });
    const server = new PreviewServer({ ...handlers, matchFrame: () => answer() }, undefined);
    const url = await server.listen('127.0.0.1', 0);
    const post = async () => {
      const res = await fetch(new URL('/api/match', url), { method: 'POST', body: '{}' });
      return [res.status, await res.json()];
    };
    try {
      expect(await post()).toEqual([200, { pipeline: 'match', reference: 'frame 7' }]);
      answer = () => Promise.reject(new HttpError(503, 'no picture for 10 s: is the source live?'));
      expect(await post()).toEqual([503, { error: 'no picture for 10 s: is the source live?' }]);
      answer = () => Promise.reject(new Error('disk full'));
      expect(await post()).toEqual([500, { error: 'disk full' }]);
    } finally {
      server.close();
    }
  });

  it('takes a picture sent as the reference, with its name, and refuses an empty, a too large or an unreadable one', async () => {
    const sent: Array<{ bytes: string; name: string | undefined }> = [];
    const server = new PreviewServer(
      {
        ...handlers,
        reference: (picture, name) => {
          if (picture.toString() === 'not a picture')
            return Promise.reject(
              new HttpError(422, `Cannot read the reference the picture sent (${name}): it holds no picture`),
            );
          sent.push({ bytes: picture.toString(), name });
          return Promise.resolve({ pipeline: 'match', reference: name });
        },
      },
      undefined,
    );
    const url = await server.listen('127.0.0.1', 0);
    const send = async (body: Uint8Array<ArrayBuffer> | string, name?: string) => {
      const res = await fetch(new URL('/api/reference', url), {
        method: 'POST',
        body: typeof body === 'string' ? body : new Blob([body]),
        headers: name === undefined ? {} : { 'x-vgrade-filename': encodeURIComponent(name) },
      });
      return [res.status, await res.json()];
    };
    try {
      expect(await send('PNG bytes', 'hero shot é.png')).toEqual([
        200,
        { pipeline: 'match', reference: 'hero shot é.png' },
      ]);
      expect(await send('')).toEqual([
        400,
        { error: 'send a picture (PNG, JPEG, TIFF...): the request was empty' },
      ]);
      expect(await send('not a picture', 'notes.txt')).toEqual([
        422,
        { error: 'Cannot read the reference the picture sent (notes.txt): it holds no picture' },
      ]);
      // One byte over the limit: read to its end, and refused.
      expect(await send(new Uint8Array(REFERENCE_BYTES + 1), 'huge.tif')).toEqual([
        413,
        { error: 'the picture is 32.0 MB: send one of 32 MB at most' },
      ]);
      // Exactly the limit is taken.
      expect((await send(new Uint8Array(REFERENCE_BYTES), 'big.tif'))[0]).toBe(200);
      expect(sent.map((s) => [s.bytes.length, s.name])).toEqual([
        [9, 'hero shot é.png'],
        [REFERENCE_BYTES, 'big.tif'],
      ]);
    } finally {
      server.close();
    }
  });
});
