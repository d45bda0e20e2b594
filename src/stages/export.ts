/**
 * export: writes each shot's correction where a colourist can pick it up (`vgrade grade --export
 * DIR`), so the network's grade is a starting point in their own tool, not a dead end.
 *
 * Per shot (shots end at cuts and discontinuities): the mean of the shot's per-frame LUTs (after
 * `merge` and `blend`) as `NAME.shot-NNN.cube` (33^3 by default) and the nearest ASC CDL as
 * `NAME.shot-NNN.cc`; at the end, every shot's CDL as `NAME.ccc` and as a CMX 3600 `NAME.edl` with
 * `*ASC_SOP`/`*ASC_SAT` per event (how DaVinci Resolve takes a CDL per shot). NAME is the input's
 * file name without its extension. Each CDL says in its description how far it stays from the LUT.
 * An HDR source's files apply to its HDR signal (the correction of its SDR view carried back, as
 * the encoder carries it). Frames pass through unchanged.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defer, tap } from '../util/rx.js';
import { defineStage } from './stage.js';
import { startsSegment } from '../frame/frame.js';
import {
  cccFile,
  ccFile,
  cubeFile,
  edlFile,
  fitCdl,
  IDENTITY_CDL,
  type Cdl,
} from '../correction/interchange.js';
import { allocLut, identityLut, type Lut3d } from '../correction/lut3d.js';
import { HdrView } from '../color/hdr.js';

const options = {
  dir: {
    type: 'string',
    default: '',
    help: 'Folder to write the per-shot .cube, .cc, and the .ccc and .edl into (empty: off)',
  },
  cube_size: { type: 'integer', default: 33, min: 2, max: 65, help: 'Points per axis of the exported .cube' },
} as const;

interface Shot {
  id: string;
  from: number;
  to: number;
  sum: Float64Array | undefined;
  size: number;
  frames: number;
}

export const exportStage = defineStage({
  kind: 'transform',
  name: 'export',
  description: "Writes each shot's correction as a .cube and an ASC CDL (.cc, .ccc, CMX EDL) for colourists",
  options,
  requires: ['lut'],
  isIdentity: (opts) => opts.dir === '',
  create: (opts, run) => (source) =>
    defer(() => {
      const label = run.label === 'standard input' ? 'stdin' : run.label;
      const name = path.basename(label, path.extname(label));
      mkdirSync(opts.dir, { recursive: true });
      const fps = run.frameRate ?? 25;
      const view = run.hdr ? new HdrView(run.hdr) : undefined;
      const shots: Array<{ id: string; from: number; to: number; cdl: Cdl }> = [];
      let current: Shot | undefined;
      const close = (): void => {
        if (!current) return;
        let lut: Lut3d;
        if (current.sum && current.frames > 0) {
          const data = new Float32Array(current.sum.length);
          for (let i = 0; i < data.length; i++) data[i] = current.sum[i]! / current.frames;
          lut = { size: current.size, data };
        } else {
          lut = identityLut(2);
        }
        // An HDR source: the shot's correction of its SDR view, carried to its signal, which is
        // what a colourist's tool applies the files to.
        if (view) lut = view.composeLut(lut, allocLut(lut.size));
        const cdl = current.sum ? fitCdl(lut) : IDENTITY_CDL;
        const base = path.join(opts.dir, `${name}.${current.id}`);
        writeFileSync(`${base}.cube`, cubeFile(lut, opts.cube_size, `${name} ${current.id}`));
        writeFileSync(`${base}.cc`, ccFile(`${name}.${current.id}`, cdl));
        shots.push({ id: `${name}.${current.id}`, from: current.from, to: current.to, cdl });
        current = undefined;
      };
      return source.pipe(
        tap({
          next: (frame) => {
            if (current && startsSegment(frame)) close();
            current ??= {
              id: `shot-${String(shots.length).padStart(3, '0')}`,
              from: frame.index,
              to: frame.index,
              sum: undefined,
              size: 0,
              frames: 0,
            };
            current.to = frame.index;
            if (frame.lut) {
              if (!current.sum || current.size !== frame.lut.size) {
                current.sum = new Float64Array(frame.lut.data.length);
                current.size = frame.lut.size;
                current.frames = 0;
              }
              const d = frame.lut.data;
              for (let i = 0; i < d.length; i++) current.sum[i]! += d[i]!;
              current.frames++;
            }
          },
          // Only a finished input is exported: a failed or interrupted one leaves no half set.
          complete: () => {
            close();
            if (shots.length === 0) return;
            writeFileSync(path.join(opts.dir, `${name}.ccc`), cccFile(shots));
            writeFileSync(
              path.join(opts.dir, `${name}.edl`),
              edlFile(name, path.basename(label), fps, shots, run.startTimecode),
            );
          },
        }),
      );
    }),
});
