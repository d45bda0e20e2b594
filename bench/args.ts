/** The value after `--NAME` on a bench's command line, or `fallback` when it is not given. */
export function argValue(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
}
