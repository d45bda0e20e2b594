/** Writes an ensemble classifier folder from trained classifier folders (`vgrade train ensemble`). */
import { countParams, disposeParams, loadModel, saveModel, type Params } from '../params.js';
import { ensembleFile, isEnsemble, joinMembers, type ClassifierFolderConfig } from './ensemble.js';
import { CLASSIFIER_FORMAT, type ClassifierTrainConfig } from './train.js';
import { UsageError } from '../../util/errors.js';
import type { ModelFile } from '../params.js';

export async function combineClassifiers(
  dirs: readonly string[],
  out: string,
  opts: { readonly float16?: boolean } = {},
): Promise<{ members: number; parameters: number }> {
  if (dirs.length < 2) throw new UsageError('E_USAGE', 'An ensemble needs at least two classifier folders');
  const loaded: Array<{ from: string; file: ModelFile<ClassifierTrainConfig>; params: Params }> = [];
  try {
    for (const dir of dirs) {
      const { file, params } = await loadModel<ClassifierFolderConfig>(dir, CLASSIFIER_FORMAT);
      loaded.push({ from: dir, file: file as ModelFile<ClassifierTrainConfig>, params });
      if (isEnsemble(file.config)) {
        throw new UsageError(
          'E_USAGE',
          `${dir} is already an ensemble; combine the classifiers it was made from`,
        );
      }
    }
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
