import { describe, expect, it } from 'vitest';
import { vgrade } from '../helpers/cli.js';

/** yargs' tags beside a description: `[string]`, `[choices: "a", "b"]`, `[default: []]`. */
const TAGS = /\[(?:string|number|boolean|array|required)\]|\[choices: [^\]]*\]|\[default: (?:\[\]|[^\]]*)\]/g;

/** The descriptions as one line: tags out, every run of whitespace (a line break too) one space. */
const flowing = (help: string): string => help.replace(TAGS, ' ').replace(/\s+/g, ' ');

/**
 * Words of a text, sorted: what stays the same however the text is wrapped. Tags count as words
 * of their own: cliui sets one right after a description that ends where it starts ("(its top
 * level)[string]"), a layout quirk of its own.
 */
const words = (help: string): string[] =>
  help
    .split(/\s+|(?=\[(?:string|number|boolean|array|required|choices|default)\b)/)
    .filter(Boolean)
    .sort();

/**
 * `--help` fits the terminal's width (`COLUMNS`, as `ls` reads it; 110 at most) and breaks lines
 * only between words: wrapping moves whitespace, never splits a word.
 */
describe('vgrade --help', () => {
  const help = async (args: string[], columns: number): Promise<string> => {
    const result = await vgrade([...args, '--help'], { env: { COLUMNS: String(columns) } });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.toString();
  };

  it.each([
    {
      command: [],
      whole: [
        'Apply named detunes (e.g. green-2,contrast-high-1) to videos or stills: for demos and for testing graders',
        'Quality control: name what is wrong with a video, frame by frame and shot by shot',
        'Train the cGAN or the classifier on a data set (or the cGAN on your own before/after pairs)',
      ],
    },
    {
      command: ['grade'],
      whole: [
        'Output container, e.g. nut, matroska, mp4 (needed for -o -; default nut)',
        'Input container when ffmpeg cannot tell, e.g. for stdin: nut, matroska, y4m',
        "Also write each shot's correction here: .cube and ASC CDL (.cc, .ccc, CMX .edl)",
      ],
    },
    {
      command: ['ingest'],
      whole: [
        'Grade every file dropped into a watch folder, unattended: masters, reports, LUTs; `ingest status` lists jobs',
        "BullMQ: seconds a worker's hold on a job lasts unrenewed; a dead worker's job returns after it",
        'Seconds a file must stay unchanged (and closed by its writer) before it is taken',
      ],
    },
    {
      command: ['eval'],
      whole: [
        "The classifier's: sources never trained on (--split), or the paper's held-out frames of the train split's sources",
        'Also grade clean frames and kinds of error outside the 24 (their own rows)',
      ],
    },
    {
      command: ['preview'],
      whole: [
        'lavfi:GRAPH, /dev/videoN, rtsp:// http:// udp:// srt:// URL, or a file (played at its rate, looped)',
      ],
    },
  ])('vgrade $command --help at 80 and 110 columns', async ({ command, whole }) => {
    const [narrow, wide] = [await help(command, 80), await help(command, 110)];
    for (const [text, columns] of [
      [narrow, 80],
      [wide, 110],
    ] as const) {
      for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(columns);
      for (const description of whole) expect(flowing(text)).toContain(description);
    }
    expect(words(narrow)).toEqual(words(wide));
  });
});

describe('--backend', () => {
  it.each(['grade', 'classify', 'ingest', 'preview', 'eval', 'train'])(
    'vgrade %s takes --backend auto|wasm|cpu|tensorflow',
    async (command) => {
      const result = await vgrade([command, '--help'], { env: { COLUMNS: '110' } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.toString().replace(/\s+/g, ' ')).toMatch(
        /--backend .*\[choices: "auto", "wasm", "cpu", "tensorflow"\]/,
      );
    },
  );
});

describe('loading only the command named', () => {
  const commands = [
    'grade',
    'match',
    'detune',
    'dataset',
    'eval',
    'classify',
    'train',
    'preview',
    'ingest',
    'doctor',
    'schema',
    'explain',
  ];

  it('lists every command in vgrade --help (all loaded where none is named)', async () => {
    const result = await vgrade(['--help'], { env: { COLUMNS: '110' } });
    expect(result.code, result.stderr).toBe(0);
    const listed = [...result.stdout.toString().matchAll(/^ {2}vgrade (\w+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(commands);
  });

  it.each(commands)('finds vgrade %s by its name', async (command) => {
    const result = await vgrade([command, '--help'], { env: { COLUMNS: '110' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toMatch(new RegExp(`^vgrade ${command}\\b`));
  });

  it('refuses a name that is no command, and names them all when none is given', async () => {
    const wrong = await vgrade(['grda', 'in.mp4']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.toString()).toMatch(/Unknown arguments: grda, in\.mp4/);
    const none = await vgrade([]);
    expect(none.code).toBe(2);
    expect(none.stderr.toString()).toContain(`Name a command: ${commands.join(', ')}`);
  });
});
