import { type BackendPreference, gpuEngineMissing, nativeEngineMissing, resolvePreference } from '../lib/tensor/backend';

export type QueueKind = 'cpu' | 'gpu';

/**
 * The tensor backend of the training children this worker starts: `--backend <name>` (else FSFM_BACKEND, else
 * auto), exported as FSFM_BACKEND so that every child's `auto` follows it. Checked at start without loading
 * TensorFlow: an explicit native engine that cannot run here is an error naming what is missing (engine not
 * built, NVIDIA driver, libcuda, a CUDA library); auto on a gpu worker says in one line whether it has a GPU.
 */
export function chooseTrainingBackend(argv: string[], queues: QueueKind[]): { prefer: BackendPreference; line: string } {
  const i = argv.indexOf('--backend');
  if (i >= 0 && !argv[i + 1]) throw new Error('--backend needs a value: auto, tfjs-node-gpu, tfjs-node, wasm or cpu');
  const prefer = resolvePreference((i >= 0 ? argv[i + 1] : 'auto') as BackendPreference);
  if (prefer !== 'auto') process.env.FSFM_BACKEND = prefer;
  if (prefer === 'tfjs-node-gpu' || prefer === 'tfjs-node') {
    const missing = prefer === 'tfjs-node-gpu' ? gpuEngineMissing() : nativeEngineMissing();
    if (missing) throw new Error(`--backend ${prefer}: ${missing}`);
    return { prefer, line: `training backend ${prefer}` };
  }
  if (prefer !== 'auto' || !queues.includes('gpu')) return { prefer, line: `training backend ${prefer}` };
  const noGpu = gpuEngineMissing();
  const fallback = nativeEngineMissing() ? 'wasm' : 'tfjs-node (CPU)';
  return { prefer, line: noGpu ? `${noGpu}; training falls back to ${fallback}` : 'training backend tfjs-node-gpu (GPU found)' };
}
