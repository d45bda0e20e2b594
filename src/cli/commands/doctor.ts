import { access } from 'node:fs/promises';
import path from 'node:path';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { capabilitiesCacheDir, getCapabilities, getProbeVersion } from '../../ffmpeg/capabilities.js';
import { packageRoot } from '../../util/packageRoot.js';
import { defineCommand } from '../command.js';

/** The models that ship in models/, and whether this installation has them. */
async function shippedModels(): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const name of ['cgan', 'classifier']) {
    out[name] = await access(path.join(packageRoot(), 'models', name, 'model.json')).then(
      () => true,
      () => false,
    );
  }
  return out;
}

/** Encoders and filters the product uses or compares against, and what each is for. */
const ENCODERS = [
  'libx264',
  'libx265',
  'libvpx-vp9',
  'prores_ks',
  'dnxhd',
  'mpeg2video',
  'ffv1',
  'png',
  'tiff',
  'mjpeg',
  'aac',
];
const FILTERS = ['haldclut', 'lut3d', 'scale', 'pad', 'showinfo', 'normalize', 'grayworld', 'colorcorrect'];
/** `vgrade doctor`: what this installation will use, and what it lacks. */
export async function runDoctor(opts: { json: boolean }): Promise<number> {
  // Loaded here, not with the command's module: TensorFlow.js comes with it.
  const { backendAvailability } = await import('../../models/backend.js');
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
    modelBackends: backendAvailability(),
    autoBackend: backendAvailability().find((b) => b.name === 'tensorflow' && b.available)
      ? 'tensorflow'
      : 'wasm',
    models: await shippedModels(),
    cache: capabilitiesCacheDir(),
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
    ...report.modelBackends.map(
      (b) => `backend ${b.name.padEnd(10)} ${b.available ? 'yes' : 'no '} ${b.detail}`,
    ),
    `backend auto picks: ${report.autoBackend}`,
    'models:   ' +
      Object.entries(report.models)
        .map(([m, ok]) => `${m} ${ok ? 'yes' : 'MISSING'}`)
        .join(', '),
    `cache    ${report.cache} (what each ffmpeg can do; safe to delete)`,
    `node ${report.node}`,
  ];
  if (!caps.filters.has('haldclut'))
    lines.push('PROBLEM: this ffmpeg lacks haldclut, which the encoder needs');
  process.stdout.write(`${lines.join('\n')}\n`);
  return caps.filters.has('haldclut') ? 0 : 1;
}

export const doctorCommand = defineCommand({
  command: 'doctor',
  describe:
    'Show the ffmpeg and ffprobe in use, their versions, the encoders and filters that matter, and the model backend',
  builder: (y) => y.options({ json: { type: 'boolean', default: false, describe: 'Print JSON' } }),
  handler: (args) => runDoctor({ json: args.json }),
});
