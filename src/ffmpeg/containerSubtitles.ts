/**
 * What an output's container does with each subtitle stream of the source. ffmpeg converts text
 * subtitles to text and bitmaps to bitmaps only, so a bitmap stream (a Blu-ray's PGS, a DVD's
 * VobSub) cannot become MP4's text subtitles: asked to, the whole encode failed.
 */

/** Text subtitle codecs, as ffprobe names them. */
const TEXT: ReadonlySet<string> = new Set([
  'subrip',
  'srt',
  'ass',
  'ssa',
  'webvtt',
  'mov_text',
  'text',
  'microdvd',
  'sami',
  'realtext',
  'subviewer',
  'subviewer1',
  'jacosub',
  'mpl2',
  'pjs',
  'stl',
  'vplayer',
  'ttml',
]);

/** A container's subtitles: each text stream encoded as `text`, and the bitmap codecs it copies. */
interface SubtitleRule {
  readonly text?: string;
  readonly bitmaps: ReadonlySet<string> | 'any';
}

const NONE: ReadonlySet<string> = new Set();
const MOV_TEXT: SubtitleRule = { text: 'mov_text', bitmaps: NONE };
const COPY_ALL: SubtitleRule = { text: 'copy', bitmaps: 'any' };

const RULES: Readonly<Record<string, SubtitleRule>> = {
  mkv: COPY_ALL,
  matroska: COPY_ALL,
  nut: COPY_ALL,
  mp4: MOV_TEXT,
  mov: MOV_TEXT,
  m4v: MOV_TEXT,
  ipod: MOV_TEXT,
  '3gp': MOV_TEXT,
  webm: { text: 'webvtt', bitmaps: NONE },
  // Transport streams carry DVB's bitmap subtitles and teletext; text has no stream type there.
  ts: { bitmaps: new Set(['dvb_subtitle', 'dvb_teletext']) },
  m2ts: { bitmaps: new Set(['dvb_subtitle', 'dvb_teletext', 'hdmv_pgs_subtitle']) },
  mts: { bitmaps: new Set(['dvb_subtitle', 'dvb_teletext', 'hdmv_pgs_subtitle']) },
  mpegts: { bitmaps: new Set(['dvb_subtitle', 'dvb_teletext']) },
};

/** The subtitle arguments for an output, and the source's streams it cannot hold. */
export interface SubtitlePlan {
  readonly args: string[];
  /** Streams left out, as `#N codec` (N counts the source's subtitle streams from 0). */
  readonly leftOut: string[];
}

/**
 * The subtitle arguments for an output of `format` (`-f`, or its extension): each of the
 * source's subtitle streams (`codecs`, in order) copied, encoded as the container's text format,
 * or left out where the container cannot hold it. Without the source's streams described (a
 * pipe), MP4 and QuickTime map every stream as text and Matroska and NUT copy them, as before the
 * codecs were read; other containers get none.
 */
export function subtitleArgs(format: string, codecs: readonly string[] | undefined): SubtitlePlan {
  const rule = RULES[format];
  if (!codecs) {
    // As before the source's codecs were read: MP4's text and Matroska's copies only.
    if (rule !== MOV_TEXT && rule !== COPY_ALL) return { args: [], leftOut: [] };
    return { args: ['-map', '0:s?', '-c:s', rule.text!], leftOut: [] };
  }
  const actions = codecs.map((codec) => {
    if (!rule) return undefined;
    if (TEXT.has(codec)) return rule.text;
    return rule.bitmaps === 'any' || rule.bitmaps.has(codec) ? 'copy' : undefined;
  });
  const leftOut = codecs.flatMap((codec, i) => (actions[i] === undefined ? [`#${i} ${codec}`] : []));
  const kept = actions.flatMap((action, i) => (action === undefined ? [] : [{ i, action }]));
  if (kept.length === 0) return { args: [], leftOut };
  if (leftOut.length === 0 && kept.every((k) => k.action === kept[0]!.action)) {
    return { args: ['-map', '0:s?', '-c:s', kept[0]!.action], leftOut };
  }
  const args = kept.flatMap(({ i, action }, out) => ['-map', `0:s:${i}`, `-c:s:${out}`, action]);
  return { args, leftOut };
}
