/**
 * Classic colour-constancy cues of a frame, each as the chroma of the light it estimates (ln R/G,
 * ln B/G): grey world (the mean), shades of grey (the 4-norm), max-RGB (each channel's 99.5th
 * percentile), and grey edge (the mean and the 4-norm of each channel's local differences: edges
 * are greyer on average than surfaces). The white-balance reader reads them beside the colour
 * statistics.
 */

/** How many values `illuminantCues` returns. */
export const CUES_LENGTH = 10;

const EPS = 1 / 255;

function chroma(r: number, g: number, b: number, out: Float32Array, at: number): void {
  out[at] = Math.log((r + EPS) / (g + EPS));
  out[at + 1] = Math.log((b + EPS) / (g + EPS));
}

/** sqrt(k) / 255 for every k = dx^2 + dy^2 that two 8-bit differences can make. */
const EDGE_LENGTH = Float64Array.from({ length: 2 * 255 * 255 + 1 }, (_, k) => Math.sqrt(k) / 255);

/**
 * The cues of an interleaved rgb24 frame `width` pixels wide. The means and 4-norms come from
 * each channel's histogram, and an edge's length from a table, so the pixels are read once, with
 * integer arithmetic (about 2 ms at 456x256).
 */
export function illuminantCues(
  rgb: Uint8Array,
  width: number,
  out = new Float32Array(CUES_LENGTH),
): Float32Array {
  const n = rgb.length / 3;
  const height = n / width;
  const hist = [new Float64Array(256), new Float64Array(256), new Float64Array(256)] as const;
  const edge = [0, 0, 0];
  const edge4 = [0, 0, 0];
  const row = width * 3;
  for (let y = 0; y < height; y++) {
    const inside = y + 1 < height;
    for (let x = 0, i = y * row; x < width; x++, i += 3) {
      const r = rgb[i]!;
      const g = rgb[i + 1]!;
      const b = rgb[i + 2]!;
      hist[0][r]!++;
      hist[1][g]!++;
      hist[2][b]!++;
      if (!inside || x + 1 === width) continue;
      // Each channel's difference to the right and below, as a length dx^2 + dy^2.
      const kr = (rgb[i + 3]! - r) ** 2 + (rgb[i + row]! - r) ** 2;
      const kg = (rgb[i + 4]! - g) ** 2 + (rgb[i + row + 1]! - g) ** 2;
      const kb = (rgb[i + 5]! - b) ** 2 + (rgb[i + row + 2]! - b) ** 2;
      edge[0]! += EDGE_LENGTH[kr]!;
      edge[1]! += EDGE_LENGTH[kg]!;
      edge[2]! += EDGE_LENGTH[kb]!;
      edge4[0]! += kr * kr;
      edge4[1]! += kg * kg;
      edge4[2]! += kb * kb;
    }
  }
  const edges = Math.max(1, (width - 1) * (height - 1));
  const mean = [0, 0, 0];
  const norm4 = [0, 0, 0];
  const top = [1, 1, 1];
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sum4 = 0;
    let seen = 0;
    let found = false;
    for (let v = 0; v < 256; v++) {
      const count = hist[c]![v]!;
      const x = v / 255;
      sum += count * x;
      sum4 += count * x * x * x * x;
      seen += count;
      if (!found && seen >= n * 0.995) {
        top[c] = x;
        found = true;
      }
    }
    mean[c] = sum / n;
    norm4[c] = Math.pow(sum4 / n, 0.25);
  }
  const edgeNorm4 = edge4.map((v) => Math.pow(v / edges, 0.25) / 255);
  chroma(mean[0]!, mean[1]!, mean[2]!, out, 0);
  chroma(norm4[0]!, norm4[1]!, norm4[2]!, out, 2);
  chroma(top[0]!, top[1]!, top[2]!, out, 4);
  chroma(edge[0]! / edges, edge[1]! / edges, edge[2]! / edges, out, 6);
  chroma(edgeNorm4[0]!, edgeNorm4[1]!, edgeNorm4[2]!, out, 8);
  return out;
}
