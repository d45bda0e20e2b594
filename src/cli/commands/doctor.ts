import { createRequire } from 'node:module';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities, getProbeVersion } from '../../ffmpeg/capabilities.js';

/** Encoders and filters the product uses or compares against, and what each is for. */
const ENCODERS = ['libx264', 'libx265', 'libvpx-vp9', 'prores_ks', 'ffv1', 'png', 'tiff', 'mjpeg'];
const FILTERS = ['haldclut', 'lut3d', 'scale', 'pad', 'showinfo', 'normalize', 'grayworld', 'colorcorrect'];
const MODEL_PACKAGES = [
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs',
];

function installed(name: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const manifest = require(`${name}/package.json`) as { version: string };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** `vgrade doctor`: what this installation will use, and what it lacks. */
export async function runDoctor(opts: { json: boolean }): Promise<number> {
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg);
  const probe = await getProbeVersion(binaries.ffprobe);
  const report = {
    ffmpeg: {
      path: binaries.ffmpeg,
      from: binaries.source,
      version: caps.version,
      release: `${caps.major}.${caps.minor}`,
    },
    ffprobe: { path: binaries.ffprobe, version: probe.version },
    timestampPassthrough: caps.passthroughArgs.join(' '),
    encoders: Object.fromEntries(ENCODERS.map((e) => [e, caps.encoders.has(e)])),
    filters: Object.fromEntries(FILTERS.map((f) => [f, caps.filters.has(f)])),
    modelBackend: Object.fromEntries(MODEL_PACKAGES.map((p) => [p, installed(p) ?? null])),
    node: process.version,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  const lines = [
    `ffmpeg   ${report.ffmpeg.path}`,
    `         from ${report.ffmpeg.from}, version ${report.ffmpeg.version} (release ${report.ffmpeg.release})`,
    `ffprobe  ${report.ffprobe.path} (version ${report.ffprobe.version})`,
    `timestamps passed through with: ${report.timestampPassthrough}`,
    'encoders: ' + ENCODERS.map((e) => `${e} ${yes(caps.encoders.has(e))}`).join(', '),
    'filters:  ' + FILTERS.map((f) => `${f} ${yes(caps.filters.has(f))}`).join(', '),
    'model backend: ' +
      (MODEL_PACKAGES.some((p) => report.modelBackend[p])
        ? MODEL_PACKAGES.filter((p) => report.modelBackend[p])
            .map((p) => `${p} ${report.modelBackend[p]}`)
            .join(', ')
        : 'none installed (the neural stages are not part of this build; grading uses the classical pipeline)'),
    `node ${report.node}`,
  ];
  if (!caps.filters.has('haldclut'))
    lines.push('PROBLEM: this ffmpeg lacks haldclut, which the encoder needs');
  process.stdout.write(`${lines.join('\n')}\n`);
  return caps.filters.has('haldclut') ? 0 : 1;
}
