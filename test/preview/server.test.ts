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

  it('streams messages of header and picture, and skips pictures for a viewer still busy', async () => {
    const server = new PreviewServer(handlers, undefined);
    const url = await server.listen('127.0.0.1', 0);
    try {
      const res = await fetch(new URL('/stream', url));
      const reader = res.body!.getReader();
      const first = await reader.read();
      const bytes = Buffer.from(first.value!);
      const jsonLength = bytes.readUInt32BE(0);
      expect(bytes.readUInt32BE(4)).toBe(0);
      expect(JSON.parse(bytes.subarray(8, 8 + jsonLength).toString())).toEqual({ pipeline: 'off' });
      // Not reading: the connection fills, and later pictures are skipped for this viewer only.
      const picture = Buffer.alloc(1 << 20, 1);
      for (let i = 0; i < 64; i++) server.broadcast({ seq: i }, picture);
      expect(server.viewerDrops).toBeGreaterThan(0);
      await reader.cancel();
    } finally {
      server.close();
    }
  });
});
