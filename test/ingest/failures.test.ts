import { describe, expect, it } from 'vitest';
import { FfmpegExitError } from '../../src/ffmpeg/spawn.js';
import { FAILURE_KINDS, failureKind } from '../../src/ingest/failures.js';
import { isFinalFailure } from '../../src/ingest/jobs.js';
import { RuntimeFailure, UsageError, type ErrorCode } from '../../src/util/errors.js';

describe('which failures of a job are worth another try', () => {
  it.each<ErrorCode>([
    'E_INPUT_CORRUPT',
    'E_INPUT_NOT_MEDIA',
    'E_INPUT_NO_VIDEO',
    'E_INPUT_EMPTY',
    'E_INPUT_HDR',
    'E_INPUT_MISSING',
  ])('%s is the file itself: permanent', (code) => {
    expect(FAILURE_KINDS[code]).toBe('permanent');
    expect(failureKind(new RuntimeFailure(code, 'x'))).toBe('permanent');
    expect(failureKind(new UsageError(code, 'x'))).toBe('permanent');
  });

  it.each<ErrorCode>(['E_FFMPEG', 'E_FFMPEG_MISSING', 'E_OUTPUT', 'E_BACKEND', 'E_MODEL', 'E_QUEUE'])(
    '%s is the machine or a process: transient',
    (code) => {
      expect(failureKind(new RuntimeFailure(code, 'x'))).toBe('transient');
    },
  );

  it('a pipeline that cannot take the file is permanent', () => {
    for (const code of ['E_PIPELINE_STAGE', 'E_PIPELINE_OPTION', 'E_MODEL_MISMATCH'] as const)
      expect(failureKind(new UsageError(code, 'x')), code).toBe('permanent');
  });

  it('an ffmpeg killed by a signal is transient, even when the decoder had called the file damaged', () => {
    const killed = new FfmpegExitError('ffmpeg (decode) was killed by SIGKILL', null, 'SIGKILL', '');
    expect(failureKind(killed)).toBe('transient');
    expect(failureKind(new RuntimeFailure('E_INPUT_CORRUPT', 'a.mp4 is damaged: x', { cause: killed }))).toBe(
      'transient',
    );
    const exited = new FfmpegExitError('ffmpeg (decode) exited with code 1', 1, null, '');
    expect(failureKind(new RuntimeFailure('E_INPUT_CORRUPT', 'a.mp4 is damaged: x', { cause: exited }))).toBe(
      'permanent',
    );
  });

  it('errors that are not ours (a full disk, a bug) are transient', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(failureKind(enospc)).toBe('transient');
    expect(failureKind(new TypeError('x is undefined'))).toBe('transient');
    expect(failureKind('a string')).toBe('transient');
  });

  it('a try is the last when the failure is permanent or the retries are used up', () => {
    const corrupt = new RuntimeFailure('E_INPUT_CORRUPT', 'x');
    const died = new RuntimeFailure('E_FFMPEG', 'x');
    expect(isFinalFailure(corrupt, 1, 3)).toBe(true);
    expect(isFinalFailure(died, 1, 3)).toBe(false);
    expect(isFinalFailure(died, 3, 3)).toBe(false);
    expect(isFinalFailure(died, 4, 3)).toBe(true);
    expect(isFinalFailure(died, 1, 0)).toBe(true);
  });
});
