import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The folders of src/ in layers, from the bottom (docs/design.md, "Layers"). A module imports from
 * its own folder and from folders in lower layers only; folders that share a layer do not import
 * each other. A new folder goes into this table, or the rule refuses its imports.
 */
const LAYERS = [
  ['util'],
  ['image'],
  ['correction', 'detune'],
  ['color', 'frame', 'lut', 'manifest'],
  ['ffmpeg', 'operators'],
  ['models'],
  ['stages'],
  ['pipeline'],
  ['run'],
  ['dataset'],
  ['eval', 'ingest', 'preview'],
  ['cli'],
];

const SRC = path.join(import.meta.dirname, 'src');
const LAYER_OF = new Map(LAYERS.flatMap((folders, layer) => folders.map((f) => [f, layer])));
const ORDER = LAYERS.map((folders) => folders.join(', ')).join(' < ');

/** The folder of src/ that holds a path, or undefined outside src/ (or directly in it). */
function srcFolder(file) {
  const rel = path.relative(SRC, file);
  const parts = rel.split(path.sep);
  return rel.startsWith('..') || path.isAbsolute(rel) || parts.length < 2 ? undefined : parts[0];
}

/** `layers/imports`: refuses an import from a higher layer, a sibling, or a folder LAYERS lacks. */
const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep the folders of src/ in the layers that eslint.config.js lists' },
    schema: [],
    messages: {
      upward:
        'Expected src/{{from}} to import from lower layers only, but it imports {{spec}} (src/{{to}}, {{where}}); layers from the bottom: {{order}}',
      unlisted: 'Expected src/{{folder}} in a layer of LAYERS in eslint.config.js, but it is in none',
    },
  },
  create(context) {
    const from = srcFolder(context.filename);
    if (from === undefined) return {};
    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.'))
        return;
      const to = srcFolder(path.resolve(path.dirname(context.filename), source.value));
      if (to === undefined || to === from) return;
      for (const folder of [from, to]) {
        if (!LAYER_OF.has(folder))
          return context.report({ node: source, messageId: 'unlisted', data: { folder } });
      }
      const [a, b] = [LAYER_OF.get(from), LAYER_OF.get(to)];
      if (b < a) return;
      const where = b === a ? 'the same layer' : 'a higher layer';
      context.report({
        node: source,
        messageId: 'upward',
        data: { from, spec: source.value, to, where, order: ORDER },
      });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.source),
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    plugins: { layers: { rules: { imports: importsRule } } },
    rules: { 'layers/imports': 'error' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // TensorFlow.js is loaded with require() in one place (src/models/tfjs.ts says why); an ES
    // import of its CommonJS bundles costs every start about a second. RxJS comes through
    // src/util/rx.ts, which loads the 50 of its modules vgrade uses, not all 250.
    files: ['src/**/*.ts'],
    ignores: ['src/models/tfjs.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['rxjs', 'rxjs/operators'].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'Take RxJS from src/util/rx.ts (its index loads every module: see why there)',
          })),
          patterns: [
            {
              group: ['@tensorflow/*'],
              allowTypeImports: true,
              message: 'Take tf from src/models/tfjs.ts (loaded with require(): see why there)',
            },
          ],
        },
      ],
    },
  },
  {
    // Promises whose end nobody waits for. `return promise` inside try/finally runs the finally
    // at once, before the promise settles: a scratch folder removed while its files were still
    // being read failed CI, once in about 50 runs (src/eval/match.ts). A promise left floating
    // fails unseen. These rules need types, so they alone read the TypeScript project.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // Tests read ffprobe's JSON loosely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
