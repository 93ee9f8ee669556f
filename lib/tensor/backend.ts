/**
 * Choosing the TensorFlow.js backend for this process.
 *
 * Order for `auto`: tfjs-node-gpu (CUDA; only tried when a GPU driver is present), tfjs-node (native CPU),
 * wasm (SIMD; one thread, since the wasm package reports no thread support under Node), cpu (pure JS).
 * `FSFM_BACKEND` (auto, tfjs-node-gpu, tfjs-node, wasm, cpu) replaces an `auto` preference, so a worker or a shell
 * can pin the backend of every training child it starts.
 *
 * The native engines are @tensorflow/tfjs-node(-gpu) 4.22 built by infra/tfjs-node.sh against PyPI's TensorFlow
 * 2.21 C API, outside node_modules (`npm ci` would remove them): `<tools>/tfjs-node/{cpu,gpu}`. They are loaded with
 * `require` inside try/catch, so neither the typecheck nor a bundle needs them, and at most one of the two is ever
 * loaded in a process (both register the same kernels).
 */
import fs from 'node:fs';
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
  const prefer = resolvePreference(options.prefer ?? 'auto');
  const log = options.log ?? ((line: string) => console.info(line));
  if (current && current.prefer === prefer && tf.getBackend() === current.selection.tfBackend) {
    return current.selection;
  }

  const candidates = prefer === 'auto' ? AUTO_ORDER : [prefer];
  const skipped: { backend: BackendName; why: string }[] = [];
  for (const name of candidates) {
    const why = await tryActivate(name, prefer === 'auto');
    if (why === null) {
      const tfBackend = tf.getBackend();
      const reason =
        (prefer === 'auto' ? `auto: using ${name}` : `using ${name} (requested)`) +
        (name === 'tfjs-node-gpu' ? gpuFallbackNote : '') +
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

/** `prefer`, or FSFM_BACKEND when `prefer` is `auto`; throws InvalidConfig on an unknown name. */
export function resolvePreference(prefer: BackendPreference): BackendPreference {
  const fromEnv = process.env.FSFM_BACKEND?.trim();
  const chosen = prefer === 'auto' && fromEnv ? (fromEnv as BackendPreference) : prefer;
  if (!BACKEND_PREFERENCES.includes(chosen)) {
    const origin = chosen === prefer ? '' : ' (from FSFM_BACKEND)';
    throw new InvalidConfig(`unknown tensor backend '${String(chosen)}'${origin}; expected one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  return chosen;
}

/** The backend chosen by the last successful initBackend, or null. */
export function currentBackend(): BackendSelection | null {
  return current && tf.getBackend() === current.selection.tfBackend ? current.selection : null;
}

/** Returns null when `name` is now the active backend, else why not. */
async function tryActivate(name: BackendName, auto: boolean): Promise<string | null> {
  try {
    switch (name) {
      case 'tfjs-node-gpu': {
        // Without this TensorFlow reserves all GPU memory at start, which starves other processes.
        process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
        // Checked without loading TensorFlow: once loaded, the CPU engine cannot join it in this process.
        const missing = gpuEngineMissing();
        if (missing) return missing;
        return await activateNative('tfjs-node-gpu', auto);
      }
      case 'tfjs-node':
        return await activateNative('tfjs-node', auto);
      case 'wasm':
        return await activateWasm();
      case 'cpu':
        return (await tf.setBackend('cpu')) ? null : 'the cpu backend failed to initialise';
    }
  } catch (err) {
    return firstLine(err);
  }
}

type NativeName = 'tfjs-node' | 'tfjs-node-gpu';
const NATIVE_VARIANT: Record<NativeName, 'cpu' | 'gpu'> = { 'tfjs-node': 'cpu', 'tfjs-node-gpu': 'gpu' };
/** Which native package this process has loaded (at most one, ever). */
let nativeLoaded: NativeName | null = null;
/** Set when the GPU package runs on the CPU because TensorFlow found no usable GPU (auto only). */
let gpuFallbackNote = '';

/** The project's tools folder (FSFM_TOOLS_DIR, else `.tools` at the repository root); infra/paths.ts agrees. */
function toolsDir(): string {
  return path.resolve(process.env.FSFM_TOOLS_DIR ?? path.join(__dirname, '..', '..', '.tools'));
}

/** Where infra/tfjs-node.sh puts the built package of a native engine. */
export function nativeEngineDir(name: NativeName): string {
  return path.join(toolsDir(), 'tfjs-node', NATIVE_VARIANT[name], 'node_modules', '@tensorflow', name);
}

function nativeEngineBuilt(name: NativeName): boolean {
  return fs.existsSync(path.join(nativeEngineDir(name), 'lib', 'napi-v8', 'tfjs_binding.node'));
}

/** Why the native CPU engine cannot run here (not built), or null. */
export function nativeEngineMissing(): string | null {
  return nativeEngineBuilt('tfjs-node') ? null : `tfjs-node is not built: ${nativeEngineDir('tfjs-node')} is missing (infra/bootstrap.sh builds it)`;
}

/** CUDA libraries the GPU engine needs from `deps/nvidia/<pkg>/lib` (laid out by `make deps-gpu`). */
const CUDA_LIBS: [pkg: string, lib: string][] = [
  ['cuda_runtime', 'libcudart.so.12'],
  ['cublas', 'libcublas.so.12'],
  ['cublas', 'libcublasLt.so.12'],
  ['cudnn', 'libcudnn.so.9'],
  ['cufft', 'libcufft.so.11'],
  ['curand', 'libcurand.so.10'],
  ['cusparse', 'libcusparse.so.12'],
  ['cusolver', 'libcusolver.so.11'],
  ['nvjitlink', 'libnvJitLink.so.12'],
];

/**
 * Why the GPU engine cannot run here, in one line, or null when it may: the engine is built, the NVIDIA driver is
 * loaded, its libcuda.so.1 can be found, and the CUDA libraries are in place. Reads files only (no TensorFlow).
 */
export function gpuEngineMissing(): string | null {
  if (!nativeEngineBuilt('tfjs-node-gpu')) return `no GPU engine: ${nativeEngineDir('tfjs-node-gpu')} is not built (make deps-gpu)`;
  if (!fs.existsSync('/proc/driver/nvidia/version')) return 'no GPU: the NVIDIA driver is not loaded (/proc/driver/nvidia/version absent)';
  if (!findLibcuda()) return 'no GPU: libcuda.so.1 (part of the NVIDIA driver) is not on the library path';
  const nvidia = path.join(nativeEngineDir('tfjs-node-gpu'), 'deps', 'nvidia');
  for (const [pkg, lib] of CUDA_LIBS) {
    if (!fs.existsSync(path.join(nvidia, pkg, 'lib', lib))) return `no GPU: CUDA library ${lib} is missing from ${nvidia}/${pkg}/lib (make deps-gpu)`;
  }
  return null;
}

function findLibcuda(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/nvidia/lib64',
    '/usr/lib/wsl/lib',
  ];
  if (dirs.some((d) => fs.existsSync(path.join(d, 'libcuda.so.1')))) return true;
  try {
    // The dynamic loader's cache lists every library ldconfig knows, by soname.
    return fs.readFileSync('/etc/ld.so.cache').includes('libcuda.so.1');
  } catch {
    return false;
  }
}

async function activateNative(name: NativeName, auto: boolean): Promise<string | null> {
  if (nativeLoaded && nativeLoaded !== name) return `${nativeLoaded} is already loaded in this process and cannot share it with ${name}`;
  if (!nativeLoaded) {
    const dir = nativeEngineDir(name);
    if (!nativeEngineBuilt(name)) {
      return `${name} is not installed (${name === 'tfjs-node' ? 'infra/bootstrap.sh' : 'make deps-gpu'} builds it into ${dir})`;
    }
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    try {
      requireWithOurTfjs(dir);
    } catch (err) {
      return `${name} failed to load: ${firstLine(err)}`;
    }
    nativeLoaded = name;
  }
  if (!(await tf.setBackend('tensorflow'))) return `${name} loaded but its 'tensorflow' backend did not initialise`;
  if (name === 'tfjs-node-gpu') {
    const usesGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    if (usesGpu === false) {
      // The GPU build runs on the CPU when CUDA cannot start; only auto accepts that (the CPU engine cannot load now).
      if (!auto) return 'no GPU: TensorFlow loaded but found no usable CUDA device (check the driver version: >= 525 for CUDA 12)';
      gpuFallbackNote = ' (TensorFlow found no usable CUDA device: running on the CPU)';
    }
  }
  return null;
}

/**
 * `require` the out-of-tree package so that its own `require('@tensorflow/tfjs…')` returns this process's copy:
 * one engine and one kernel registry, whatever node_modules sits above the tools folder.
 */
function requireWithOurTfjs(dir: string): void {
  type Resolve = (this: unknown, request: string, ...rest: unknown[]) => string;
  const Module = load('node:module') as { _resolveFilename: Resolve };
  const original = Module._resolveFilename;
  const ours = /^@tensorflow\/tfjs(-core|-backend-cpu|-layers|-converter|-data)?(\/|$)/;
  let inside = false;
  Module._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (!inside && ours.test(request)) {
      inside = true;
      try {
        return load.resolve(request);
      } finally {
        inside = false;
      }
    }
    return original.call(this, request, ...rest);
  };
  try {
    load(dir);
  } finally {
    Module._resolveFilename = original;
  }
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
