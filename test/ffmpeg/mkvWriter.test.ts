import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mkvAnchor, mkvFramePrefix, mkvHeader } from '../../src/ffmpeg/mkvWriter.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';

const run = promisify(execFile);

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

function indexOf(haystack: Uint8Array, needle: number[] | string): number {
  const n = typeof needle === 'string' ? Buffer.from(needle, 'latin1') : Buffer.from(needle);
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(n);
}

describe('mkvFramePrefix', () => {
  it('is a Cluster (8-byte size) with its Timestamp and one SimpleBlock header, track 1, keyframe', () => {
    // 40000 us, 48 payload bytes. Cluster size = Timestamp (1 + 8 + 8) + SimpleBlock head (1 + 8 + 4) + 48 = 78.
    const prefix = mkvFramePrefix(40000, 48);
    expect(hex(prefix)).toBe(
      [
        '1f 43 b6 75', // Cluster ID
        '01 00 00 00 00 00 00 4e', // size 78
        'e7', // Timestamp ID
        '01 00 00 00 00 00 00 08', // size 8
        '00 00 00 00 00 00 9c 40', // 40000
        'a3', // SimpleBlock ID
        '01 00 00 00 00 00 00 34', // size 4 + 48 = 52
        '81 00 00 80', // track 1 (vint), relative timestamp 0 (int16), flags: keyframe
      ].join(' '),
    );
    expect(prefix).toHaveLength(42);
  });

  it('timestamp 0 and an empty payload', () => {
    expect(hex(mkvFramePrefix(0, 0))).toBe(
      '1f 43 b6 75 01 00 00 00 00 00 00 1e e7 01 00 00 00 00 00 00 08 00 00 00 00 00 00 00 00 ' +
        'a3 01 00 00 00 00 00 00 04 81 00 00 80',
    );
  });

  it('carries timestamps and sizes beyond 32 bits exactly', () => {
    // 2^40 + 5 us (about 12.7 days); 5e9 payload bytes: block size 5e9 + 4 = 0x12a05f204,
    // cluster size 5e9 + 30 = 0x12a05f21e.
    const prefix = mkvFramePrefix(2 ** 40 + 5, 5e9);
    expect(hex(prefix.subarray(4, 12))).toBe('01 00 00 01 2a 05 f2 1e');
    expect(hex(prefix.subarray(21, 29))).toBe('00 00 01 00 00 00 00 05');
    expect(hex(prefix.subarray(30, 38))).toBe('01 00 00 01 2a 05 f2 04');
  });

  it('the cluster size counts exactly the bytes after the size field, payload included', () => {
    for (const [ts, len] of [
      [0, 0],
      [123456, 24 * 6],
      [1e9, 1920 * 1080 * 6],
    ] as const) {
      const prefix = mkvFramePrefix(ts, len);
      const size = Number(Buffer.from(prefix.subarray(5, 12)).readUIntBE(1, 6));
      expect(size).toBe(prefix.length - 12 + len);
    }
  });
});

describe('mkvHeader', () => {
  it('starts with the EBML header, declares matroska, an unknown-size Segment and one V_UNCOMPRESSED track', () => {
    const header = mkvHeader(4, 2, 'rgb48le');
    expect(hex(header.subarray(0, 4))).toBe('1a 45 df a3');
    expect(indexOf(header, 'matroska')).toBeGreaterThan(0);
    const segment = indexOf(header, [0x18, 0x53, 0x80, 0x67]);
    expect(segment).toBeGreaterThan(0);
    expect(hex(header.subarray(segment + 4, segment + 12))).toBe('01 ff ff ff ff ff ff ff');
    expect(indexOf(header, 'V_UNCOMPRESSED')).toBeGreaterThan(segment);
    // TimestampScale 1000 ns: ID 2a d7 b1, size 8, value 1000 = 0x3e8.
    expect(
      indexOf(header, [0x2a, 0xd7, 0xb1, 1, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x03, 0xe8]),
    ).toBeGreaterThan(0);
    // ColourSpace FourCC: 'R' 'G' 'B' 48 for rgb48le, 24 for rgb24.
    expect(indexOf(header, [0x2e, 0xb5, 0x24, 1, 0, 0, 0, 0, 0, 0, 4, 0x52, 0x47, 0x42, 48])).toBeGreaterThan(
      0,
    );
    expect(
      indexOf(mkvHeader(4, 2, 'rgb24'), [0x2e, 0xb5, 0x24, 1, 0, 0, 0, 0, 0, 0, 4, 0x52, 0x47, 0x42, 24]),
    ).toBeGreaterThan(0);
    // PixelWidth (b0) 4 and PixelHeight (ba) 2.
    expect(indexOf(header, [0xb0, 1, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 4])).toBeGreaterThan(0);
    expect(indexOf(header, [0xba, 1, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2])).toBeGreaterThan(0);
  });
});

describe('mkv writer + ffmpeg', () => {
  it('3 frames of 4x2 rgb48le at 0, 40000, 100000 us decode to the same pixels at 0, 0.04 and 0.1 s', async () => {
    const width = 4;
    const height = 2;
    const timestamps = [0, 40000, 100000];
    // Each frame different, and every 16-bit value with two different bytes (catches byte order).
    const frames = timestamps.map((_, f) =>
      Uint16Array.from({ length: width * height * 3 }, (_, k) => (0x1234 + f * 0x2345 + k * 0x0a0b) & 0xffff),
    );
    const parts: Uint8Array[] = [mkvHeader(width, height, 'rgb48le')];
    frames.forEach((pixels, f) => {
      const payload = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
      parts.push(mkvFramePrefix(timestamps[f]!, payload.length), payload);
    });

    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-mkv-'));
    try {
      const file = path.join(dir, 'clip.mkv');
      await writeFile(file, Buffer.concat(parts));
      const { ffmpeg } = await resolveBinaries();

      const { stdout } = await run(
        ffmpeg,
        ['-v', 'error', '-i', file, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb48le', '-'],
        { encoding: 'buffer', maxBuffer: 1 << 20 },
      );
      const expected = Buffer.concat(frames.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
      expect(stdout.length).toBe(3 * width * height * 6);
      expect(hex(stdout)).toBe(hex(expected));

      // showinfo logs at info level, on stderr.
      const { stderr } = await run(
        ffmpeg,
        ['-hide_banner', '-i', file, '-vf', 'showinfo', '-f', 'null', '-'],
        {
          maxBuffer: 1 << 20,
        },
      );
      const times = [...stderr.matchAll(/pts_time:\s*([\d.]+)/g)].map((m) => Number(m[1]));
      expect(times).toEqual([0, 0.04, 0.1]);
      const sizes = [...stderr.matchAll(/s:(\d+x\d+)/g)].map((m) => m[1]);
      expect(sizes).toEqual(['4x2', '4x2', '4x2']);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 10 });
    }
  });
});

describe('mkv writer + ffmpeg: 4:2:0 pictures and the anchor track', () => {
  it('keeps a first frame at 0.5 s at 0.5 s with the anchor, and ffmpeg shifts it to 0 without', async () => {
    const width = 4;
    const height = 2;
    // Y' then Cb then Cr: 8 + 2 + 2 bytes, every byte different.
    const frames = [0, 1].map((f) => Uint8Array.from({ length: 12 }, (_, k) => 16 + f * 50 + k * 3));
    const clip = (anchor: boolean): Buffer => {
      const parts: Uint8Array[] = [mkvHeader(width, height, 'yuv420p', { anchor })];
      if (anchor) parts.push(mkvAnchor());
      frames.forEach((pixels, f) => parts.push(mkvFramePrefix(500000 + f * 40000, pixels.length), pixels));
      return Buffer.concat(parts);
    };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-mkv-'));
    try {
      const { ffmpeg } = await resolveBinaries();
      const read = async (anchor: boolean): Promise<{ pixels: Buffer; times: number[] }> => {
        const file = path.join(dir, `${anchor}.mkv`);
        await writeFile(file, clip(anchor));
        // The first video stream, as the encoder maps it; ffmpeg shifts the input to start at 0.
        const args = [
          '-hide_banner',
          '-i',
          file,
          '-map',
          '0:v:0',
          '-vf',
          'showinfo',
          '-fps_mode',
          'passthrough',
        ];
        const { stdout, stderr } = await run(
          ffmpeg,
          [...args, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
          {
            encoding: 'buffer',
            maxBuffer: 1 << 20,
          },
        );
        const times = [...stderr.toString().matchAll(/pts_time:\s*([\d.]+)/g)].map((m) => Number(m[1]));
        return { pixels: stdout, times };
      };
      const anchored = await read(true);
      expect(anchored.times).toEqual([0.5, 0.54]);
      expect(hex(anchored.pixels)).toBe(hex(Buffer.concat(frames)));
      expect((await read(false)).times).toEqual([0, 0.04]);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 10 });
    }
  });
});
