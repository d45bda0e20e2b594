import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The `layers/imports` rule of eslint.config.js, run through ESLint's Node API on snippets placed
// at paths under src/ (the files need not exist): the configuration `npm run lint` uses, less the
// TypeScript project that its type-aware rules read (it refuses files the project does not hold).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: { parserOptions: { project: null } },
    rules: { '@typescript-eslint/return-await': 'off', '@typescript-eslint/no-floating-promises': 'off' },
  },
});

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

describe('layers/imports (eslint.config.js)', () => {
  it.each([
    ['a stage importing the runner', 'src/stages/x.ts', "import { gradeOne } from '../run/grade.js';"],
    ['a stage importing the compiler', 'src/stages/x.ts', "import type { X } from '../pipeline/compile.js';"],
    [
      'a model importing the data set builder',
      'src/models/cgan/x.ts',
      "export * from '../../dataset/build.js';",
    ],
    ['a frame importing ffmpeg', 'src/frame/x.ts', "export { probeMedia } from '../ffmpeg/probe.js';"],
    ['util loading the CLI on demand', 'src/util/x.ts', "export const m = () => import('../cli/main.js');"],
    ['a type from a higher layer', 'src/image/x.ts', "export type T = typeof import('../frame/pool.js');"],
  ])('refuses an upward import: %s', async (_, file, code) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^Expected src\/\w+ to import from lower layers only, but it imports .* a higher layer\)/,
    );
  });

  it('refuses an import between folders of one layer', async () => {
    const errors = await layerErrors('src/eval/x.ts', "import { runPreview } from '../preview/preview.js';");
    expect(errors).toEqual([
      expect.stringContaining('but it imports ../preview/preview.js (src/preview, the same layer)'),
    ]);
  });

  it('names the layers from the bottom in its message', async () => {
    const [error] = await layerErrors('src/correction/x.ts', "import '../color/srgb.js';");
    expect(error).toMatch(/layers from the bottom: util < image < correction, detune < .* < cli$/);
  });

  it('refuses imports of a folder that is in no layer, both ways', async () => {
    expect(await layerErrors('src/newthing/x.ts', "import '../util/errors.js';")).toEqual([
      'Expected src/newthing in a layer of LAYERS in eslint.config.js, but it is in none',
    ]);
    expect(await layerErrors('src/cli/x.ts', "import '../newthing/x.js';")).toEqual([
      'Expected src/newthing in a layer of LAYERS in eslint.config.js, but it is in none',
    ]);
  });

  it.each([
    ['its own folder', 'src/stages/x.ts', "import type { StageDefinition } from './stage.js';"],
    ['a lower layer', 'src/stages/x.ts', "import type { InputSource } from '../ffmpeg/input.js';"],
    ['a lower layer from a nested folder', 'src/models/worker/x.ts', "import '../../manifest/split.js';"],
    ['a package', 'src/util/x.ts', "import { Observable } from 'rxjs';"],
    ['src from a test', 'test/x.test.ts', "import '../src/cli/main.js';"],
  ])('allows an import from %s', async (_, file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
