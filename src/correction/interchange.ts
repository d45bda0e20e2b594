/**
 * Corrections in the formats colourists' tools read.
 *
 * - `.cube` (Resolve/Adobe 3D LUT): `LUT_3D_SIZE n`, then n^3 lines of "r g b", red fastest, on
 *   the [0, 1] domain. Read by DaVinci Resolve, Nuke, Premiere and ffmpeg's lut3d.
 * - ASC CDL: per channel out = clamp(in * slope + offset) ^ power, then saturation around Rec. 709
 *   luma: out = Y + sat (out - Y). As `.cc` (one ColorCorrection), `.ccc` (a collection) and a CMX
 *   3600 EDL with `*ASC_SOP` / `*ASC_SAT` comments per event (how Resolve takes a CDL per shot).
 *
 * A CDL is ten numbers; a network's correction is a full 3D LUT. `fitCdl` finds the CDL nearest to
 * a LUT (least squares over a 9^3 lattice of colours: for each power, slope and offset by linear
 * regression in the power's domain, clipped colours left out; saturation by regression around
 * luma; six rounds; then all ten numbers refined together by coordinate descent) and reports
 * how far it stays from the LUT (RMS, in 0..1 units), so the colourist knows when the `.cube` is
 * the one to use.
 */
import { sampleLut, type Lut3d } from './lut3d.js';

export interface Cdl {
  readonly slope: [number, number, number];
  readonly offset: [number, number, number];
  readonly power: [number, number, number];
  readonly saturation: number;
  /** RMS difference from the LUT it was fitted to, over the fitting lattice (0..1 units). */
  readonly rmsError: number;
}

export const IDENTITY_CDL: Cdl = {
  slope: [1, 1, 1],
  offset: [0, 0, 0],
  power: [1, 1, 1],
  saturation: 1,
  rmsError: 0,
};

const LUMA = [0.2126, 0.7152, 0.0722] as const;
const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

export function applyCdl(cdl: Cdl, rgb: readonly number[], out: number[] = [0, 0, 0]): number[] {
  for (let c = 0; c < 3; c++)
    out[c] = Math.pow(clamp01(rgb[c]! * cdl.slope[c]! + cdl.offset[c]!), cdl.power[c]!);
  const y = LUMA[0] * out[0]! + LUMA[1] * out[1]! + LUMA[2] * out[2]!;
  for (let c = 0; c < 3; c++) out[c] = clamp01(y + cdl.saturation * (out[c]! - y));
  return out;
}

/** The CDL nearest to a LUT. */
export function fitCdl(lut: Lut3d, lattice = 9): Cdl {
  const inputs: number[][] = [];
  const targets: number[][] = [];
  const px = new Float32Array(3);
  for (let b = 0; b < lattice; b++) {
    for (let g = 0; g < lattice; g++) {
      for (let r = 0; r < lattice; r++) {
        const rgb = [r / (lattice - 1), g / (lattice - 1), b / (lattice - 1)];
        sampleLut(lut, rgb[0]!, rgb[1]!, rgb[2]!, px);
        inputs.push(rgb);
        targets.push([px[0]!, px[1]!, px[2]!]);
      }
    }
  }
  let saturation = 1;
  const slope: [number, number, number] = [1, 1, 1];
  const offset: [number, number, number] = [0, 0, 0];
  const power: [number, number, number] = [1, 1, 1];
  for (let round = 0; round < 6; round++) {
    // Undo the current saturation on the targets, then fit each channel's slope, offset, power.
    const unsat = targets.map((t) => {
      const y = LUMA[0] * t[0]! + LUMA[1] * t[1]! + LUMA[2] * t[2]!;
      return t.map((v) => y + (v - y) / saturation);
    });
    for (let c = 0; c < 3; c++) {
      let best = { err: Infinity, s: 1, o: 0, p: 1 };
      for (let p = 0.4; p <= 2.5001; p += 0.02) {
        // Linear regression of target^(1/p) on input.
        let sx = 0;
        let sy = 0;
        let sxx = 0;
        let sxy = 0;
        let n = 0;
        for (let i = 0; i < inputs.length; i++) {
          // Clipped targets say only "at least 1" or "at most 0": the clamp in the CDL covers them.
          const t = unsat[i]![c]!;
          if (t >= 0.999 || t <= 0.001) continue;
          const x = inputs[i]![c]!;
          const y = Math.pow(t, 1 / p);
          sx += x;
          sy += y;
          sxx += x * x;
          sxy += x * y;
          n++;
        }
        const s = (n * sxy - sx * sy) / Math.max(1e-12, n * sxx - sx * sx);
        const o = (sy - s * sx) / n;
        let err = 0;
        for (let i = 0; i < inputs.length; i++) {
          const d = Math.pow(clamp01(inputs[i]![c]! * s + o), p) - unsat[i]![c]!;
          err += d * d;
        }
        if (err < best.err) best = { err, s, o, p };
      }
      slope[c] = best.s;
      offset[c] = best.o;
      power[c] = best.p;
    }
    // Saturation by regression of (target - Y) on (SOP output - Y).
    let num = 0;
    let den = 0;
    for (let i = 0; i < inputs.length; i++) {
      const o = [0, 1, 2].map((c) => Math.pow(clamp01(inputs[i]![c]! * slope[c]! + offset[c]!), power[c]!));
      const y = LUMA[0] * o[0]! + LUMA[1] * o[1]! + LUMA[2] * o[2]!;
      for (let c = 0; c < 3; c++) {
        num += (o[c]! - y) * (targets[i]![c]! - y);
        den += (o[c]! - y) ** 2;
      }
    }
    saturation = den > 1e-12 ? Math.max(0, num / den) : 1;
  }
  // A joint refinement of all ten numbers (coordinate descent with shrinking steps): the rounds
  // above fit the parts one after another and leave what couples them (clamps, saturation).
  const params = [...slope, ...offset, ...power, saturation];
  const toCdl = (p: number[]): Cdl => ({
    slope: [p[0]!, p[1]!, p[2]!],
    offset: [p[3]!, p[4]!, p[5]!],
    power: [p[6]!, p[7]!, p[8]!],
    saturation: p[9]!,
    rmsError: 0,
  });
  const out = [0, 0, 0];
  const cost = (p: number[]): number => {
    const cdl = toCdl(p);
    let sq = 0;
    for (let i = 0; i < inputs.length; i++) {
      applyCdl(cdl, inputs[i]!, out);
      for (let c = 0; c < 3; c++) sq += (out[c]! - targets[i]![c]!) ** 2;
    }
    return sq;
  };
  let best = cost(params);
  for (let step = 0.05; step > 1e-4; step /= 2) {
    let improved = true;
    for (let pass = 0; improved && pass < 20; pass++) {
      improved = false;
      for (let k = 0; k < params.length; k++) {
        for (const dir of [1, -1]) {
          const trial = params.slice();
          trial[k]! += dir * step;
          if (k >= 6 && trial[k]! <= 0.05) continue; // powers and saturation stay positive
          const c = cost(trial);
          if (c < best) {
            best = c;
            params[k] = trial[k]!;
            improved = true;
          }
        }
      }
    }
  }
  return { ...toCdl(params), rmsError: Math.sqrt(best / (inputs.length * 3)) };
}

const num = (v: number): string => {
  const s = v.toFixed(6);
  return s.replace(/\.?0+$/, '') || '0';
};

/** A `.cube` file of the LUT resampled to `size` points per axis (33 is what Resolve expects). */
export function cubeFile(lut: Lut3d, size: number, title: string): string {
  const lines = [
    `TITLE "${title.replace(/"/g, "'")}"`,
    `LUT_3D_SIZE ${size}`,
    'DOMAIN_MIN 0 0 0',
    'DOMAIN_MAX 1 1 1',
  ];
  const px = new Float32Array(3);
  const step = 1 / (size - 1);
  for (let b = 0; b < size; b++) {
    for (let g = 0; g < size; g++) {
      for (let r = 0; r < size; r++) {
        sampleLut(lut, r * step, g * step, b * step, px);
        lines.push(
          `${clamp01(px[0]!).toFixed(6)} ${clamp01(px[1]!).toFixed(6)} ${clamp01(px[2]!).toFixed(6)}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function correctionXml(id: string, cdl: Cdl, description: string, indent: string): string {
  return [
    `${indent}<ColorCorrection id="${escapeXml(id)}">`,
    `${indent}  <Description>${escapeXml(description)}</Description>`,
    `${indent}  <SOPNode>`,
    `${indent}    <Slope>${cdl.slope.map(num).join(' ')}</Slope>`,
    `${indent}    <Offset>${cdl.offset.map(num).join(' ')}</Offset>`,
    `${indent}    <Power>${cdl.power.map(num).join(' ')}</Power>`,
    `${indent}  </SOPNode>`,
    `${indent}  <SatNode>`,
    `${indent}    <Saturation>${num(cdl.saturation)}</Saturation>`,
    `${indent}  </SatNode>`,
    `${indent}</ColorCorrection>`,
  ].join('\n');
}

function describeFit(cdl: Cdl): string {
  return `fitted by vgrade to the shot's 3D LUT; RMS difference ${cdl.rmsError.toFixed(4)} (0..1 units)`;
}

/** One `.cc` file. */
export function ccFile(id: string, cdl: Cdl): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${correctionXml(id, cdl, describeFit(cdl), '').replace('<ColorCorrection ', '<ColorCorrection xmlns="urn:ASC:CDL:v1.01" ')}\n`;
}

/** A `.ccc` collection of every shot's correction. */
export function cccFile(shots: ReadonlyArray<{ id: string; cdl: Cdl }>): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ColorCorrectionCollection xmlns="urn:ASC:CDL:v1.01">',
    ...shots.map((s) => correctionXml(s.id, s.cdl, describeFit(s.cdl), '  ')),
    '</ColorCorrectionCollection>',
    '',
  ].join('\n');
}

/**
 * Frames dropped from the count each minute (but every tenth) in drop-frame timecode: 2 at
 * 29.97, 4 at 59.94 (SMPTE 12M); 0 where the rate has no drop-frame form.
 */
function droppedPerMinute(rate: number): number {
  return rate % 30 === 0 ? rate / 15 : 0;
}

/**
 * Frames as SMPTE timecode at the clip's rate (counted at the nearest integer rate): non-drop,
 * or with `dropFrame` (29.97 and 59.94 only), drop-frame, written with `;` before the frames.
 */
export function timecode(frame: number, fps: number, dropFrame = false): string {
  let f = Math.max(0, Math.round(frame));
  const rate = Math.max(1, Math.round(fps));
  const drop = dropFrame ? droppedPerMinute(rate) : 0;
  if (drop > 0) {
    // Back to the labels that count every frame: the dropped labels are skipped over.
    const perTen = rate * 600 - drop * 9;
    const perMinute = rate * 60 - drop;
    const tens = Math.floor(f / perTen);
    const rest = f % perTen;
    f += drop * 9 * tens + (rest > drop ? drop * Math.floor((rest - drop) / perMinute) : 0);
  }
  const ff = f % rate;
  const totalSeconds = Math.floor(f / rate);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${drop > 0 ? ';' : ':'}${pad(ff)}`;
}

/**
 * A timecode (`HH:MM:SS:FF`, or drop-frame `HH:MM:SS;FF`) as frames from 00:00:00:00 at the
 * clip's rate, and whether it counts drop-frame; undefined for anything else.
 */
export function parseTimecode(text: string, fps: number): { frames: number; dropFrame: boolean } | undefined {
  const m = /^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const [h, min, sec, frames] = [m[1], m[2], m[3], m[5]].map(Number) as [number, number, number, number];
  const rate = Math.max(1, Math.round(fps));
  const drop = m[4] === ';' || m[4] === ',' ? droppedPerMinute(rate) : 0;
  if (min > 59 || sec > 59 || frames >= rate) return undefined;
  const minutes = h * 60 + min;
  const count = (minutes * 60 + sec) * rate + frames - drop * (minutes - Math.floor(minutes / 10));
  return { frames: count, dropFrame: drop > 0 };
}

/**
 * A CMX 3600 EDL: one event per shot over the same clip (source and record times equal), each
 * with its CDL as `*ASC_SOP` and `*ASC_SAT` (the form DaVinci Resolve imports). Times count from
 * the clip's own start timecode (`start`, drop-frame where it is), so that a colourist's tool
 * finds each event in the clip; from 00:00:00:00 where the clip has none.
 */
export function edlFile(
  title: string,
  clip: string,
  fps: number,
  shots: ReadonlyArray<{ id: string; from: number; to: number; cdl: Cdl }>,
  start?: string,
): string {
  const origin = start === undefined ? undefined : parseTimecode(start, fps);
  const first = origin?.frames ?? 0;
  const dropFrame = origin?.dropFrame ?? false;
  const lines = [`TITLE: ${title}`, `FCM: ${dropFrame ? 'DROP FRAME' : 'NON-DROP FRAME'}`, ''];
  shots.forEach((s, i) => {
    const inTc = timecode(first + s.from, fps, dropFrame);
    const outTc = timecode(first + s.to + 1, fps, dropFrame);
    lines.push(
      `${String(i + 1).padStart(3, '0')}  AX       V     C        ${inTc} ${outTc} ${inTc} ${outTc}`,
    );
    lines.push(`* FROM CLIP NAME: ${clip}`);
    lines.push(
      `*ASC_SOP (${s.cdl.slope.map(num).join(' ')})(${s.cdl.offset.map(num).join(' ')})(${s.cdl.power.map(num).join(' ')})`,
    );
    lines.push(`*ASC_SAT ${num(s.cdl.saturation)}`);
    lines.push('');
  });
  return lines.join('\n');
}
