import { describe, expect, it } from 'vitest';
import { subtitleArgs } from '../../src/ffmpeg/containerSubtitles.js';

describe("subtitleArgs: the source's subtitles in an output container", () => {
  it('Matroska and NUT copy every stream, text or bitmap', () => {
    expect(subtitleArgs('mkv', ['hdmv_pgs_subtitle', 'subrip'])).toEqual({
      args: ['-map', '0:s?', '-c:s', 'copy'],
      leftOut: [],
    });
    expect(subtitleArgs('nut', ['dvd_subtitle']).args).toEqual(['-map', '0:s?', '-c:s', 'copy']);
  });

  it('MP4 and QuickTime take text as mov_text and leave bitmaps out, naming them (ffmpeg cannot turn a bitmap into text)', () => {
    expect(subtitleArgs('mp4', ['subrip', 'ass'])).toEqual({
      args: ['-map', '0:s?', '-c:s', 'mov_text'],
      leftOut: [],
    });
    expect(subtitleArgs('mov', ['hdmv_pgs_subtitle', 'subrip', 'dvd_subtitle'])).toEqual({
      args: ['-map', '0:s:1', '-c:s:0', 'mov_text'],
      leftOut: ['#0 hdmv_pgs_subtitle', '#2 dvd_subtitle'],
    });
    expect(subtitleArgs('m4v', ['hdmv_pgs_subtitle'])).toEqual({
      args: [],
      leftOut: ['#0 hdmv_pgs_subtitle'],
    });
  });

  it("WebM takes text as WebVTT; a transport stream copies DVB's bitmaps and teletext", () => {
    expect(subtitleArgs('webm', ['subrip']).args).toEqual(['-map', '0:s?', '-c:s', 'webvtt']);
    expect(subtitleArgs('ts', ['dvb_subtitle', 'subrip', 'dvb_teletext'])).toEqual({
      args: ['-map', '0:s:0', '-c:s:0', 'copy', '-map', '0:s:2', '-c:s:1', 'copy'],
      leftOut: ['#1 subrip'],
    });
  });

  it('other containers write none, and say which were left out', () => {
    expect(subtitleArgs('avi', ['subrip'])).toEqual({ args: [], leftOut: ['#0 subrip'] });
    expect(subtitleArgs('mp4', [])).toEqual({ args: [], leftOut: [] });
  });

  it('a source not described (a pipe): MP4 maps every stream as text, Matroska copies, others write none', () => {
    expect(subtitleArgs('mp4', undefined).args).toEqual(['-map', '0:s?', '-c:s', 'mov_text']);
    expect(subtitleArgs('mkv', undefined).args).toEqual(['-map', '0:s?', '-c:s', 'copy']);
    expect(subtitleArgs('webm', undefined).args).toEqual([]);
    expect(subtitleArgs('avi', undefined).args).toEqual([]);
  });
});
