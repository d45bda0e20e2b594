import path from 'node:path';
import { STAGES } from '../stages/index.js';
import {
  DEFAULT_STREAM_FORMAT,
  PRODUCT_NAMES,
  type FrameGeometry,
  type FrameProduct,
  type ProductDeclaration,
  type StageContextNeeds,
  type SourceStage,
  type StageDefinition,
  type StreamEnds,
  type StreamFormat,
} from '../stages/stage.js';
import { resolveOptions, type OptionValues, type OptionsTable } from '../stages/options.js';
import type { PipelineSpec } from './load.js';
import { UsageError } from '../util/errors.js';
import { frameBytes, type Depth } from '../image/image.js';
import { haldFrameBytes } from '../correction/hald.js';

/** Where a stage's work happens. */
export type StagePlacement = 'decoder ffmpeg' | 'live source' | 'node' | 'encoder ffmpeg';

/** True for a stage whose work the source does (inside the decoder's ffmpeg, or the live source). */
export function inSource(placement: StagePlacement): boolean {
  return placement === 'decoder ffmpeg' || placement === 'live source';
}

export interface CompiledStage {
  readonly definition: StageDefinition;
  readonly options: OptionValues<OptionsTable>;
  readonly index: number;
  readonly placement: StagePlacement;
  readonly needs: StageContextNeeds;
}

export interface CompiledPipeline {
  readonly spec: PipelineSpec;
  readonly stages: readonly CompiledStage[];
  /** Frames in the pool: enough for every stage's context plus the frames in motion. */
  readonly poolSize: number;
  /** Frames between a frame entering and leaving the pipeline (the sum of lookaheads). */
  readonly delayFrames: number;
  /** What the stream carries after the last stage, as the stages negotiated it (the LUT level). */
  readonly format: StreamFormat;
  /**
   * True when `encode` encodes the frames themselves (`pixels: frames`): full-resolution pixels
   * travel through Node, and a rotated source comes out with its pixels turned upright.
   */
  readonly encodesFrames: boolean;
}

/** Frames in motion besides the stages' context: one being filled, one being passed on, and the
 * encoder's pipe (which holds a few frames' LUTs while ffmpeg works). */
export const FRAMES_IN_MOTION = 4;

/**
 * Starts what the stages can prepare before the input is known (model workers), so it overlaps
 * the capability checks and the probe. Nothing here fails: problems surface when stages are created.
 */
export function warmPipeline(pipeline: CompiledPipeline): void {
  for (const stage of pipeline.stages) {
    try {
      (stage.definition.warm as ((o: OptionValues<OptionsTable>) => void) | undefined)?.(stage.options);
    } catch {
      // reported by the stage's create
    }
  }
}

/** How messages say where a source reads and a sink writes. */
const ENDS_WORDS: Readonly<Record<StreamEnds, { source: string; sink: string }>> = {
  file: { source: 'reads files and streams', sink: 'writes files and streams' },
  live: { source: 'reads a live input (vgrade preview)', sink: 'shows a live preview' },
};

type Declarations = readonly ProductDeclaration[] | undefined;

/** The products a declaration list names for these option values. */
function declared(list: Declarations, options: OptionValues<OptionsTable>): FrameProduct[] {
  return (list ?? []).flatMap((d) => {
    if (typeof d === 'string') return [d];
    return Object.entries(d.when).every(([key, value]) => options[key] === value) ? [d.product] : [];
  });
}

/** The option values a declaration needs, as a pipeline file writes them: `wait: true`. */
function describeWhen(d: ProductDeclaration): string {
  if (typeof d === 'string') return '';
  return Object.entries(d.when)
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ');
}

/** The declaration of `product` in a stage's list, if it has one. */
function declarationOf(list: Declarations, product: FrameProduct): ProductDeclaration | undefined {
  return list?.find((d) => (typeof d === 'string' ? d : d.product) === product);
}

/**
 * Why an unmet requirement is unmet, naming the stage that needs it and the stages that could
 * feed it: an earlier stage that produces it only with other option values, else every stage that
 * can ("put classify (with wait: true) before it").
 */
function unmetRequirement(
  name: string,
  need: FrameProduct,
  before: readonly { definition: StageDefinition; where: string }[],
): string {
  const needs = `${name} needs ${PRODUCT_NAMES[need]}`;
  for (const stage of before) {
    const d = declarationOf(stage.definition.produces, need);
    if (d && typeof d !== 'string')
      return `${needs}, which ${stage.where} gives only with ${describeWhen(d)}`;
  }
  const providers = [...STAGES.values()].flatMap((s) => {
    const d = declarationOf(s.produces, need);
    if (!d) return [];
    return [typeof d === 'string' ? s.name : `${s.name} (with ${describeWhen(d)})`];
  });
  if (providers.length === 0) return `${needs}, which no stage produces`;
  const put = providers.length === 1 ? providers[0] : `one of ${providers.join(', ')}`;
  return `${needs}: put ${put} before it`;
}

/**
 * Validates a parsed pipeline against every stage's options table and the rules that keep a
 * pipeline sound, before any process starts, then sizes the frame pool from the declared context.
 *
 * Rules: a source first and only there (`decode`, or `live` for the preview); a sink last, if
 * present, writing where the source reads (`encode` after `decode`, `preview` after `live`);
 * stages the source makes (`downscale`) directly after it; every stage's `requires` met by an earlier stage
 * (with the options that make it produce them). The stream's format (the LUT level) is what each
 * stage's `negotiate` leaves, in order.
 */
export function compilePipeline(spec: PipelineSpec): CompiledPipeline {
  const file = path.basename(spec.file);
  const stages: CompiledStage[] = [];
  const produced = new Set<FrameProduct>();
  const placed: Array<{ definition: StageDefinition; where: string }> = [];
  let format = DEFAULT_STREAM_FORMAT;
  let fusing = true;
  /** The source's definition, once stage 0 is read: the sink must write where it reads. */
  let source: SourceStage | undefined;
  spec.stages.forEach((entry, index) => {
    const definition = STAGES.get(entry.name);
    const where = `stages[${index}].${entry.name} (${entry.position})`;
    if (!definition) {
      throw new UsageError(
        'E_PIPELINE_STAGE',
        `Expected one of ${[...STAGES.keys()].join(', ')} for stages[${index}] (${entry.position}) but received ${JSON.stringify(entry.name)}`,
      );
    }
    const options = resolveOptions(
      definition.options,
      entry.options,
      `stages[${index}].${entry.name}`,
      (key) => entry.optionPositions.get(key),
    );
    try {
      definition.check?.(options as never);
    } catch (err) {
      if (err instanceof UsageError) {
        throw new UsageError('E_PIPELINE_OPTION', `${where}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    if (definition.kind === 'source' && index !== 0) {
      throw new UsageError('E_PIPELINE_ORDER', `${where}: ${entry.name} must be the first stage of ${file}`);
    }
    if (index === 0 && definition.kind !== 'source') {
      throw new UsageError(
        'E_PIPELINE_ORDER',
        `${where}: the first stage of ${file} must be a source: decode (files and streams) or live (vgrade preview)`,
      );
    }
    if (definition.kind === 'source') source = definition;
    if (definition.kind === 'sink' && source && definition.ends !== source.ends) {
      throw new UsageError(
        'E_PIPELINE_ORDER',
        `${where}: ${entry.name} ${ENDS_WORDS[definition.ends].sink}, but ${file} starts with ${source.name}, which ${ENDS_WORDS[source.ends].source}: end it with ${source.ends === 'live' ? 'preview' : 'encode'}`,
      );
    }
    if (definition.kind === 'sink' && index !== spec.stages.length - 1) {
      throw new UsageError('E_PIPELINE_ORDER', `${where}: ${entry.name} must be the last stage of ${file}`);
    }
    let placement: StagePlacement = 'node';
    if (definition.kind === 'transform' && definition.decoderFilter) {
      if (stages.some((s) => s.definition === definition)) {
        throw new UsageError(
          'E_PIPELINE_ORDER',
          `${where}: ${file} has ${entry.name} twice; one proxy size is enough`,
        );
      }
      if (!fusing) {
        throw new UsageError(
          'E_PIPELINE_ORDER',
          source?.ends === 'live'
            ? `${where}: ${entry.name} is made by the live source, so it must directly follow live`
            : `${where}: ${entry.name} runs inside the decoder's ffmpeg, so it must directly follow decode`,
        );
      }
      if (source?.ends === 'live' && !definition.madeByLiveSource?.(options as never)) {
        throw new UsageError(
          'E_PIPELINE_ORDER',
          `${where}: the live source makes its proxy by an area average into the proxy's picture; it cannot make ${entry.name} with these options (downscale with fit pad or stretch and scaler area, it can)`,
        );
      }
      placement = source?.ends === 'live' ? 'live source' : 'decoder ffmpeg';
    } else if (definition.kind === 'sink') {
      placement = definition.ends === 'file' ? 'encoder ffmpeg' : 'node';
    } else if (definition.kind === 'source') {
      placement = definition.ends === 'file' ? 'decoder ffmpeg' : 'live source';
    } else if (definition.kind === 'transform') {
      fusing = false;
    }
    for (const need of declared(definition.requires, options)) {
      if (!produced.has(need)) {
        throw new UsageError('E_PIPELINE_ORDER', `${where}: ${unmetRequirement(entry.name, need, placed)}`);
      }
    }
    try {
      definition.checkOrder?.(options as never, produced);
    } catch (err) {
      if (err instanceof UsageError) {
        throw new UsageError('E_PIPELINE_ORDER', `${where}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    for (const p of declared(definition.produces, options)) produced.add(p);
    if (inSource(placement) && definition.kind === 'transform') produced.add('proxy');
    format = definition.negotiate?.(options as never, format) ?? format;
    placed.push({ definition, where });
    const needs = definition.context?.(options as never) ?? { lookbehind: 0, lookahead: 0 };
    stages.push({ definition, options, index, placement, needs });
  });
  const context = stages.reduce((n, s) => n + s.needs.lookbehind + s.needs.lookahead, 0);
  const delayFrames = stages.reduce((n, s) => n + s.needs.lookahead, 0);
  const encodesFrames = stages.some((s) => s.definition.kind === 'sink' && s.options['pixels'] === 'frames');
  return { spec, stages, poolSize: context + FRAMES_IN_MOTION, delayFrames, format, encodesFrames };
}

/** The frames' geometry after the stages that run inside the decoder. */
export function decoderGeometry(
  pipeline: CompiledPipeline,
  source: { width: number; height: number; depth: Depth },
): { geometry: FrameGeometry; filters: string[] } {
  let geometry: FrameGeometry = {
    width: source.width,
    height: source.height,
    depth: source.depth,
    active: { x: 0, y: 0, width: source.width, height: source.height },
  };
  const filters: string[] = [];
  for (const stage of pipeline.stages) {
    if (!inSource(stage.placement) || stage.definition.kind !== 'transform') continue;
    const fused = stage.definition.decoderFilter!(stage.options as never, geometry);
    filters.push(fused.filter);
    geometry = fused.geometry;
  }
  return { geometry, filters };
}

/** Bytes the pipeline holds in Node for frames of this geometry: the pool and the LUT buffers. */
export function memoryEstimate(
  pipeline: CompiledPipeline,
  geometry: FrameGeometry,
): { poolBytes: number; lutBytes: number; totalBytes: number } {
  const perFrame = 2 * frameBytes(geometry.width, geometry.height, geometry.depth);
  const level = pipeline.format.haldLevel;
  const size = level * level;
  const lutBytes = pipeline.encodesFrames
    ? 0
    : pipeline.poolSize * (size ** 3 * 3 * 4 + haldFrameBytes(level));
  const poolBytes = pipeline.poolSize * perFrame;
  return { poolBytes, lutBytes, totalBytes: poolBytes + lutBytes };
}
