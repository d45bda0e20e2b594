import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';

let cached: string | undefined;

/** The folder holding vgrade's package.json (works from `src/` under tsx and from `dist/`). */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (pkg.name === 'vgrade') return (cached = dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the vgrade package root');
    dir = parent;
  }
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Resolves a pipeline argument: a path as given if it exists, else a name from the package's
 * `pipelines/` folder (`classical` or `classical.yaml`); neither is a usage error that lists the
 * shipped pipelines.
 */
export function resolvePipelinePath(value: string): string {
  if (existsSync(value)) return value;
  const name = value.endsWith('.yaml') || value.endsWith('.yml') ? value : `${value}.yaml`;
  const folder = path.join(packageRoot(), 'pipelines');
  const shipped = path.join(folder, path.basename(name));
  if (existsSync(shipped)) return shipped;
  const names = readdirSync(folder)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
  throw new UsageError(
    'E_USAGE',
    `No pipeline ${JSON.stringify(value)}: no such file, and not a shipped pipeline (${names.join(', ')})`,
  );
}
