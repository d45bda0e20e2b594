/**
 * A minimal Matroska writer for one uncompressed video track (RGB, or 8-bit 4:2:0 Y'CbCr) with
 * exact timestamps.
 *
 * Why it exists: the encoder's ffmpeg applies one Hald CLUT per frame (`haldclut`), and the
 * `haldclut` filter pairs each source frame with the CLUT frame whose timestamp is the latest one
 * at or before the source frame's. Raw video on a pipe has no timestamps (ffmpeg invents a constant
 * rate), which breaks the pairing for variable-frame-rate sources. Matroska carries a timestamp per
 * block, is streamable (unknown-size Segment), and ffmpeg 4.1 and later read `V_UNCOMPRESSED` with a
 * FourCC in `ColourSpace`. Timestamps are in microseconds (TimestampScale 1000 ns); every frame gets
 * its own Cluster, so the 16-bit relative block timestamp is always 0.
 */

export type RawVideoFormat = 'rgb24' | 'rgb48le' | 'yuv420p' | 'yuvj420p';

/** FourCCs ffmpeg's raw pixel-format table maps to these formats. */
const FOURCC: Record<RawVideoFormat, Uint8Array> = {
  rgb24: Uint8Array.of(0x52, 0x47, 0x42, 24), // 'R','G','B',24
  rgb48le: Uint8Array.of(0x52, 0x47, 0x42, 48), // 'R','G','B',48
  yuv420p: Uint8Array.of(0x49, 0x34, 0x32, 0x30), // 'I420'
  yuvj420p: Uint8Array.of(0x4a, 0x34, 0x32, 0x30), // 'J420'
};

const UNKNOWN_SIZE = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

function idBytes(id: number): Uint8Array {
  const bytes: number[] = [];
  let v = id;
  while (v > 0) {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Uint8Array.from(bytes);
}

/** EBML variable-length size, always 8 bytes long (simple and valid for any size we write). */
function sizeBytes(size: number): Uint8Array {
  const out = new Uint8Array(8);
  out[0] = 0x01;
  let v = size;
  for (let i = 7; i >= 1; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

function uintBytes(value: number): Uint8Array {
  const out = new Uint8Array(8);
  let v = value;
  for (let i = 7; i >= 0; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function element(id: number, payload: Uint8Array): Uint8Array {
  return concat([idBytes(id), sizeBytes(payload.length), payload]);
}

const uint = (id: number, value: number) => element(id, uintBytes(value));
const str = (id: number, value: string) => element(id, new TextEncoder().encode(value));
const master = (id: number, children: readonly Uint8Array[]) => element(id, concat(children));

/**
 * The EBML header, Segment start, Info and Tracks: everything before the first frame.
 *
 * `anchor` adds a second track (2x2 rgb24) for {@link mkvAnchor}'s one block at time 0. ffmpeg
 * shifts each input so that it starts at 0 (its earliest timestamp over all tracks); a stream whose
 * first frame is later than 0 (a source whose video starts after its audio) keeps its timestamps
 * only when another track starts at 0. The reader maps track 1 and never decodes the anchor.
 */
export function mkvHeader(
  width: number,
  height: number,
  format: RawVideoFormat,
  { anchor = false }: { anchor?: boolean } = {},
): Uint8Array {
  const ebml = master(0x1a45dfa3, [
    uint(0x4286, 1),
    uint(0x42f7, 1),
    uint(0x42f2, 4),
    uint(0x42f3, 8),
    str(0x4282, 'matroska'),
    uint(0x4287, 4),
    uint(0x4285, 2),
  ]);
  const info = master(0x1549a966, [uint(0x2ad7b1, 1000), str(0x4d80, 'vgrade'), str(0x5741, 'vgrade')]);
  const video = master(0xe0, [uint(0xb0, width), uint(0xba, height), element(0x2eb524, FOURCC[format])]);
  const track = master(0xae, [
    uint(0xd7, 1),
    uint(0x73c5, 1),
    uint(0x83, 1),
    uint(0x9c, 0),
    str(0x86, 'V_UNCOMPRESSED'),
    video,
  ]);
  const anchorTrack = master(0xae, [
    uint(0xd7, 2),
    uint(0x73c5, 2),
    uint(0x83, 1),
    uint(0x9c, 0),
    str(0x86, 'V_UNCOMPRESSED'),
    master(0xe0, [uint(0xb0, 2), uint(0xba, 2), element(0x2eb524, FOURCC.rgb24)]),
  ]);
  const tracks = master(0x1654ae6b, anchor ? [track, anchorTrack] : [track]);
  return concat([ebml, idBytes(0x18538067), UNKNOWN_SIZE, info, tracks]);
}

/** The anchor track's only block, at time 0 (a black 2x2 picture): write it after the header. */
export function mkvAnchor(): Uint8Array {
  const pixels = new Uint8Array(2 * 2 * 3);
  return concat([clusterPrefix(0, 2, pixels.length), pixels]);
}

/**
 * The bytes that precede one frame's pixels: a Cluster holding its timestamp and one SimpleBlock
 * header. Write this, then the `payloadLength` pixel bytes, so the pixels are never copied.
 */
export function mkvFramePrefix(timestampMicros: number, payloadLength: number): Uint8Array {
  return clusterPrefix(timestampMicros, 1, payloadLength);
}

function clusterPrefix(timestampMicros: number, trackNumber: 1 | 2, payloadLength: number): Uint8Array {
  const timestamp = uint(0xe7, timestampMicros);
  // SimpleBlock payload: the track number as a 1-byte vint, int16 relative timestamp 0, flags keyframe.
  const blockHead = Uint8Array.of(0x80 | trackNumber, 0x00, 0x00, 0x80);
  const simpleBlockHead = concat([idBytes(0xa3), sizeBytes(blockHead.length + payloadLength), blockHead]);
  const clusterSize = timestamp.length + simpleBlockHead.length + payloadLength;
  return concat([idBytes(0x1f43b675), sizeBytes(clusterSize), timestamp, simpleBlockHead]);
}
