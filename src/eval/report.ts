import { encodePng } from '../image/png.js';
import { CLEAN_FRAME_LIMIT, CLEAN_ROW, type EvalResult } from './evaluate.js';

/** The eval table as Markdown: one row per detune family, for each grader ΔE00 / PSNR / exact. */
export function markdownReport(r: EvalResult): string {
  const head = `| family | ${r.graders.map((g) => `${g} ΔE00 | PSNR | exact`).join(' | ')} |`;
  const rule = `| --- | ${r.graders.map(() => '---: | ---: | ---:').join(' | ')} |`;
  const rows = Object.entries(r.table).map(([family, byGrader]) => {
    const cells = r.graders.map((g) => {
      const m = byGrader[g];
      return m
        ? `${m.deltaE.toFixed(2)} | ${m.psnr.toFixed(1)} | ${(m.exact * 100).toFixed(1)}%`
        : '- | - | -';
    });
    const frames = Object.values(byGrader)[0]?.frames ?? 0;
    return `| ${family === 'overall' ? '**overall**' : family} (${frames}) | ${cells.join(' | ')} |`;
  });
  const lines = [
    `Split: ${r.split}, ${r.samples} samples, ${r.frames} frames. ΔE00: mean CIEDE2000 against the reference (lower is better); PSNR in dB; exact: share of pixels equal to the reference.`,
    '',
    head,
    rule,
    ...rows,
  ];
  const clean = r.table[CLEAN_ROW];
  if (clean) {
    lines.push(
      '',
      `Clean frames moved by the grade (mean CIEDE2000 of each frame against itself; no frame should move by more than ${CLEAN_FRAME_LIMIT}):`,
      '',
      `| grader | mean | worst frame | frames above ${CLEAN_FRAME_LIMIT} | the worst frame |`,
      '| --- | ---: | ---: | ---: | --- |',
    );
    const harmed = r.graders.flatMap((g) => (clean[g]?.overLimitFrames ?? []).map((f) => `${g}: ${f}`));
    for (const g of r.graders) {
      const m = clean[g];
      if (m)
        lines.push(
          `| ${g} | ${m.deltaE.toFixed(2)} | ${m.worst.toFixed(2)} | ${m.overLimit} of ${m.frames} | ${m.worst > 0 ? m.worstFrame : ''} |`,
        );
    }
    if (harmed.length > 0)
      lines.push('', `Clean frames moved by more than ${CLEAN_FRAME_LIMIT}: ${harmed.join(', ')}.`);
  }
  lines.push(...againstAutomaticFilters(r));
  const flicker = Object.entries(r.flicker);
  if (flicker.length > 0) {
    lines.push(
      '',
      'Flicker on runs (mean frame-to-frame change of mean CIELAB; ratio to the reference, 1 = none added):',
      '',
    );
    lines.push('| grader | graded | reference | ratio | runs |', '| --- | ---: | ---: | ---: | ---: |');
    for (const [g, f] of flicker)
      lines.push(
        `| ${g} | ${f.graded.toFixed(3)} | ${f.reference.toFixed(3)} | ${f.ratio.toFixed(2)} | ${f.runs} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** The graders that are ffmpeg's automatic filters (`ffmpegBaselines`), by name. */
const AUTOMATIC_FILTER = /^ffmpeg /;

/**
 * Each of our graders against ffmpeg's best automatic filter on each row (the issue's "below it on
 * each kind"): which filter does best there, and whether ours is below it. Empty without a filter
 * or without one of ours. The clean row has its own table: a filter moves clean frames by design.
 */
function againstAutomaticFilters(r: EvalResult): string[] {
  const filters = r.graders.filter((g) => AUTOMATIC_FILTER.test(g));
  const ours = r.graders.filter((g) => g !== 'input' && !AUTOMATIC_FILTER.test(g));
  if (filters.length === 0 || ours.length === 0) return [];
  const lines = [
    '',
    "Against ffmpeg's best automatic filter on each row (mean CIEDE2000; below: lower than the best filter's):",
    '',
    `| row | best filter | ${ours.map((g) => `${g} | below`).join(' | ')} |`,
    `| --- | --- | ${ours.map(() => '---: | :---:').join(' | ')} |`,
  ];
  const compared = new Map<string, number>(ours.map((g) => [g, 0]));
  const above = new Map<string, string[]>(ours.map((g) => [g, []]));
  for (const [family, byGrader] of Object.entries(r.table)) {
    if (family === CLEAN_ROW) continue;
    const present = filters.filter((f) => byGrader[f]);
    if (present.length === 0) continue;
    const best = present.reduce((b, f) => (byGrader[f]!.deltaE < byGrader[b]!.deltaE ? f : b));
    const bestError = byGrader[best]!.deltaE;
    const cells = ours.map((g) => {
      const m = byGrader[g];
      if (!m) return '- | -';
      compared.set(g, compared.get(g)! + 1);
      const below = m.deltaE < bestError;
      if (!below) above.get(g)!.push(family);
      return `${m.deltaE.toFixed(2)} | ${below ? 'yes' : 'no'}`;
    });
    const name = family === 'overall' ? '**overall**' : family;
    lines.push(
      `| ${name} | ${best.replace(AUTOMATIC_FILTER, '')} ${bestError.toFixed(2)} | ${cells.join(' | ')} |`,
    );
  }
  lines.push('');
  for (const g of ours) {
    const missed = above.get(g)!;
    const rows = compared.get(g)!;
    lines.push(
      `${g}: below the best filter on ${rows - missed.length} of ${rows} rows${missed.length > 0 ? `; not on ${missed.join(', ')}` : ''}.`,
    );
  }
  return lines;
}

/** A contact sheet: one row per example, columns input, each grader, reference. */
export function contactSheet(r: EvalResult): Buffer | undefined {
  if (r.examples.length === 0) return undefined;
  const { width: w, height: h } = r.examples[0]!;
  const same = r.examples.filter((e) => e.width === w && e.height === h);
  const columns = 2 + r.graders.length;
  const gap = 4;
  const sheetW = columns * w + (columns - 1) * gap;
  const sheetH = same.length * h + (same.length - 1) * gap;
  const sheet = new Uint8Array(sheetW * sheetH * 3).fill(32);
  same.forEach((ex, row) => {
    const tiles = [ex.input, ...r.graders.map((g) => ex.graded[g]), ex.reference];
    tiles.forEach((tile, col) => {
      if (!tile) return;
      for (let y = 0; y < h; y++) {
        const dst = ((row * (h + gap) + y) * sheetW + col * (w + gap)) * 3;
        sheet.set(tile.subarray(y * w * 3, (y + 1) * w * 3), dst);
      }
    });
  });
  return encodePng(sheetW, sheetH, sheet);
}
