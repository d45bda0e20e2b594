import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * Whether any process on this machine holds `file` open for writing, read from /proc (Linux): the
 * other half of "complete" beside a size that has stopped changing, since a writer may pause for
 * longer than any settle time. Processes of other users are invisible without privileges, and
 * writers on other machines (a network share) are never visible: for those the settle time is the
 * only guard. Answers `false` where /proc does not exist.
 */
export async function isOpenForWriting(file: string): Promise<boolean> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return false;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await readlink(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target !== file) continue;
      if (await writableDescriptor(pid, fd)) return true;
    }
  }
  return false;
}

/** The access mode in fdinfo's octal `flags`: 1 is O_WRONLY, 2 is O_RDWR. */
async function writableDescriptor(pid: string, fd: string): Promise<boolean> {
  try {
    const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
    if (flags === undefined) return true;
    return (parseInt(flags, 8) & 3) !== 0;
  } catch {
    // The descriptor closed between the two reads.
    return false;
  }
}
