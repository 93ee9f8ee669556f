/**
 * Choosing the TensorFlow.js backend for this process.
 *
 * Order for `auto`: tfjs-node-gpu (CUDA), tfjs-node (native CPU), wasm (SIMD; one thread, since the wasm
 * package reports no thread support under Node), cpu (pure JS).
 * The two native packages are optional dependencies whose install downloads libtensorflow, so on most
 * machines they are simply absent; they are loaded with `require` inside try/catch so that neither the
 * typecheck nor a bundle needs them.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import { installWasmKernelFixes } from './wasm-kernels.js';

export type BackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

export interface BackendSelection {
  /** Our name of the backend that is now active. */
  backend: BackendName;
  /** The name TensorFlow.js knows it by (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** One line: why this backend, and why each one before it was skipped. */
  reason: string;
  skipped: { backend: BackendName; why: string }[];
}

export interface InitBackendOptions {
  prefer?: BackendPreference;
  /** Where the one-line choice is reported; default console.info. Pass `() => {}` to silence. */
  log?: (line: string) => void;
}

const AUTO_ORDER: BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

let current: { prefer: BackendPreference; selection: BackendSelection } | null = null;
let wasmConfigured = false;

// CommonJS `require` where it exists (tsx, vitest); otherwise one rooted at the working directory.
const load: NodeJS.Require = typeof require === 'function' ? require : createRequire(path.join(process.cwd(), 'package.json'));

/**
 * Activate a backend and report which one and why. Calling again with the same preference returns the
 * earlier choice (the log line is written once per process and preference).
 * An explicit preference that cannot be loaded throws InvalidConfig naming the cause.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendSelection> {
  const prefer = options.prefer ?? 'auto';
  const log = options.log ?? ((line: string) => console.info(line));
  if (!BACKEND_PREFERENCES.includes(prefer)) {
    throw new InvalidConfig(`unknown tensor backend '${String(prefer)}'; expected one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  if (current && current.prefer === prefer && tf.getBackend() === current.selection.tfBackend) {
    return current.selection;
  }

  const candidates = prefer === 'auto' ? AUTO_ORDER : [prefer];
  const skipped: { backend: BackendName; why: string }[] = [];
  for (const name of candidates) {
    const why = await tryActivate(name);
    if (why === null) {
      const tfBackend = tf.getBackend();
      const reason =
        (prefer === 'auto' ? `auto: using ${name}` : `using ${name} (requested)`) +
        (skipped.length ? `; skipped ${skipped.map((s) => `${s.backend} (${s.why})`).join(', ')}` : '');
      const selection: BackendSelection = { backend: name, tfBackend, reason, skipped };
      current = { prefer, selection };
      log(`[tensor] ${reason}`);
      return selection;
    }
    skipped.push({ backend: name, why });
  }
  const detail = skipped.map((s) => `${s.backend}: ${s.why}`).join('; ');
  throw new InvalidConfig(
    prefer === 'auto' ? `no TensorFlow.js backend could be initialised (${detail})` : `tensor backend '${prefer}' is unavailable: ${detail}`,
  );
}

/** The backend chosen by the last successful initBackend, or null. */
export function currentBackend(): BackendSelection | null {
  return current && tf.getBackend() === current.selection.tfBackend ? current.selection : null;
}

/** Returns null when `name` is now the active backend, else why not. */
async function tryActivate(name: BackendName): Promise<string | null> {
  try {
    switch (name) {
      case 'tfjs-node-gpu':
        // Without this TensorFlow reserves all GPU memory at start, which starves other processes.
        process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
        return await activateNative('@tensorflow/tfjs-node-gpu', true);
      case 'tfjs-node':
        return await activateNative('@tensorflow/tfjs-node', false);
      case 'wasm':
        return await activateWasm();
      case 'cpu':
        return (await tf.setBackend('cpu')) ? null : 'the cpu backend failed to initialise';
    }
  } catch (err) {
    return firstLine(err);
  }
}

async function activateNative(pkg: string, wantGpu: boolean): Promise<string | null> {
  try {
    load(pkg);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'MODULE_NOT_FOUND' ? `${pkg} is not installed` : `${pkg} failed to load: ${firstLine(err)}`;
  }
  if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but its 'tensorflow' backend did not initialise`;
  // The GPU build silently runs on the CPU when CUDA/cuDNN are missing; only accept it with a GPU.
  const usesGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
  if (wantGpu && usesGpu === false) return `${pkg} loaded but TensorFlow sees no CUDA GPU`;
  return null;
}

async function activateWasm(): Promise<string | null> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = load('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(err)}`;
  }
  if (!wasmConfigured) {
    wasmConfigured = true;
    // Point the loader at the package's own .wasm files: bundlers and test runners move the JS away from them.
    try {
      wasm.setWasmPaths(path.join(path.dirname(load.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    } catch {
      // Already configured or initialising elsewhere: keep the package default.
    }
  }
  if (!(await tf.setBackend('wasm'))) return 'the wasm module did not initialise';
  await tf.ready();
  installWasmKernelFixes();
  return null;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
