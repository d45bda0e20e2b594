import { mkdir } from 'node:fs/promises';
import { useBackend } from '../../src/models/backend.js';
import { buildClassifier } from '../../src/models/classifier/network.js';
import { DEFAULT_CLASSIFIER_TRAIN } from '../../src/models/classifier/train.js';
import { disposeParams, saveModel } from '../../src/models/params.js';
import { createRng } from '../../src/detune/random.js';
import { ffmpeg } from './media.js';
import { SAMPLE } from './cli.js';

/** An untrained (tiny) classifier for 456x256 proxies, saved as a model folder: for stage tests. */
export async function saveTinyClassifier(dir: string): Promise<string> {
  await useBackend('wasm');
  await mkdir(dir, { recursive: true });
  const network = { base: 4, hidden: 8, histograms: true };
  const params = buildClassifier(network, createRng(1));
  await saveModel(
    dir,
    {
      format: 'vgrade-classifier',
      formatVersion: 1,
      config: { ...DEFAULT_CLASSIFIER_TRAIN, input: { width: 456, height: 256 }, network },
    },
    params,
  );
  disposeParams(params);
  return dir;
}

/**
 * Two shots of real footage with a hard cut at frame 20 (the sample runs at 20 fps): 1 s of the
 * sample, then 1 s of it mirrored and negated, at 320x180.
 */
export async function twoShotClip(file: string, extra: string[] = []): Promise<string> {
  await ffmpeg([
    '-i',
    SAMPLE,
    '-filter_complex',
    '[0:v]trim=0:1,setpts=PTS-STARTPTS,scale=320:180[a];[0:v]trim=2:3,setpts=PTS-STARTPTS,scale=320:180,hflip,negate[b];[a][b]concat=n=2:v=1[v]',
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    ...extra,
    file,
  ]);
  return file;
}
