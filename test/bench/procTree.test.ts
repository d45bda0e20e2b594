import { describe, expect, it } from 'vitest';
import { measureTree, statusKiB } from '../../bench/procTree.js';

describe('measureTree', () => {
  it('finds the largest process below the root and sums the tree', async () => {
    // sh (small) starts a Node child that fills 96 MiB and holds it for 2 s.
    const child = `${JSON.stringify(process.execPath)} -e "const b = Buffer.alloc(96 * 1048576, 1); setTimeout(() => b.length, 2000)"`;
    const m = await measureTree('/bin/sh', ['-c', `${child}; true`]);
    expect(m.largestName).toBe('node');
    expect(m.largestPeakMiB).toBeGreaterThanOrEqual(96);
    expect(m.nodePeakMiB).toBeLessThan(32); // the root is sh
    expect(m.treePeakMiB).toBeGreaterThanOrEqual(96);
    expect(m.seconds).toBeGreaterThanOrEqual(2);
  });

  it('rejects with the tail of stderr when the command fails', async () => {
    await expect(measureTree('/bin/sh', ['-c', 'echo broken >&2; exit 3'])).rejects.toThrow(
      /failed \(3\): broken/,
    );
  });
});

describe('statusKiB', () => {
  it('reads one kB field of /proc/<pid>/status, 0 when absent', () => {
    const status = 'Name:\tffmpeg\nVmHWM:\t  548120 kB\nVmRSS:\t  501234 kB\n';
    expect(statusKiB(status, 'VmHWM')).toBe(548120);
    expect(statusKiB(status, 'VmRSS')).toBe(501234);
    expect(statusKiB(status, 'VmSwap')).toBe(0);
  });
});
