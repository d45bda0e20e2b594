import { describe, expect, it } from 'vitest';
import {
  drawText,
  FONT_CHARACTERS,
  GLYPH_HEIGHT,
  textWidth,
  type RgbImage,
} from '../../src/ingest/bitmapFont.js';

const WHITE = [255, 255, 255] as const;

function canvas(width: number, height: number): RgbImage {
  return { width, height, rgb: new Uint8Array(width * height * 3) };
}

/** The image as rows of `#` (lit) and `.`, for exact comparisons. */
function ascii(image: RgbImage): string[] {
  const rows: string[] = [];
  for (let y = 0; y < image.height; y++) {
    let row = '';
    for (let x = 0; x < image.width; x++) row += image.rgb[(y * image.width + x) * 3] ? '#' : '.';
    rows.push(row);
  }
  return rows;
}

function render(text: string, scale = 1): RgbImage {
  const image = canvas(textWidth(text, scale), GLYPH_HEIGHT * scale);
  drawText(image, 0, 0, text, scale, WHITE);
  return image;
}

describe('the 5x7 bitmap font of the contact sheet labels', () => {
  it('draws a character as its five-by-seven shape', () => {
    expect(ascii(render('4'))).toEqual(['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.']);
  });

  it('gives every character a shape of its own, and lights something for all but the space', () => {
    const shapes = FONT_CHARACTERS.map((ch) => ascii(render(ch)).join('\n'));
    expect(new Set(shapes).size).toBe(FONT_CHARACTERS.length);
    for (const [i, ch] of FONT_CHARACTERS.entries()) {
      expect(shapes[i]!.includes('#'), ch).toBe(ch !== ' ');
    }
  });

  it('has what a time and the row names need', () => {
    for (const ch of '0123456789:.SOURCEGRADED') expect(FONT_CHARACTERS).toContain(ch);
  });

  it('spaces characters one column apart and scales every pixel to a square', () => {
    expect(textWidth('', 2)).toBe(0);
    expect(textWidth('1', 1)).toBe(5);
    expect(textWidth('00:00:04.20', 1)).toBe(11 * 6 - 1);
    expect(textWidth('00:00:04.20', 2)).toBe(2 * (11 * 6 - 1));
    const big = ascii(render(':', 2));
    expect(big).toHaveLength(14);
    expect(big[2]).toBe('..####....');
    expect(big[3]).toBe('..####....');
  });

  it('draws lower case as capitals and anything else as a question mark', () => {
    expect(ascii(render('graded'))).toEqual(ascii(render('GRADED')));
    expect(ascii(render('é'))).toEqual(ascii(render('?')));
  });

  it('clips at the edges of the picture (odd sizes, text running off both sides)', () => {
    const image = canvas(7, 5);
    drawText(image, -3, -2, '88', 1, WHITE);
    expect(ascii(image)).toEqual(['.#.#...', '#...###', '.#.#...', '.#.#...', '#...###']);
  });

  it('writes the colour it is given into all three channels', () => {
    const image = canvas(5, 7);
    drawText(image, 0, 0, '.', 1, [10, 20, 30]);
    const lit = (6 * 5 + 2) * 3; // bottom row, third column
    expect([...image.rgb.subarray(lit, lit + 3)]).toEqual([10, 20, 30]);
    expect([...image.rgb.subarray(0, 3)]).toEqual([0, 0, 0]);
  });
});
