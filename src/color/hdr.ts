/**
 * HDR pictures seen as SDR, and corrections made on that view carried back: how vgrade grades PQ
 * and HLG sources with networks and inverses that know SDR pictures only.
 *
 * The SDR view (BT.2100 and BT.2408's conventions):
 * - the signal becomes display light relative to HDR reference white (203 cd/m², BT.2408): PQ by
 *   its EOTF over 203; HLG by its inverse OETF, scaled so that the reference signal 0.75 gives 1,
 *   then its OOTF (system gamma 1.2 on the luminance, as a 1000 cd/m² display shows it);
 * - BT.2020's primaries become BT.709's (a 3x3 in linear light);
 * - the light is coded for an SDR display (BT.1886: a power of 1/2.4), reference white at SDR
 *   white. What lies outside [0, 1] (highlights above reference white, colours outside BT.709) is
 *   clipped in the view.
 *
 * An HLG copy of an SDR clip made by ffmpeg's zscale (npl=203) comes back through this view
 * within 1.8 codes of the SDR original on average (640x360, the shipped sample).
 *
 * A correction (a LUT on the SDR view) is carried to the HDR signal by composing it with the view
 * and its inverse, lattice point by lattice point. The part of a colour the view clipped is put
 * back after the correction: below 0 as it was, above 1 scaled by what the correction does to
 * white. So the identity stays the identity, and highlights keep their headroom.
 */
import { fillLut, sampleLut, type Lut3d } from '../correction/lut3d.js';

export type HdrTransfer = 'PQ' | 'HLG';

/** BT.2408's HDR reference white, in cd/m². */
const REFERENCE_WHITE = 203;
/** BT.1886's SDR display gamma. */
const SDR_GAMMA = 2.4;

// SMPTE ST 2084 (PQ).
const PQ_M1 = 2610 / 16384;
const PQ_M2 = (2523 / 4096) * 128;
const PQ_C1 = 3424 / 4096;
const PQ_C2 = (2413 / 4096) * 32;
const PQ_C3 = (2392 / 4096) * 32;
const PQ_PEAK = 10000;

// BT.2100 HLG.
const HLG_A = 0.17883277;
const HLG_B = 1 - 4 * HLG_A;
const HLG_C = 0.5 - HLG_A * Math.log(4 * HLG_A);
const HLG_GAMMA = 1.2;
const HLG_REFERENCE_SIGNAL = 0.75;

/** BT.2020 luminance weights. */
const LUMA_2020 = [0.2627, 0.678, 0.0593] as const;

/** Linear BT.2020 RGB to linear BT.709 RGB (BT.2087's matrix inverted), rows by output channel. */
const BT2020_TO_BT709 = [
  1.660491, -0.58764114, -0.07284986, -0.12455047, 1.1328999, -0.00834942, -0.01815076, -0.1005789,
  1.11872966,
] as const;
/** Linear BT.709 RGB to linear BT.2020 RGB (BT.2087). */
const BT709_TO_BT2020 = [
  0.6274039, 0.32928304, 0.04331307, 0.06909729, 0.9195404, 0.01136232, 0.01639144, 0.08801331, 0.89559525,
] as const;

function pqToNits(signal: number): number {
  const p = Math.pow(Math.max(signal, 0), 1 / PQ_M2);
  return PQ_PEAK * Math.pow(Math.max(p - PQ_C1, 0) / (PQ_C2 - PQ_C3 * p), 1 / PQ_M1);
}

function nitsToPq(nits: number): number {
  const y = Math.pow(Math.min(Math.max(nits, 0) / PQ_PEAK, 1), PQ_M1);
  return Math.pow((PQ_C1 + PQ_C2 * y) / (1 + PQ_C3 * y), PQ_M2);
}

/** HLG's inverse OETF: scene light in [0, 1] from the signal. */
function hlgToScene(signal: number): number {
  const e = Math.min(Math.max(signal, 0), 1);
  return e <= 0.5 ? (e * e) / 3 : (Math.exp((e - HLG_C) / HLG_A) + HLG_B) / 12;
}

function sceneToHlg(scene: number): number {
  const e = Math.min(Math.max(scene, 0), 1);
  return e <= 1 / 12 ? Math.sqrt(3 * e) : HLG_A * Math.log(12 * e - HLG_B) + HLG_C;
}

const HLG_REFERENCE_SCENE = hlgToScene(HLG_REFERENCE_SIGNAL);

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * A function of [0, max] tabulated on a square-root scale (finer near 0, where the transfers
 * bend most) and read by linear interpolation: the per-pixel and per-lattice-point work without a
 * power or a logarithm each time.
 */
class Curve {
  private readonly table: Float64Array;
  private readonly scale: number;
  constructor(
    fn: (x: number) => number,
    private readonly max: number,
    private readonly points = 4096,
  ) {
    this.table = new Float64Array(points + 1);
    for (let i = 0; i <= points; i++) {
      const t = i / points;
      this.table[i] = fn(t * t * max);
    }
    this.scale = points / Math.sqrt(max);
  }
  at(x: number): number {
    const f = Math.sqrt(x <= 0 ? 0 : x >= this.max ? this.max : x) * this.scale;
    const i = Math.min(Math.floor(f), this.points - 1);
    const a = this.table[i]!;
    return a + (f - i) * (this.table[i + 1]! - a);
  }
}

/** BT.1886's coding of SDR light, and its decoding. */
const SDR_ENCODE = new Curve((x) => Math.pow(x, 1 / SDR_GAMMA), 1);
const SDR_DECODE = new Curve((x) => Math.pow(x, SDR_GAMMA), 1);

/** The transfer of a stream's `color_transfer` tag, or undefined for SDR and untagged streams. */
export function hdrTransfer(colorTransfer: string | undefined): HdrTransfer | undefined {
  return colorTransfer === 'smpte2084' ? 'PQ' : colorTransfer === 'arib-std-b67' ? 'HLG' : undefined;
}

/** The SDR view of one HDR transfer, and the way back. */
export class HdrView {
  readonly transfer: HdrTransfer;
  /** Per-channel decode of each 16-bit code: display light (PQ) or scene light (HLG), relative. */
  private readonly decode16: Float32Array;
  /** The signal of relative display light (PQ) or of scene light (HLG). */
  private readonly encode: Curve;
  private readonly light = new Float64Array(3);
  private readonly sample = new Float32Array(3);
  /** Per lattice size: each point's SDR view (3 values) and what the view clipped (3 values). */
  private lattice: { size: number; view: Float32Array; outside: Float32Array } | undefined;

  constructor(transfer: HdrTransfer) {
    this.transfer = transfer;
    this.decode16 = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) this.decode16[i] = this.channelLight(i / 65535);
    this.encode =
      transfer === 'PQ'
        ? new Curve((x) => nitsToPq(x * REFERENCE_WHITE), PQ_PEAK / REFERENCE_WHITE, 8192)
        : new Curve(sceneToHlg, 1);
  }

  /** One channel's light relative to reference white, before HLG's OOTF. */
  private channelLight(signal: number): number {
    return this.transfer === 'PQ'
      ? pqToNits(signal) / REFERENCE_WHITE
      : hlgToScene(signal) / HLG_REFERENCE_SCENE;
  }

  /**
   * Display light in BT.2020 relative to reference white, from the channels' relative light
   * (`light`, in place): HLG's OOTF scales each channel by the luminance to the power gamma - 1.
   */
  private toDisplay(light: Float64Array): void {
    if (this.transfer !== 'HLG') return;
    const y = LUMA_2020[0] * light[0]! + LUMA_2020[1] * light[1]! + LUMA_2020[2] * light[2]!;
    const k = y > 0 ? Math.pow(y, HLG_GAMMA - 1) : 0;
    light[0] = light[0]! * k;
    light[1] = light[1]! * k;
    light[2] = light[2]! * k;
  }

  /** The SDR view of one HDR colour (each channel in [0, 1]), into `out`. */
  toSdr(r: number, g: number, b: number, out: Float32Array): void {
    const light = this.light;
    this.linear709(r, g, b, light);
    out[0] = SDR_ENCODE.at(light[0]!);
    out[1] = SDR_ENCODE.at(light[1]!);
    out[2] = SDR_ENCODE.at(light[2]!);
  }

  /**
   * The view as a LUT of `size` points per axis, for 8-bit pictures too large to view pixel by
   * pixel in time (the live preview's): on natural colours within a third of a code of the exact
   * view at 65 points; colours the view clips (outside BT.709) can be far off.
   */
  viewLut(size = 65): Lut3d {
    return fillLut(size, (r, g, b, out) => this.toSdr(r, g, b, out));
  }

  /** The HDR signal whose SDR view is `r, g, b` (each in [0, 1]), into `out`: the view undone. */
  fromSdr(r: number, g: number, b: number, out: Float32Array): void {
    const light = this.light;
    light[0] = SDR_DECODE.at(r);
    light[1] = SDR_DECODE.at(g);
    light[2] = SDR_DECODE.at(b);
    mul3(BT709_TO_BT2020, light);
    this.toSignal(light, out);
  }

  /** The signal (each channel in [0, 1]) of display light in BT.2020 relative to reference white. */
  private toSignal(display: Float64Array, out: Float32Array): void {
    let k = 1;
    if (this.transfer === 'HLG') {
      // HLG's inverse OOTF: the scene's luminance is the display's to the power 1 / gamma.
      const y = LUMA_2020[0] * display[0]! + LUMA_2020[1] * display[1]! + LUMA_2020[2] * display[2]!;
      k = y > 0 ? Math.pow(y, 1 / HLG_GAMMA - 1) * HLG_REFERENCE_SCENE : 0;
    }
    for (let c = 0; c < 3; c++) out[c] = this.encode.at(display[c]! * k);
  }

  /**
   * Replaces an RGB image's HDR codes by their SDR view, in place (16- or 8-bit samples): what the
   * graders see of an HDR source.
   */
  toSdrInPlace(data: Uint16Array | Uint8Array): void {
    const light = this.light;
    const max = data instanceof Uint16Array ? 65535 : 255;
    const index = data instanceof Uint16Array ? 1 : 257;
    const table = this.decode16;
    for (let i = 0; i < data.length; i += 3) {
      light[0] = table[data[i]! * index]!;
      light[1] = table[data[i + 1]! * index]!;
      light[2] = table[data[i + 2]! * index]!;
      this.toDisplay(light);
      mul3(BT2020_TO_BT709, light);
      data[i] = Math.round(SDR_ENCODE.at(light[0]!) * max);
      data[i + 1] = Math.round(SDR_ENCODE.at(light[1]!) * max);
      data[i + 2] = Math.round(SDR_ENCODE.at(light[2]!) * max);
    }
  }

  /** Linear BT.709 light (unclipped) of an HDR signal (each channel in [0, 1]), into `light`. */
  linear709(r: number, g: number, b: number, light: Float64Array): void {
    light[0] = this.channelLight(r);
    light[1] = this.channelLight(g);
    light[2] = this.channelLight(b);
    this.toDisplay(light);
    mul3(BT2020_TO_BT709, light);
  }

  /** Each lattice point's SDR view and what the view clipped of it, for lattices of `size`. */
  private latticeOf(size: number): { view: Float32Array; outside: Float32Array } {
    if (this.lattice?.size === size) return this.lattice;
    const points = size * size * size;
    const view = new Float32Array(points * 3);
    const outside = new Float32Array(points * 3);
    const light = new Float64Array(3);
    const step = 1 / (size - 1);
    let i = 0;
    for (let b = 0; b < size; b++) {
      for (let g = 0; g < size; g++) {
        for (let r = 0; r < size; r++) {
          this.linear709(r * step, g * step, b * step, light);
          for (let c = 0; c < 3; c++, i++) {
            const kept = clamp01(light[c]!);
            view[i] = Math.pow(kept, 1 / SDR_GAMMA);
            outside[i] = light[c]! - kept;
          }
        }
      }
    }
    this.lattice = { size, view, outside };
    return this.lattice;
  }

  /**
   * `sdr`, a correction of the SDR view, as a LUT on the HDR signal (`out`, any size): at each
   * lattice point the view, the correction, and back; what the view clipped is put back after the
   * correction (below 0 as it was, above 1 scaled as the correction scales white).
   */
  composeLut(sdr: Lut3d, out: Lut3d): Lut3d {
    const { view, outside } = this.latticeOf(out.size);
    const s = this.sample;
    const light = this.light;
    // What the correction does to white, in linear light, per channel.
    sampleLut(sdr, 1, 1, 1, s);
    const white0 = SDR_DECODE.at(s[0]!);
    const white1 = SDR_DECODE.at(s[1]!);
    const white2 = SDR_DECODE.at(s[2]!);
    const signal = new Float32Array(3);
    const data = out.data;
    for (let i = 0; i < data.length; i += 3) {
      sampleLut(sdr, view[i]!, view[i + 1]!, view[i + 2]!, s);
      const o0 = outside[i]!;
      const o1 = outside[i + 1]!;
      const o2 = outside[i + 2]!;
      light[0] = SDR_DECODE.at(s[0]!) + (o0 > 0 ? o0 * white0 : o0);
      light[1] = SDR_DECODE.at(s[1]!) + (o1 > 0 ? o1 * white1 : o1);
      light[2] = SDR_DECODE.at(s[2]!) + (o2 > 0 ? o2 * white2 : o2);
      mul3(BT709_TO_BT2020, light);
      this.toSignal(light, signal);
      data[i] = clamp01(signal[0]!);
      data[i + 1] = clamp01(signal[1]!);
      data[i + 2] = clamp01(signal[2]!);
    }
    return out;
  }
}

/** `v` = m v for a row-major 3x3 `m`, in place. */
function mul3(m: readonly number[], v: Float64Array): void {
  const x = v[0]!;
  const y = v[1]!;
  const z = v[2]!;
  v[0] = m[0]! * x + m[1]! * y + m[2]! * z;
  v[1] = m[3]! * x + m[4]! * y + m[5]! * z;
  v[2] = m[6]! * x + m[7]! * y + m[8]! * z;
}
