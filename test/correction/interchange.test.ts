import { describe, expect, it } from 'vitest';
import {
  applyCdl,
  cccFile,
  ccFile,
  cubeFile,
  edlFile,
  fitCdl,
  parseTimecode,
  timecode,
  type Cdl,
} from '../../src/correction/interchange.js';
import { fillLut, identityLut } from '../../src/correction/lut3d.js';

const known: Cdl = {
  slope: [1.1, 0.9, 1.05],
  offset: [0.02, -0.01, 0],
  power: [0.9, 1.1, 1],
  saturation: 0.8,
  rmsError: 0,
};

describe('ASC CDL', () => {
  it('fits back a CDL from the LUT it makes', () => {
    const lut = fillLut(17, (r, g, b, out) => {
      const o = applyCdl(known, [r, g, b]);
      out[0] = o[0]!;
      out[1] = o[1]!;
      out[2] = o[2]!;
    });
    const fit = fitCdl(lut);
    expect(fit.rmsError).toBeLessThan(0.003);
    for (let c = 0; c < 3; c++) {
      expect(fit.slope[c]).toBeCloseTo(known.slope[c]!, 1);
      expect(fit.power[c]).toBeCloseTo(known.power[c]!, 1);
    }
    expect(fit.saturation).toBeCloseTo(0.8, 1);
  });

  it('is the identity for the identity LUT', () => {
    const fit = fitCdl(identityLut(9));
    expect(fit.slope.map((v) => +v.toFixed(3))).toEqual([1, 1, 1]);
    expect(fit.offset.map((v) => Math.abs(+v.toFixed(3)))).toEqual([0, 0, 0]);
    expect(fit.power).toEqual([1, 1, 1].map((v) => expect.closeTo(v, 6)));
    expect(fit.saturation).toBeCloseTo(1, 3);
    expect(fit.rmsError).toBeLessThan(1e-4);
  });

  it('writes .cc and .ccc in the ASC namespace, with the fit error in the description', () => {
    const cc = ccFile('clip.shot-000', known);
    expect(cc).toContain('<ColorCorrection xmlns="urn:ASC:CDL:v1.01" id="clip.shot-000">');
    expect(cc).toContain('<Slope>1.1 0.9 1.05</Slope>');
    expect(cc).toContain('<Offset>0.02 -0.01 0</Offset>');
    expect(cc).toContain('<Saturation>0.8</Saturation>');
    expect(cc).toMatch(/RMS difference 0\.0000/);
    const ccc = cccFile([
      { id: 'a', cdl: known },
      { id: 'b', cdl: known },
    ]);
    expect(ccc.match(/<ColorCorrection id=/g)).toHaveLength(2);
    expect(ccc).toContain('<ColorCorrectionCollection xmlns="urn:ASC:CDL:v1.01">');
  });
});

describe('.cube and EDL', () => {
  it('writes LUT_3D_SIZE and size^3 lines, red fastest', () => {
    const text = cubeFile(identityLut(5), 3, 'x');
    const lines = text.trim().split('\n');
    expect(lines.slice(0, 4)).toEqual(['TITLE "x"', 'LUT_3D_SIZE 3', 'DOMAIN_MIN 0 0 0', 'DOMAIN_MAX 1 1 1']);
    expect(lines).toHaveLength(4 + 27);
    expect(lines[5]).toBe('0.500000 0.000000 0.000000');
    expect(lines[7]).toBe('0.000000 0.500000 0.000000');
  });

  it("writes CMX 3600 events with ASC_SOP and ASC_SAT, timecode at the clip's rate", () => {
    expect(timecode(0, 25)).toBe('00:00:00:00');
    expect(timecode(25 * 3661 + 7, 25)).toBe('01:01:01:07');
    const edl = edlFile('clip', 'clip.mp4', 25, [
      { id: 's0', from: 0, to: 49, cdl: known },
      { id: 's1', from: 50, to: 99, cdl: known },
    ]);
    expect(edl).toContain('001  AX       V     C        00:00:00:00 00:00:02:00 00:00:00:00 00:00:02:00');
    expect(edl).toContain('002  AX       V     C        00:00:02:00 00:00:04:00 00:00:02:00 00:00:04:00');
    expect(edl).toContain('*ASC_SOP (1.1 0.9 1.05)(0.02 -0.01 0)(0.9 1.1 1)');
    expect(edl).toContain('*ASC_SAT 0.8');
  });

  it("counts events from the clip's own start timecode, so a colourist's tool finds them in the clip", () => {
    const shots = [{ id: 's0', from: 0, to: 49, cdl: known }];
    expect(edlFile('clip', 'clip.mov', 25, shots, '10:00:00:00')).toContain(
      '001  AX       V     C        10:00:00:00 10:00:02:00 10:00:00:00 10:00:02:00',
    );
    // Drop-frame at 29.97: the header says so, and the count skips ;00 and ;01 past each minute
    // but every tenth.
    const dropFrame = edlFile(
      'clip',
      'clip.mov',
      30000 / 1001,
      [{ id: 's0', from: 0, to: 59, cdl: known }],
      '00:59:59;28',
    );
    expect(dropFrame).toContain('FCM: DROP FRAME');
    expect(dropFrame).toContain('00:59:59;28 01:00:01;28');
    expect(
      edlFile('clip', 'clip.mov', 30000 / 1001, [{ id: 's0', from: 0, to: 1, cdl: known }], '00:00:59;28'),
    ).toContain('00:00:59;28 00:01:00;02');
  });
});

describe('timecode', () => {
  it('writes and reads non-drop timecode at the nearest integer rate', () => {
    expect(timecode(25 * 3661 + 7, 25)).toBe('01:01:01:07');
    expect(parseTimecode('01:01:01:07', 25)).toEqual({ frames: 25 * 3661 + 7, dropFrame: false });
    expect(timecode(24 * 60, 24000 / 1001)).toBe('00:01:00:00');
  });

  it('writes and reads drop-frame timecode at 29.97 and 59.94 (SMPTE 12M)', () => {
    // A minute of 29.97 drops labels ;00 and ;01, but not the tenth minute.
    expect(timecode(1800, 30000 / 1001, true)).toBe('00:01:00;02');
    expect(timecode(17982, 30000 / 1001, true)).toBe('00:10:00;00');
    expect(timecode(3600, 60000 / 1001, true)).toBe('00:01:00;04');
    for (const frames of [0, 1799, 1800, 17981, 17982, 107892, 123456]) {
      expect(parseTimecode(timecode(frames, 30000 / 1001, true), 30000 / 1001)).toEqual({
        frames,
        dropFrame: true,
      });
    }
  });

  it('reads nothing from what is not a timecode', () => {
    expect(parseTimecode('1:00:00:00', 25)).toBeUndefined();
    expect(parseTimecode('00:61:00:00', 25)).toBeUndefined();
    expect(parseTimecode('00:00:00:25', 25)).toBeUndefined();
  });
});
