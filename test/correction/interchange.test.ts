import { describe, expect, it } from 'vitest';
import {
  applyCdl,
  cccFile,
  ccFile,
  cubeFile,
  edlFile,
  fitCdl,
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
});
