/**
 * Runs a command and measures it as a process tree, for the benches: wall time, the root's own
 * peak RSS, the peak RSS of the largest process in the tree, and the peak of the tree's summed RSS.
 *
 * Linux only: every `intervalMs` it walks `/proc/<pid>/task/<tid>/children` from the root and reads
 * each process's `/proc/<pid>/status`. A process's own peak (`VmHWM`) only ever grows, so the
 * largest-process figure is exact for processes that live past one sample; the tree's sum is
 * sampled (it misses peaks shorter than the interval).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface TreeMeasure {
  seconds: number;
  /** Peak RSS of the root process itself (VmHWM), MiB. */
  nodePeakMiB: number;
  /** Peak RSS (VmHWM) of the largest process in the tree, MiB, and its name. */
  largestPeakMiB: number;
  largestName: string;
  /** Peak of the tree's summed RSS (VmRSS, sampled), MiB. */
  treePeakMiB: number;
}

/** A `kB` field of `/proc/<pid>/status`, 0 when absent. */
export function statusKiB(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

async function readStatus(pid: number): Promise<string> {
  try {
    return await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** Every live descendant of `pid` (children of any of its threads, recursively). */
export async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const kids: number[] = [];
    try {
      for (const t of await readdir(`/proc/${p}/task`)) {
        const text = await readFile(`/proc/${p}/task/${t}/children`, 'utf8').catch(() => '');
        for (const k of text.split(/\s+/)) if (k) kids.push(Number(k));
      }
    } catch {
      // gone
    }
    out.push(...kids);
    stack.push(...kids);
  }
  return out;
}

/** Runs `cmd args`, sampling its tree every `intervalMs`; rejects with stderr's tail if it fails. */
export async function measureTree(cmd: string, args: string[], intervalMs = 50): Promise<TreeMeasure> {
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  let nodePeak = 0;
  let treePeak = 0;
  let largest = 0;
  let largestName = path.basename(cmd);
  let done = false;
  void exited.then(() => (done = true));
  const sampler = (async () => {
    while (!done && child.pid !== undefined) {
      let tree = 0;
      for (const pid of [child.pid, ...(await descendants(child.pid))]) {
        const status = await readStatus(pid);
        const hwm = statusKiB(status, 'VmHWM');
        if (pid === child.pid) nodePeak = Math.max(nodePeak, hwm);
        if (hwm > largest) {
          largest = hwm;
          largestName = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? String(pid);
        }
        tree += statusKiB(status, 'VmRSS');
      }
      treePeak = Math.max(treePeak, tree);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  const code = await exited;
  await sampler;
  if (code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${code}): ${stderr}`);
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    nodePeakMiB: nodePeak / 1024,
    largestPeakMiB: largest / 1024,
    largestName,
    treePeakMiB: treePeak / 1024,
  };
}
