import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, parse as parseYaml, type Node } from 'yaml';
import { UsageError, describeValue } from '../util/errors.js';
import { STAGES } from '../stages/index.js';

/** One stage as written in a pipeline file, with where each part was written. */
export interface StageEntry {
  readonly name: string;
  readonly options: Record<string, unknown>;
  /** `file:line:col` of the stage's name. */
  readonly position: string;
  /** `file:line:col` of each option's value. */
  readonly optionPositions: ReadonlyMap<string, string>;
}

export interface PipelineSpec {
  readonly file: string;
  readonly description: string | undefined;
  readonly stages: readonly StageEntry[];
}

/**
 * Parses a pipeline file:
 *
 * ```yaml
 * description: what this pipeline is for
 * stages:
 *   - decode:
 *   - downscale: { width: 456, height: 256 }
 *   - autobalance:
 *       radius: 12
 *   - merge:
 *   - encode:
 * ```
 *
 * Only the shape is checked here (a list of one-key maps); option values are checked against the
 * stages' tables by the compiler, which uses the positions recorded here in its messages.
 */
export function parsePipeline(text: string, file: string): PipelineSpec {
  const name = path.basename(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    if (offset === undefined) return name;
    const { line, col } = lines.linePos(offset);
    return `${name}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const { line, col } = lines.linePos(err.pos[0]);
    throw new UsageError(
      'E_PIPELINE_SYNTAX',
      `${name}:${line}:${col}: invalid YAML: ${err.message.split('\n')[0]}`,
    );
  }
  const root = doc.contents;
  if (!isMap(root)) {
    throw new UsageError('E_PIPELINE_SYNTAX', `${at(root)}: expected a map with a "stages" list in ${name}`);
  }
  let description: string | undefined;
  let stagesNode: Node | null | undefined;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key === 'stages') stagesNode = pair.value as Node | null;
    else if (key === 'description') {
      const v = isScalar(pair.value) ? pair.value.value : undefined;
      if (typeof v !== 'string')
        throw new UsageError('E_PIPELINE_SYNTAX', `${at(pair.value as Node)}: expected text for description`);
      description = v;
    } else {
      throw new UsageError(
        'E_PIPELINE_SYNTAX',
        `${at(pair.key as Node)}: expected "stages" or "description" at the top of ${name} but received ${JSON.stringify(key)}`,
      );
    }
  }
  if (!isSeq(stagesNode) || stagesNode.items.length === 0) {
    throw new UsageError(
      'E_PIPELINE_SYNTAX',
      `${at(stagesNode ?? root)}: expected a non-empty list under "stages"`,
    );
  }
  const stages = stagesNode.items.map((item, index): StageEntry => {
    const node = item as Node;
    if (isScalar(node) && typeof node.value === 'string') {
      return { name: node.value, options: {}, position: at(node), optionPositions: new Map() };
    }
    if (!isMap(node) || node.items.length !== 1) {
      throw new UsageError(
        'E_PIPELINE_SYNTAX',
        `${at(node)}: expected stages[${index}] to be one stage name with its options, e.g. "- downscale: { width: 456 }"`,
      );
    }
    const pair = node.items[0]!;
    const stageName = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof stageName !== 'string') {
      throw new UsageError(
        'E_PIPELINE_SYNTAX',
        `${at(pair.key as Node)}: expected a stage name for stages[${index}]`,
      );
    }
    const value = pair.value as Node | null;
    const options: Record<string, unknown> = {};
    const optionPositions = new Map<string, string>();
    if (value !== null && !(isScalar(value) && value.value === null)) {
      if (!isMap(value)) {
        throw new UsageError(
          'E_PIPELINE_SYNTAX',
          `${at(value)}: expected the options of stages[${index}].${stageName} to be a map but received ${describeValue(
            isScalar(value) ? value.value : value.toJSON(),
          )}`,
        );
      }
      for (const opt of value.items) {
        const key = isScalar(opt.key) ? opt.key.value : undefined;
        if (typeof key !== 'string') {
          throw new UsageError(
            'E_PIPELINE_SYNTAX',
            `${at(opt.key as Node)}: expected an option name in stages[${index}].${stageName}`,
          );
        }
        const v = opt.value as Node | null;
        options[key] = v === null ? null : v.toJSON();
        optionPositions.set(key, at(v ?? (opt.key as Node)));
      }
    }
    return { name: stageName, options, position: at(pair.key as Node), optionPositions };
  });
  return { file, description, stages };
}

export async function loadPipeline(file: string): Promise<PipelineSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError('E_USAGE', `Cannot read pipeline file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parsePipeline(text, file);
}

/**
 * Applies `--set stage.option=value` overrides (value parsed as YAML, so `12`, `true`, `pad`
 * work). Every stage of that name gets the value; a name no stage has is an error.
 */
export function applyOverrides(spec: PipelineSpec, sets: readonly string[]): PipelineSpec {
  let stages = spec.stages.slice();
  for (const set of sets) {
    const match = /^([a-z][a-z0-9_-]*)\.([a-z][a-z0-9_]*)=(.*)$/i.exec(set);
    if (!match) {
      throw new UsageError(
        'E_USAGE',
        `Expected --set stage.option=value but received ${JSON.stringify(set)}`,
      );
    }
    const [, stageName, option, raw] = match as unknown as [string, string, string, string];
    if (!stages.some((s) => s.name === stageName)) {
      throw new UsageError(
        'E_USAGE',
        `--set ${set}: ${path.basename(spec.file)} has no stage named ${JSON.stringify(stageName)} (it has ${[
          ...new Set(stages.map((s) => s.name)),
        ].join(', ')})`,
      );
    }
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    stages = stages.map((s) =>
      s.name === stageName
        ? {
            ...s,
            options: { ...s.options, [option]: value },
            optionPositions: new Map([...s.optionPositions, [option, `--set ${set}`]]),
          }
        : s,
    );
  }
  return { ...spec, stages };
}

/**
 * The `--set` overrides that put every stage running a network (one with a `backend` option:
 * classify, cgan) on `backend` (`--backend`); none when the flag is not given, so the pipeline
 * file's own setting stands.
 */
export function backendOverrides(spec: PipelineSpec, backend: string | undefined): string[] {
  if (backend === undefined) return [];
  const names = new Set(spec.stages.map((s) => s.name));
  return [...names]
    .filter((name) => 'backend' in (STAGES.get(name)?.options ?? {}))
    .map((name) => `${name}.backend=${backend}`);
}

/**
 * The pipeline with an `export` stage writing to `dir` (`vgrade grade --export DIR`): the
 * pipeline's own export stage if it has one, else one inserted just before `encode` (or at the end).
 */
export function withExport(spec: PipelineSpec, dir: string): PipelineSpec {
  if (spec.stages.some((s) => s.name === 'export'))
    return applyOverrides(spec, [`export.dir=${JSON.stringify(dir)}`]);
  const entry: StageEntry = {
    name: 'export',
    options: { dir },
    position: '--export',
    optionPositions: new Map([['dir', '--export']]),
  };
  const at = spec.stages.findIndex((s) => s.name === 'encode');
  const stages = spec.stages.slice();
  stages.splice(at < 0 ? stages.length : at, 0, entry);
  return { ...spec, stages };
}
