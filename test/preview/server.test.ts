import { describe, expect, it } from 'vitest';
import { PreviewServer } from '../../src/preview/server.js';

const handlers = { snapshot: () => ({ pipeline: 'off' }), choosePipeline: () => {}, latency: () => {} };

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
