import type { AudioTrackInfo } from './probe.js';

/** How audio is encoded for a container: the encoder and its options (`b` for `-b:a`...). */
interface AudioEncoding {
  readonly codec: string;
  readonly options: readonly (readonly [string, string])[];
}

const AAC: AudioEncoding = { codec: 'aac', options: [['b', '256k']] };
const PCM_24: AudioEncoding = { codec: 'pcm_s24le', options: [] };

/** What MPEG program streams (.mpg, .vob) carry: MPEG audio, AC-3, DTS, PCM. */
const MPEG_PS: ReadonlySet<string> = new Set(['mp1', 'mp2', 'mp3', 'ac3', 'dts', 'pcm_dvd', 'pcm_s16be']);
const PCM: readonly string[] = ['pcm_s16le', 'pcm_s16be', 'pcm_s24le', 'pcm_s24be', 'pcm_s32le', 'pcm_f32le'];

/**
 * The audio each container takes as it is (as ffmpeg's muxer writes it and players read it back),
 * and how other audio is encoded for it: AAC where the container's players expect it, PCM where
 * editing tools do (QuickTime, MXF at 48 kHz), the format's own where it has one. Matroska and
 * NUT take anything and are not listed: audio is copied. WebM is written with Opus whatever the
 * source had.
 */
const CONTAINERS: Readonly<
  Record<string, { takes: ReadonlySet<string>; rate?: number; encode: AudioEncoding }>
> = {
  mp4: { takes: new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac', 'opus']), encode: AAC },
  ipod: { takes: new Set(['aac', 'ac3', 'alac']), encode: AAC },
  '3gp': { takes: new Set(['aac']), encode: AAC },
  mov: { takes: new Set(['aac', 'mp3', 'mp2', 'ac3', 'eac3', 'alac', ...PCM]), encode: PCM_24 },
  avi: {
    takes: new Set(['pcm_s16le', 'pcm_s24le', 'pcm_u8', 'mp3', 'mp2', 'ac3', 'aac', 'flac']),
    encode: { codec: 'pcm_s16le', options: [] },
  },
  // Transport streams: a codec without a stream type there is written but unreadable.
  mpegts: { takes: new Set(['aac', 'mp2', 'mp3', 'ac3', 'eac3', 'opus', 'dts']), encode: AAC },
  flv: { takes: new Set(['aac', 'mp3']), encode: AAC },
  // ffmpeg's MXF muxer takes PCM at 48 kHz only.
  mxf: {
    takes: new Set(['pcm_s16le', 'pcm_s24le']),
    rate: 48000,
    encode: { codec: 'pcm_s24le', options: [['ar', '48000']] },
  },
  mpeg: { takes: MPEG_PS, encode: { codec: 'mp2', options: [['b', '384k']] } },
  // DVD's audio.
  vob: { takes: MPEG_PS, encode: { codec: 'ac3', options: [['b', '448k']] } },
  ogg: {
    takes: new Set(['vorbis', 'opus', 'flac', 'speex']),
    encode: { codec: 'libvorbis', options: [['q', '6']] },
  },
};

/** ffmpeg's muxer for an output's `-f` or its file's extension. */
const MUXER_OF: Readonly<Record<string, string>> = {
  m4v: 'ipod',
  m4a: 'ipod',
  mpg: 'mpeg',
  ts: 'mpegts',
  m2ts: 'mpegts',
  mts: 'mpegts',
  ogv: 'ogg',
  svcd: 'mpeg',
  mpeg1video: 'mpeg',
};

/**
 * The audio arguments for an output of `format` (`-f`, or its extension): each stream copied
 * where the container takes it as it is, else encoded for the container, stream by stream; Opus
 * for WebM. Without the source's streams described (a pipe), a copy.
 */
export function audioArgs(format: string, tracks: readonly AudioTrackInfo[] | undefined): string[] {
  if (format === 'webm') return ['-c:a', 'libopus'];
  const rule = CONTAINERS[MUXER_OF[format] ?? format];
  if (!rule || !tracks) return ['-c:a', 'copy'];
  const taken = (t: AudioTrackInfo): boolean =>
    rule.takes.has(t.codec) && (rule.rate === undefined || t.sampleRate === rule.rate);
  if (tracks.every(taken)) return ['-c:a', 'copy'];
  return tracks.flatMap((track, i) =>
    taken(track)
      ? [`-c:a:${i}`, 'copy']
      : [
          `-c:a:${i}`,
          rule.encode.codec,
          ...rule.encode.options.flatMap(([name, value]) => [`-${name}:a:${i}`, value]),
        ],
  );
}
