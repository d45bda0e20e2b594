import { UsageError } from '../util/errors.js';

/** What kind of thing a preview source is, and how ffmpeg must open it. */
export interface LiveInput {
  readonly kind: 'lavfi' | 'v4l2' | 'network' | 'file';
  /** For messages. */
  readonly label: string;
  /** Everything before and including `-i TARGET`. */
  readonly args: readonly string[];
}

const NETWORK = /^(rtsp|rtsps|rtmp|rtmps|http|https|udp|rtp|srt|tcp):\/\//i;

/**
 * Reads `--input SOURCE`: `lavfi:GRAPH` (an ffmpeg test source, e.g. `lavfi:testsrc2=size=1280x720:rate=25`),
 * a V4L2 device (`/dev/video0`), a network stream (`rtsp://`, `http://`, `udp://`, `srt://`...)
 * or a file. Network sources are opened without input buffering; lavfi sources and files are
 * read at their own rate (`-re`), files in a loop, so each behaves like a camera.
 */
export function parseLiveInput(source: string): LiveInput {
  if (!source)
    throw new UsageError('E_USAGE', '--input needs a source: lavfi:GRAPH, /dev/videoN, a URL or a file');
  if (source.startsWith('lavfi:')) {
    const graph = source.slice('lavfi:'.length);
    if (!graph)
      throw new UsageError(
        'E_USAGE',
        'lavfi: needs a filter graph, e.g. lavfi:testsrc2=size=1280x720:rate=25',
      );
    return { kind: 'lavfi', label: source, args: ['-re', '-f', 'lavfi', '-i', graph] };
  }
  if (/^\/dev\/video\d+$/.test(source)) {
    return { kind: 'v4l2', label: source, args: ['-f', 'v4l2', '-i', source] };
  }
  if (NETWORK.test(source)) {
    const rtsp = /^rtsps?:/i.test(source) ? ['-rtsp_transport', 'tcp'] : [];
    // Stall detection is ours (see LiveSource); ffmpeg's own timeout only ends a dead socket.
    return {
      kind: 'network',
      label: source,
      args: [
        ...rtsp,
        '-fflags',
        'nobuffer',
        '-flags',
        'low_delay',
        '-probesize',
        '500000',
        '-analyzeduration',
        '500000',
        '-i',
        source,
      ],
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    throw new UsageError('E_USAGE', `--input ${source}: this kind of URL is not a live source vgrade opens`);
  }
  return {
    kind: 'file',
    label: source,
    args: ['-re', '-stream_loop', '-1', '-i', source.startsWith('-') ? `file:${source}` : source],
  };
}
