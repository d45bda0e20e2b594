/*
 * Classifiers combined: one model folder holding several trained classifiers (the convolutional
 * form on the grid and the statistics form, say), whose outputs are averaged. Two readers of the
 * same frame err differently: on the validation split's unseen sources the mean of the
 * convolutional and the statistics classifier named 43.5% of single detunes exactly where each
 * alone named 37.8% and 37.5% (docs/classifier.md).
 *
 * The folder is an ordinary classifier folder (`vgrade-classifier`, one weights file): each member's
 * parameters are kept under `m<k>/`, and `config.members` holds each member's own configuration and
 * training facts. `vgrade train ensemble --members A B --out DIR` writes one.
 */
import type { ModelFile, Params } from '../params.js';
import type { ClassifierTrainConfig } from './train.js';

/** One member as the ensemble's `model.json` records it. */
export interface EnsembleMember {
  /** The folder it was combined from, as given. */
  readonly from: string;
  readonly config: ClassifierTrainConfig;
  readonly training?: Record<string, unknown>;
}

/** The configuration of a classifier folder: one trained network, or an ensemble of them. */
export type ClassifierFolderConfig = ClassifierTrainConfig | EnsembleConfig;

export interface EnsembleConfig {
  readonly input: { readonly width: number; readonly height: number };
  readonly members: readonly EnsembleMember[];
}

export function isEnsemble(config: ClassifierFolderConfig): config is EnsembleConfig {
  return 'members' in config;
}

const prefix = (k: number): string => `m${k}/`;

/** The members' parameters under their prefixes, as one set. */
export function joinMembers(members: readonly Params[]): Params {
  const joined: Params = new Map();
  members.forEach((params, k) => {
    for (const [name, v] of params) joined.set(`${prefix(k)}${name}`, v);
  });
  return joined;
}

/** Each member's parameters, prefixes removed (the tensors are shared, not copied). */
export function splitMembers(params: Params, count: number): Params[] {
  return Array.from({ length: count }, (_, k) => {
    const own: Params = new Map();
    for (const [name, v] of params) if (name.startsWith(prefix(k))) own.set(name.slice(prefix(k).length), v);
    if (own.size === 0) throw new Error(`The ensemble has no parameters for member ${k}`);
    return own;
  });
}

/** The `model.json` contents of an ensemble of loaded classifiers (all for the same proxy size). */
export function ensembleFile(
  format: string,
  members: ReadonlyArray<{ from: string; file: ModelFile<ClassifierTrainConfig> }>,
): ModelFile<EnsembleConfig> {
  const input = members[0]!.file.config.input;
  for (const m of members) {
    const i = m.file.config.input;
    if (i.width !== input.width || i.height !== input.height) {
      throw new Error(
        `Classifiers for different proxies cannot be combined: ${members[0]!.from} takes ${input.width}x${input.height}, ${m.from} ${i.width}x${i.height}`,
      );
    }
  }
  return {
    format,
    formatVersion: 1,
    config: {
      input,
      members: members.map((m) => ({
        from: m.from,
        config: m.file.config,
        ...(m.file.training && { training: m.file.training }),
      })),
    },
  };
}
