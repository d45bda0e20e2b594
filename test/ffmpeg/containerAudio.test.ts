import { describe, expect, it } from 'vitest';
import { audioArgs } from '../../src/ffmpeg/containerAudio.js';

const aac = { codec: 'aac', sampleRate: 44100 };
const pcm48 = { codec: 'pcm_s24le', sampleRate: 48000 };

describe('audioArgs: audio an output container takes', () => {
  it('is copied where the container takes every stream as it is', () => {
    expect(audioArgs('mp4', [aac])).toEqual(['-c:a', 'copy']);
    expect(audioArgs('mov', [pcm48, aac])).toEqual(['-c:a', 'copy']);
    expect(audioArgs('mxf', [pcm48, { codec: 'pcm_s16le', sampleRate: 48000 }])).toEqual(['-c:a', 'copy']);
    expect(audioArgs('mpg', [{ codec: 'mp2', sampleRate: 48000 }])).toEqual(['-c:a', 'copy']);
    // Matroska and NUT take anything.
    expect(audioArgs('mkv', [{ codec: 'pcm_s24le' }, { codec: 'opus' }])).toEqual(['-c:a', 'copy']);
  });

  it('is encoded stream by stream where the container does not take it, the others copied', () => {
    // A master's PCM in an MP4: AAC; its AAC track copied.
    expect(audioArgs('mp4', [aac, pcm48])).toEqual(['-c:a:0', 'copy', '-c:a:1', 'aac', '-b:a:1', '256k']);
    // Opus or FLAC in QuickTime: PCM, as editing tools expect.
    expect(audioArgs('mov', [{ codec: 'flac', sampleRate: 48000 }])).toEqual(['-c:a:0', 'pcm_s24le']);
  });

  it("uses each container's own: MXF's 48 kHz PCM, MPEG's MP2, DVD's AC-3, Ogg's Vorbis, a transport stream's AAC", () => {
    expect(audioArgs('mxf', [aac])).toEqual(['-c:a:0', 'pcm_s24le', '-ar:a:0', '48000']);
    // ffmpeg's MXF muxer takes PCM at 48 kHz only.
    expect(audioArgs('mxf', [{ codec: 'pcm_s16le', sampleRate: 44100 }])).toEqual([
      '-c:a:0',
      'pcm_s24le',
      '-ar:a:0',
      '48000',
    ]);
    expect(audioArgs('mpg', [aac])[1]).toBe('mp2');
    expect(audioArgs('vob', [aac])[1]).toBe('ac3');
    expect(audioArgs('ogv', [aac])[1]).toBe('libvorbis');
    // PCM has no stream type in a transport stream: written there, no player could read it.
    expect(audioArgs('ts', [pcm48])[1]).toBe('aac');
    expect(audioArgs('mpegts', [pcm48])[1]).toBe('aac');
    expect(audioArgs('m4v', [{ codec: 'mp3' }])[1]).toBe('aac');
  });

  it('is Opus in WebM, whatever the source had', () => {
    expect(audioArgs('webm', [{ codec: 'opus', sampleRate: 48000 }])).toEqual(['-c:a', 'libopus']);
  });

  it('is copied where the source is not described (a pipe)', () => {
    expect(audioArgs('mxf', undefined)).toEqual(['-c:a', 'copy']);
  });
});
