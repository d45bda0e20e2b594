import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(root, 'dist/src/cli/main.js');
/** The shipped real sample clip (1280x720, 4 s, with audio). */
export const SAMPLE = path.join(root, 'samples/cockatoo.mp4');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built `vgrade` CLI (npm test builds it first) and collects what it printed. */
export function vgrade(
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    stdin?: Buffer;
    cwd?: string;
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd ?? root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      opts.onStderr?.(err, child);
    });
    child.stdin.on('error', () => {});
    if (opts.stdin) child.stdin.end(opts.stdin);
    else child.stdin.end();
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
  });
}

/**
 * Runs `vgrade ARGS | CONSUMER` in bash, as a user types it (`head -1`, `head -c 100000 >/dev/null`):
 * stdout is a real pipe that the consumer may close early. `code` and `stderr` are vgrade's,
 * `stdout` is what the consumer printed.
 */
export function vgradePiped(
  args: string[],
  consumer: string,
  opts: { cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const script = `"$@" | ${consumer}; exit "\${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script, 'vgrade', process.execPath, CLI, ...args], {
      cwd: opts.cwd ?? root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** The command lines of running processes that mention `text` (Linux: read from /proc). */
export async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(cmdline.replaceAll('\0', ' ').trim());
  }
  return found;
}
