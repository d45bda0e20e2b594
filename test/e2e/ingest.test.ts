import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, vgrade } from '../helpers/cli.js';
import { makeClip } from '../helpers/clips.js';
import { ffmpeg, probe, tempDir } from '../helpers/media.js';
import { freePort, startRedis } from '../helpers/redis.js';

/** A short clip with a colour cast for the grader to find. */
async function clip(file: string, seconds: number, size: `${number}x${number}` = '320x180'): Promise<void> {
  await makeClip(file, {
    size,
    fps: 25,
    duration: seconds,
    filter: 'colorchannelmixer=rr=0.8:bb=1.0:gg=0.9',
    pixelFormat: 'yuv420p',
  });
}

async function frameCount(file: string): Promise<number> {
  const json = await probe(file, ['-count_frames', '-select_streams', 'v:0']);
  return Number(json.streams[0].nb_read_frames);
}

/**
 * Kills `child` with SIGKILL as soon as a partial master in `out`'s scratch folder has bytes
 * (the job is in the middle of encoding); false if the child exited first.
 */
function killOncePartialMasterGrows(child: ChildProcess, out: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const poll = setInterval(() => {
      void (async () => {
        const work = path.join(out, '.vgrade-work');
        for (const job of await readdir(work).catch(() => [] as string[])) {
          for (const f of await readdir(path.join(work, job)).catch(() => [] as string[])) {
            if (f.includes('vgrade-partial') && (await stat(path.join(work, job, f))).size > 0) {
              clearInterval(poll);
              child.kill('SIGKILL');
              resolve(true);
              return;
            }
          }
        }
      })();
    }, 50);
    child.on('exit', () => {
      clearInterval(poll);
      resolve(false);
    });
  });
}

const FAST = [
  '--settle',
  '0.3',
  '--poll',
  '0.1',
  '--metrics-port',
  '0',
  '--log-level',
  'info',
  '--log-format',
  'json',
];

function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('vgrade ingest (embedded queue)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let source: string;
  beforeAll(async () => {
    tmp = await tempDir('vgrade-ingest-');
    source = path.join(tmp.dir, 'source.mp4');
    await clip(source, 1);
  });
  afterAll(() => tmp.cleanup());

  it('grades two good files with their reports and quarantines a corrupt one at once, with its reason', async () => {
    const watch = path.join(tmp.dir, 'a-in');
    const out = path.join(tmp.dir, 'a-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    await copyFile(source, path.join(watch, 'first.mp4'));
    await copyFile(source, path.join(watch, 'second take.mov'));
    await writeFile(path.join(watch, 'broken.mp4'), Buffer.alloc(20_000, 7));

    const run = await vgrade([
      'ingest',
      '--watch',
      watch,
      '--out',
      out,
      '--once',
      '--retries',
      '3',
      '--retry-delay',
      '0.1',
      ...FAST,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.toString())).toMatchObject({
      done: 2,
      quarantined: 1,
      queued: 0,
      running: 0,
    });

    for (const [stem, ext] of [
      ['first', '.mp4'],
      ['second_take', '.mov'],
    ] as const) {
      expect(await frameCount(path.join(out, `${stem}${ext}`))).toBe(25);
      const report = JSON.parse(await readFile(path.join(out, `${stem}.report.json`), 'utf8'));
      expect(report).toMatchObject({
        output: `${stem}${ext}`,
        frames: 25,
        contactSheet: { file: `${stem}.contact.png`, rows: ['source', 'graded'] },
      });
      // The default grade reads every other frame (and each shot's first): 0, 2, ..., 24.
      expect(report.classifier.framesAnalysed).toBe(13);
      expect(report.classifier.shots.length).toBeGreaterThanOrEqual(1);
      expect(report.exports).toEqual(
        expect.arrayContaining([`${stem}.luts/${stem}.shot-000.cube`, `${stem}.luts/${stem}.ccc`]),
      );
      for (const file of report.exports) expect(existsSync(path.join(out, file))).toBe(true);
      const sheet = await probe(path.join(out, `${stem}.contact.png`));
      expect(sheet.streams[0]).toMatchObject({
        codec_name: 'png',
        width: 4 * 320 + 3 * 4,
        height: 2 * (20 + 180) + 4, // a label band above each row
      });
    }
    expect((await readdir(path.join(watch, 'done'))).sort()).toEqual(['first.mp4', 'second take.mov']);
    expect((await readdir(path.join(watch, 'quarantine'))).sort()).toEqual([
      'broken.mp4',
      'broken.mp4.reason.json',
    ]);
    const reason = JSON.parse(
      await readFile(path.join(watch, 'quarantine', 'broken.mp4.reason.json'), 'utf8'),
    );
    // Not media: no retry can help, so the first try is the last.
    expect(reason).toMatchObject({
      source: 'broken.mp4',
      attempts: 1,
      reason: expect.stringMatching(/^E_INPUT_NOT_MEDIA/),
    });
    // The watch folder holds nothing but its two subfolders; no scratch files are left behind.
    expect((await readdir(watch)).sort()).toEqual(['done', 'quarantine']);
    expect(await readdir(path.join(out, '.vgrade-work'))).toEqual([]);

    const status = await vgrade(['ingest', 'status', '--out', out, '--json']);
    const jobs = status.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jobs.map((j) => [j.name, j.state]).sort()).toEqual([
      ['broken.mp4', 'quarantined'],
      ['first.mp4', 'done'],
      ['second take.mov', 'done'],
    ]);
  });

  it('after kill -9 in the middle of a job, a restart grades it again and exactly one master appears', async () => {
    const watch = path.join(tmp.dir, 'b-in');
    const out = path.join(tmp.dir, 'b-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    const long = path.join(watch, 'long.mp4');
    await clip(long, 8, '640x360');
    const expected = await frameCount(long);

    // Killed once the encoder has started writing the partial master.
    const child = spawn(process.execPath, [CLI, 'ingest', '--watch', watch, '--out', out, ...FAST], {
      stdio: 'ignore',
    });
    const killedMidJob = await killOncePartialMasterGrows(child, out);
    expect(killedMidJob).toBe(true);
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode ? resolve(null) : child.on('exit', resolve),
    );
    expect(existsSync(path.join(out, 'long.mp4'))).toBe(false);

    const again = await vgrade(['ingest', '--watch', watch, '--out', out, '--once', ...FAST]);
    expect(again.code, again.stderr).toBe(0);
    const masters = (await readdir(out)).filter((f) => f.endsWith('.mp4'));
    expect(masters).toEqual(['long.mp4']);
    expect(await frameCount(path.join(out, 'long.mp4'))).toBe(expected);
    expect(await readdir(path.join(out, '.vgrade-work'))).toEqual([]);
    const status = await vgrade(['ingest', 'status', '--out', out, '--json']);
    const [job] = status.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(job).toMatchObject({ name: 'long.mp4', state: 'done', attempts: 2, frames: expected });
  });

  it('a second source under a name already delivered gets a name of its own and a warning; nothing is written over', async () => {
    const watch = path.join(tmp.dir, 'n-in');
    const out = path.join(tmp.dir, 'n-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    await copyFile(source, path.join(watch, 'take.mp4'));
    const first = await vgrade(['ingest', '--watch', watch, '--out', out, '--once', ...FAST]);
    expect(first.code, first.stderr).toBe(0);
    const master = path.join(out, 'take.mp4');
    const bytes = await readFile(master);
    const { mtimeMs } = await stat(master);

    // The same name dropped again with other content (15 frames, not 25): a new job.
    await clip(path.join(watch, 'take.mp4'), 0.6);
    const second = await vgrade(['ingest', '--watch', watch, '--out', out, '--once', ...FAST]);
    expect(second.code, second.stderr).toBe(0);
    expect(await readFile(master)).toEqual(bytes);
    expect((await stat(master)).mtimeMs).toBe(mtimeMs);
    const other = (await readdir(out)).filter((f) => f.endsWith('.mp4') && f !== 'take.mp4');
    expect(other).toEqual([expect.stringMatching(/^take-[0-9a-f]{8}\.mp4$/)]);
    expect(await frameCount(path.join(out, other[0]!))).toBe(15);
    const warnings = logLines(second.stderr).filter(
      (l) => l.msg === 'output name taken by another source; delivered under another name',
    );
    expect(warnings).toEqual([
      expect.objectContaining({ file: 'take.mp4', taken: 'take.mp4', output: other[0] }),
    ]);
    const status = await vgrade(['ingest', 'status', '--out', out]);
    expect(status.stdout.toString()).toContain(path.join(out, other[0]!));
  });

  it('delivers an XDCAM master in MXF as MXF in its own codec, and an MXF of another codec as Matroska', async () => {
    const watch = path.join(tmp.dir, 'x-in');
    const out = path.join(tmp.dir, 'x-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    const lavfi = [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=25:duration=0.96,colorchannelmixer=bb=1.2',
    ];
    // XDCAM HD422's coding (MPEG-2 4:2:2 profile, 50 Mb/s, GOP 12), and H.264 in MXF.
    await ffmpeg([
      ...lavfi,
      ...['-c:v', 'mpeg2video', '-pix_fmt', 'yuv422p', '-profile:v', '0', '-b:v', '50M', '-minrate', '50M'],
      ...['-maxrate', '50M', '-bufsize', '17825792', '-g', '12', '-bf', '2'],
      ...['-timecode', '10:00:00:00', path.join(watch, 'news.mxf')],
    ]);
    await ffmpeg([...lavfi, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path.join(watch, 'avc.mxf')]);
    const run = await vgrade(['ingest', '--watch', watch, '--out', out, '--once', ...FAST]);
    expect(run.code, run.stderr).toBe(0);
    const news = (await probe(path.join(out, 'news.mxf'))).streams[0];
    expect([news.codec_name, news.profile, news.bit_rate]).toEqual(['mpeg2video', '4:2:2', '50000000']);
    expect(await frameCount(path.join(out, 'news.mxf'))).toBe(24);
    expect((await probe(path.join(out, 'avc.mkv'))).streams[0].codec_name).toBe('h264');
    expect((await probe(path.join(out, 'news.mxf'))).format.tags.timecode).toBe('10:00:00:00');
    for (const stem of ['news', 'avc']) {
      const report = JSON.parse(await readFile(path.join(out, `${stem}.report.json`), 'utf8'));
      expect(report.output).toBe(stem === 'news' ? 'news.mxf' : 'avc.mkv');
      // (An MXF always states a timecode: ffmpeg wrote 00:00:00:00 into the H.264 one.)
      expect(report.video).toMatchObject({
        timecode: stem === 'news' ? '10:00:00:00' : '00:00:00:00',
        closedCaptions: false,
      });
    }
  });

  it('--container delivers every master in the house container: an MP4 drop as XDCAM HD422 coding in MXF', async () => {
    const watch = path.join(tmp.dir, 'h-in');
    const out = path.join(tmp.dir, 'h-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    await copyFile(source, path.join(watch, 'promo.mp4'));
    const run = await vgrade([
      ...['ingest', '--watch', watch, '--out', out, '--once', ...FAST],
      ...['--container', 'mxf', '--set', 'encode.codec=mpeg2video'],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const master = (await probe(path.join(out, 'promo.mxf'))).streams[0];
    expect([master.codec_name, master.profile, master.pix_fmt]).toEqual(['mpeg2video', '4:2:2', 'yuv422p']);
    expect(await frameCount(path.join(out, 'promo.mxf'))).toBe(25);
    const report = JSON.parse(await readFile(path.join(out, 'promo.report.json'), 'utf8'));
    expect(report.output).toBe('promo.mxf');
  });

  it('does not pick up a file while it is still being written, even when its writer pauses', async () => {
    const watch = path.join(tmp.dir, 'c-in');
    const out = path.join(tmp.dir, 'c-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    const bytes = await readFile(source);
    const child = spawn(process.execPath, [CLI, 'ingest', '--watch', watch, '--out', out, ...FAST], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const target = path.join(watch, 'slow.mp4');
      const writer = await open(target, 'w');
      await writer.write(bytes.subarray(0, bytes.length >> 1));
      await sleep(2000); // far longer than the settle time
      const queuedEarly = logLines(stderr).some((l) => l.msg === 'queued');
      await writer.write(bytes.subarray(bytes.length >> 1));
      await writer.close();
      expect(queuedEarly).toBe(false);
      const master = path.join(out, 'slow.mp4');
      for (let i = 0; i < 200 && !existsSync(master); i++) await sleep(100);
      expect(existsSync(master), stderr).toBe(true);
      expect(await frameCount(master)).toBe(25);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
    }
    expect(child.exitCode).toBe(0);
  });

  it('says on one line, at the default log level, what it watches, where it writes, its queue and metrics', async () => {
    const watch = path.join(tmp.dir, 'd-in');
    const out = path.join(tmp.dir, 'd-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    const run = await vgrade(['ingest', '--watch', watch, '--out', out, '--once', '--metrics-port', '0']);
    expect(run.code, run.stderr).toBe(0);
    const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const db = path.join(out, '.vgrade', 'ingest.db');
    expect(run.stderr).toMatch(
      new RegExp(
        `^vgrade ingest: watching ${esc(watch)} -> ${esc(out)} ` +
          `\\(queue sqlite:${esc(db)}, metrics http://127\\.0\\.0\\.1:[1-9][0-9]*/metrics\\)\n$`,
      ),
    );
    const quiet = await vgrade(['ingest', '--watch', watch, '--out', out, '--once', '--no-metrics', '-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it("status shows a running job's progress: frames done, speed and time left", async () => {
    const watch = path.join(tmp.dir, 'e-in');
    const out = path.join(tmp.dir, 'e-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    await clip(path.join(watch, 'long.mp4'), 8, '640x360');
    const child = spawn(process.execPath, [CLI, 'ingest', '--watch', watch, '--out', out, ...FAST], {
      stdio: 'ignore',
    });
    let row: string | undefined;
    try {
      for (let i = 0; i < 600 && !row; i++) {
        if (existsSync(path.join(out, '.vgrade', 'ingest.db'))) {
          const status = await vgrade(['ingest', 'status', '--out', out]);
          row = status.stdout
            .toString()
            .split('\n')
            .find((l) => /^running +1 +long\.mp4 +[1-9]/.test(l));
        }
        if (!row) await sleep(200);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
    }
    expect(row).toMatch(/^running +1 +long\.mp4 +\d+\/200 frames, \d+\.\d fps, ETA \d+:\d\d$/);
  });
});

describe('vgrade ingest on a BullMQ queue in Redis', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    tmp = await tempDir('vgrade-farm-');
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    await tmp.cleanup();
  });

  it('two workers on one queue grade a batch with no job done twice', async () => {
    const watch = path.join(tmp.dir, 'in');
    const out = path.join(tmp.dir, 'out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    const first = path.join(tmp.dir, 'clip.mp4');
    await clip(first, 1);
    const names = ['a.mp4', 'b.mp4', 'c.mp4', 'd.mp4', 'e.mp4', 'f.mp4'];
    for (const name of names) await copyFile(first, path.join(watch, name));

    const farm = [
      'ingest',
      '--watch',
      watch,
      '--out',
      out,
      '--queue',
      redis.url,
      '--queue-name',
      'farm-test',
      '--once',
      ...FAST,
    ];
    const [one, two] = await Promise.all([vgrade(farm), vgrade(farm)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);

    const graded = [...logLines(one.stderr), ...logLines(two.stderr)].filter((l) => l.msg === 'job done');
    expect(graded.map((l) => l.file).sort()).toEqual(names);
    expect(new Set(graded.map((l) => l.job)).size).toBe(names.length);
    expect((await readdir(out)).filter((f) => f.endsWith('.mp4')).sort()).toEqual(names);

    const status = await vgrade([
      'ingest',
      'status',
      '--queue',
      redis.url,
      '--queue-name',
      'farm-test',
      '--json',
    ]);
    const jobs = status.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jobs).toHaveLength(names.length);
    for (const job of jobs) expect(job).toMatchObject({ state: 'done', attempts: 1, frames: 25 });
  });

  it('when a worker is killed in the middle of a job, another takes the job over and one master appears', async () => {
    const watch = path.join(tmp.dir, 'kill-in');
    const out = path.join(tmp.dir, 'kill-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    await clip(path.join(watch, 'long.mp4'), 8, '640x360');
    const expected = await frameCount(path.join(watch, 'long.mp4'));
    const farm = [
      'ingest',
      '--watch',
      watch,
      '--out',
      out,
      '--queue',
      redis.url,
      '--queue-name',
      'kill-test',
      '--lock',
      '5',
      ...FAST,
    ];

    const first = spawn(process.execPath, [CLI, ...farm], { stdio: 'ignore' });
    const killedMidJob = await killOncePartialMasterGrows(first, out);
    expect(killedMidJob).toBe(true);

    // The second worker waits for the dead worker's lock to lapse, then grades the job itself.
    const second = await vgrade([...farm, '--once']);
    expect(second.code, second.stderr).toBe(0);
    expect((await readdir(out)).filter((f) => f.endsWith('.mp4'))).toEqual(['long.mp4']);
    expect(await frameCount(path.join(out, 'long.mp4'))).toBe(expected);
    expect(logLines(second.stderr).filter((l) => l.msg === 'job done')).toHaveLength(1);
    const status = await vgrade([
      'ingest',
      'status',
      '--queue',
      redis.url,
      '--queue-name',
      'kill-test',
      '--json',
    ]);
    const jobs = status.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jobs).toMatchObject([{ name: 'long.mp4', state: 'done', frames: expected }]);
  });
});

describe('vgrade ingest refuses a queue it cannot open', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir('vgrade-noqueue-');
  });
  afterAll(() => tmp.cleanup());

  it('status of a folder that holds no queue is a usage error naming the folder, and creates nothing', async () => {
    const typo = path.join(tmp.dir, 'typo');
    const status = await vgrade(['ingest', 'status', '--out', typo]);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(`No ingest queue in ${typo}`);
    expect(status.stdout.toString()).toBe('');
    expect(existsSync(typo)).toBe(false);
  });

  it('an unreachable Redis is an error within seconds naming its address, for status and for the ingest', async () => {
    const port = await freePort(); // closed: nothing listens there
    const queue = `redis://127.0.0.1:${port}`;
    const watch = path.join(tmp.dir, 'in');
    await import('node:fs/promises').then((fs) => fs.mkdir(watch));
    const started = Date.now();
    const results = await Promise.all([
      vgrade(['ingest', 'status', '--queue', queue]),
      vgrade([
        'ingest',
        '--watch',
        watch,
        '--out',
        path.join(tmp.dir, 'out'),
        '--queue',
        queue,
        '--no-metrics',
      ]),
    ]);
    expect(Date.now() - started).toBeLessThan(60_000); // seconds, not the hang it once was
    for (const result of results) {
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`Cannot reach Redis at 127.0.0.1:${port}`);
    }
  });
});
