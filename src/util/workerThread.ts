/**
 * Starts a worker thread on a module that sits beside the caller, from the same code the caller
 * runs: compiled JavaScript from `dist/`, or the TypeScript sources.
 *
 * Why not always `dist/`: a worker thread is a fresh module graph that Node loads itself, so vitest
 * (or tsx) running the sources would otherwise start workers from whatever `dist/` last held. `npx
 * vitest run` without a build then tests new stage code against old worker code, and a protocol
 * change between them fails in ways that point nowhere near the cause. Failing loudly when `dist/`
 * is older than `src/` was the other choice, but its remedy is a build into one shared `dist/`,
 * which test runs side by side (two `vitest` processes, an editor's watcher) would race over;
 * running the sources needs no build and shares nothing.
 *
 * How: a caller loaded from a `.ts` file is running the sources. Its worker starts from a
 * three-line module (a `data:` URL) that registers tsx's loader inside the new thread and then
 * imports the worker's `.ts` file. The registration must happen in the thread itself: on Node 20
 * the loader hooks of the main thread (`--import tsx`) do not reach worker threads, and tsx's
 * `--import` entry declines to register off the main thread, so `execArgv: ['--import', 'tsx']`
 * is not enough. tsx is a development dependency, present wherever the sources are run; a compiled
 * install never takes this path.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running `name` (no extension) from the caller's folder.
 *
 * @param caller the caller's `import.meta.url`
 */
export function startWorker(caller: string, name: string, options: WorkerOptions = {}): Worker {
  if (!caller.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, caller), options);
  const entry = new URL(`./${name}.ts`, caller).href;
  const bootstrap = [
    `const { register } = await import(${JSON.stringify(tsxApi())});`,
    'register();',
    `await import(${JSON.stringify(entry)});`,
  ].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}

let api: string | undefined;

/**
 * The URL of tsx's ESM API (`tsx/esm/api` under the `import` condition). A `data:` module cannot
 * resolve a package name, and `require.resolve` would give the CommonJS build, so the package's
 * own exports map is read.
 */
function tsxApi(): string {
  if (api) return api;
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: { './esm/api': { import: { default: string } } };
  };
  return (api = pathToFileURL(
    path.join(path.dirname(manifest), pkg.exports['./esm/api'].import.default),
  ).href);
}
