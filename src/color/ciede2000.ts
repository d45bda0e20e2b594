/**
 * CIEDE2000 colour difference (kL = kC = kH = 1), implemented step by step as in G. Sharma, W. Wu and
 * E. N. Dalal, "The CIEDE2000 color-difference formula: implementation notes, supplementary test
 * data, and mathematical observations", Color Research & Application 30(1), 2005, equations (2)-(22):
 *
 *   C*i = sqrt(a_i^2 + b_i^2), C̄* = (C*1 + C*2) / 2
 *   G = 0.5 (1 - sqrt(C̄*^7 / (C̄*^7 + 25^7))), a'_i = (1 + G) a_i, C'_i = sqrt(a'_i^2 + b_i^2)
 *   h'_i = atan2(b_i, a'_i) in degrees within [0, 360); 0 where a'_i = b_i = 0
 *   ΔL' = L2 - L1, ΔC' = C'2 - C'1
 *   Δh' = 0 where C'1 C'2 = 0; else h'2 - h'1 brought into [-180, 180]
 *   ΔH' = 2 sqrt(C'1 C'2) sin(Δh' / 2)
 *   L̄' = (L1 + L2) / 2, C̄' = (C'1 + C'2) / 2
 *   h̄' = h'1 + h'2 where C'1 C'2 = 0; else their mean, taken across 0/360 where |h'1 - h'2| > 180
 *   T = 1 - 0.17 cos(h̄' - 30) + 0.24 cos(2 h̄') + 0.32 cos(3 h̄' + 6) - 0.20 cos(4 h̄' - 63)
 *   Δθ = 30 exp(-((h̄' - 275) / 25)^2), R_C = 2 sqrt(C̄'^7 / (C̄'^7 + 25^7))
 *   S_L = 1 + 0.015 (L̄' - 50)^2 / sqrt(20 + (L̄' - 50)^2), S_C = 1 + 0.045 C̄', S_H = 1 + 0.015 C̄' T
 *   R_T = -sin(2 Δθ) R_C
 *   ΔE00 = sqrt((ΔL'/S_L)^2 + (ΔC'/S_C)^2 + (ΔH'/S_H)^2 + R_T (ΔC'/S_C)(ΔH'/S_H))
 *
 * The paper's 34 test pairs are in test/color/ciede2000.test.ts.
 */
import { type Lab, checkRgb24Pair, srgb8ToLabInto } from './srgb.js';

const POW25_7 = 6103515625; // 25^7
const DEG = 180 / Math.PI;
const RAD = Math.PI / 180;

function pow7(x: number): number {
  const x2 = x * x;
  return x2 * x2 * x2 * x;
}

/** CIEDE2000 between (L1, a1, b1) and (L2, a2, b2), without allocating. */
export function deltaE2000Components(
  L1: number,
  a1: number,
  b1: number,
  L2: number,
  a2: number,
  b2: number,
): number {
  const C1 = Math.sqrt(a1 * a1 + b1 * b1);
  const C2 = Math.sqrt(a2 * a2 + b2 * b2);
  const Cbar7 = pow7((C1 + C2) / 2);
  const G = 0.5 * (1 - Math.sqrt(Cbar7 / (Cbar7 + POW25_7)));
  const ap1 = (1 + G) * a1;
  const ap2 = (1 + G) * a2;
  const Cp1 = Math.sqrt(ap1 * ap1 + b1 * b1);
  const Cp2 = Math.sqrt(ap2 * ap2 + b2 * b2);
  let hp1 = ap1 === 0 && b1 === 0 ? 0 : Math.atan2(b1, ap1) * DEG;
  if (hp1 < 0) hp1 += 360;
  let hp2 = ap2 === 0 && b2 === 0 ? 0 : Math.atan2(b2, ap2) * DEG;
  if (hp2 < 0) hp2 += 360;

  const dL = L2 - L1;
  const dC = Cp2 - Cp1;
  const CpProduct = Cp1 * Cp2;
  let dh = 0;
  if (CpProduct !== 0) {
    dh = hp2 - hp1;
    if (dh > 180) dh -= 360;
    else if (dh < -180) dh += 360;
  }
  const dH = 2 * Math.sqrt(CpProduct) * Math.sin((dh / 2) * RAD);

  const Lbar = (L1 + L2) / 2;
  const Cpbar = (Cp1 + Cp2) / 2;
  let hbar: number;
  if (CpProduct === 0) hbar = hp1 + hp2;
  else if (Math.abs(hp1 - hp2) <= 180) hbar = (hp1 + hp2) / 2;
  else if (hp1 + hp2 < 360) hbar = (hp1 + hp2 + 360) / 2;
  else hbar = (hp1 + hp2 - 360) / 2;

  const T =
    1 -
    0.17 * Math.cos((hbar - 30) * RAD) +
    0.24 * Math.cos(2 * hbar * RAD) +
    0.32 * Math.cos((3 * hbar + 6) * RAD) -
    0.2 * Math.cos((4 * hbar - 63) * RAD);
  const dTheta = 30 * Math.exp(-(((hbar - 275) / 25) ** 2));
  const Cpbar7 = pow7(Cpbar);
  const RC = 2 * Math.sqrt(Cpbar7 / (Cpbar7 + POW25_7));
  const Lm50sq = (Lbar - 50) * (Lbar - 50);
  const SL = 1 + (0.015 * Lm50sq) / Math.sqrt(20 + Lm50sq);
  const SC = 1 + 0.045 * Cpbar;
  const SH = 1 + 0.015 * Cpbar * T;
  const RT = -Math.sin(2 * dTheta * RAD) * RC;

  const tL = dL / SL;
  const tC = dC / SC;
  const tH = dH / SH;
  return Math.sqrt(tL * tL + tC * tC + tH * tH + RT * tC * tH);
}

/** CIEDE2000 colour difference between two CIELAB colours (kL = kC = kH = 1). Symmetric. */
export function deltaE2000(lab1: Lab, lab2: Lab): number {
  return deltaE2000Components(lab1.L, lab1.a, lab1.b, lab2.L, lab2.a, lab2.b);
}

/**
 * Mean CIEDE2000 over the pixels of two rgb24 images of the same size (sRGB D65 -> CIELAB), the
 * project's colour error. Equal pixels count as 0 without being converted.
 */
export function meanDeltaE2000(a: Uint8Array, b: Uint8Array): number {
  checkRgb24Pair(a, b);
  const lab = new Float64Array(6);
  let sum = 0;
  for (let i = 0; i < a.length; i += 3) {
    const r1 = a[i]!;
    const g1 = a[i + 1]!;
    const b1 = a[i + 2]!;
    const r2 = b[i]!;
    const g2 = b[i + 1]!;
    const b2 = b[i + 2]!;
    if (r1 === r2 && g1 === g2 && b1 === b2) continue;
    srgb8ToLabInto(r1, g1, b1, lab, 0);
    srgb8ToLabInto(r2, g2, b2, lab, 3);
    sum += deltaE2000Components(lab[0]!, lab[1]!, lab[2]!, lab[3]!, lab[4]!, lab[5]!);
  }
  return sum / (a.length / 3);
}
