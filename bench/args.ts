/** The value after `--NAME` on a bench's command line, or `fallback` when it is not given. */
export function argValue(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
}

/** The values after `--NAME` on a command line, up to the next option (`--extra a b --out c`: a, b). */
export function argList(argv: readonly string[], name: string): string[] {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return [];
  const out: string[] = [];
  for (let k = i + 1; k < argv.length && !argv[k]!.startsWith('--'); k++) out.push(argv[k]!);
  return out;
}
