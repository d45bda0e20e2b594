/*
 * The one place that chooses where tensors live.
 *
 * TensorFlow.js with three backends:
 *  - `wasm`: the default. It ships inside npm (no download at install or run time) and runs on any
 *    machine. It lacks the filter gradient of a convolution, which training needs; `wasmKernels.ts`
 *    registers one.
 *  - `cpu`: plain JavaScript. Slow, but the reference the wasm kernels are tested against.
 *  - `tensorflow`: libtensorflow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`.
 *    Optional dependencies: their install downloads libtensorflow, so they are only present on a
 *    machine that had internet when it installed them. Detected at run time, never required.
 *
 * `auto` takes `tensorflow` where it loads and `wasm` otherwise.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
// TensorFlow.js's core and the wasm backend, loaded with require(); the cpu backend and the
// gradients only when asked for (see tfjs.ts).
import { loadCpuBackend, loadGradients, setWasmPaths, tf } from './tfjs.js';
import { UsageError } from '../util/errors.js';
import { registerWasmTrainingKernels } from './wasmKernels.js';

export { loadGradients, tf };

// Silences tfjs's console advert for tfjs-node on the cpu backend; vgrade's own doctor says what
// is available.
tf.env().set('PROD', true);

import { BACKEND_CHOICES, type BackendChoice } from './choices.js';

export { BACKEND_CHOICES, type BackendChoice };
export type BackendName = Exclude<BackendChoice, 'auto'>;

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export interface BackendAvailability {
  readonly name: BackendName;
  readonly available: boolean;
  /** The package that provides it and its version, or why it cannot be used. */
  readonly detail: string;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

let tensorflowPackage: string | null | undefined;
let tensorflowReason = '';

/**
 * Loads libtensorflow's binding, once. A package can be installed without its native library
 * (its install script did not run, or had no internet); that counts as not available.
 */
function loadTensorflow(): { pkg: string | null; reason: string } {
  if (tensorflowPackage !== undefined) {
    return { pkg: tensorflowPackage, reason: tensorflowReason };
  }
  const reasons: string[] = [];
  for (const pkg of TENSORFLOW_PACKAGES) {
    if (packageVersion(pkg) === undefined) {
      reasons.push(`${pkg} is not installed`);
      continue;
    }
    try {
      require(pkg);
      tensorflowPackage = pkg;
      return { pkg, reason: '' };
    } catch (err) {
      const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      reasons.push(`${pkg} is installed but its native library did not load (${first})`);
    }
  }
  tensorflowPackage = null;
  tensorflowReason = reasons.join('; ');
  return { pkg: null, reason: tensorflowReason };
}

/** What each backend would be on this machine (for `vgrade doctor`). Loads nothing but the probe. */
export function backendAvailability(): BackendAvailability[] {
  const wasm = packageVersion('@tensorflow/tfjs-backend-wasm');
  const cpu = packageVersion('@tensorflow/tfjs-backend-cpu');
  const tfn = loadTensorflow();
  return [
    {
      name: 'wasm',
      available: wasm !== undefined,
      detail: wasm ? `@tensorflow/tfjs-backend-wasm ${wasm}` : 'not installed',
    },
    {
      name: 'cpu',
      available: cpu !== undefined,
      detail: cpu ? `@tensorflow/tfjs-backend-cpu ${cpu}` : 'not installed',
    },
    {
      name: 'tensorflow',
      available: tfn.pkg !== null,
      detail: tfn.pkg ? `${tfn.pkg} ${packageVersion(tfn.pkg)}` : tfn.reason,
    },
  ];
}

let wasmPathsSet = false;

/**
 * Makes `choice` the active backend and returns its name. Throws a UsageError naming what is
 * missing when a backend that was asked for by name cannot be used.
 */
export async function useBackend(choice: BackendChoice = 'auto'): Promise<BackendName> {
  let name: BackendName;
  if (choice === 'auto') {
    name = loadTensorflow().pkg ? 'tensorflow' : 'wasm';
  } else {
    name = choice;
  }
  if (name === 'tensorflow') {
    const { pkg, reason } = loadTensorflow();
    if (!pkg) {
      throw new UsageError(
        'E_BACKEND',
        `Backend "tensorflow" is not available: ${reason}. Install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node on a machine with internet, or use --backend wasm`,
      );
    }
  }
  if (name === 'cpu') loadCpuBackend();
  if (name === 'wasm' && !wasmPathsSet) {
    // Point the loader at the .wasm files inside the npm package: nothing is fetched.
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(`${path.join(dir, 'dist')}${path.sep}`);
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== name || tf.findBackend(name) === null) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new UsageError('E_BACKEND', `Backend "${name}" failed to initialise`);
  }
  await tf.ready();
  if (name === 'wasm') registerWasmTrainingKernels();
  return name;
}
