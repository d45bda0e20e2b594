/**
 * Writes an ensemble classifier folder from trained classifier folders (`vgrade train ensemble`).
 * A member may also be one network of an existing ensemble, named `DIR#K` (K from 0, in the order
 * of its `config.members`), so that one member of a shipped ensemble can be kept while the others
 * are replaced.
 */
import { countParams, disposeParams, loadModel, saveModel, type Params } from '../params.js';
import {
  ensembleFile,
  isEnsemble,
  joinMembers,
  splitMembers,
  type ClassifierFolderConfig,
} from './ensemble.js';
import { isModelFolder } from '../modelFolder.js';
import { CLASSIFIER_FORMAT, type ClassifierTrainConfig } from './train.js';
import { UsageError } from '../../util/errors.js';
import type { ModelFile } from '../params.js';

export async function combineClassifiers(
  dirs: readonly string[],
  out: string,
  opts: { readonly float16?: boolean } = {},
): Promise<{ members: number; parameters: number }> {
  if (dirs.length < 2) throw new UsageError('E_USAGE', 'An ensemble needs at least two classifier folders');
  const loaded: LoadedMember[] = [];
  try {
    for (const name of dirs) loaded.push(await loadMember(name));
    let file;
    try {
      file = ensembleFile(CLASSIFIER_FORMAT, loaded);
    } catch (err) {
      throw new UsageError('E_USAGE', (err as Error).message);
    }
    const joined = joinMembers(loaded.map((m) => m.params));
    await saveModel(out, file, joined, opts);
    return { members: loaded.length, parameters: countParams(joined) };
  } finally {
    for (const m of loaded) disposeParams(m.params);
  }
}

interface LoadedMember {
  readonly from: string;
  readonly file: ModelFile<ClassifierTrainConfig>;
  readonly params: Params;
}

/** A member to combine: a classifier folder, or `DIR#K`, the K-th network of an ensemble folder. */
async function loadMember(name: string): Promise<LoadedMember> {
  // A folder whose own name ends in #K is taken as it is.
  const pick = isModelFolder(name) ? null : /^(.*)#(\d+)$/.exec(name);
  const dir = pick ? pick[1]! : name;
  const { file, params } = await loadModel<ClassifierFolderConfig>(dir, CLASSIFIER_FORMAT);
  const config = file.config;
  if (!isEnsemble(config)) {
    if (pick) {
      disposeParams(params);
      throw new UsageError('E_USAGE', `${dir} is one network, not an ensemble; name it without #${pick[2]}`);
    }
    return { from: name, file: file as ModelFile<ClassifierTrainConfig>, params };
  }
  const count = config.members.length;
  const k = pick ? Number(pick[2]) : -1;
  if (k < 0 || k >= count) {
    disposeParams(params);
    throw new UsageError(
      'E_USAGE',
      `${dir} is already an ensemble of ${count} networks; name one of them as ${dir}#0 to ${dir}#${count - 1}, or combine the classifiers it was made from`,
    );
  }
  const member = config.members[k]!;
  // Keep the chosen member's tensors; the rest of the ensemble is freed now.
  const own = splitMembers(params, count)[k]!;
  const kept = new Set(own.values());
  for (const v of params.values()) if (!kept.has(v)) v.dispose();
  return {
    from: member.from,
    file: {
      format: file.format,
      formatVersion: 1,
      config: member.config,
      ...(member.training && { training: member.training }),
    },
    params: own,
  };
}
