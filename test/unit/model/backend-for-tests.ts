/**
 * The model tests run on the default backend, as training does: `auto` (the native tfjs-node engine that
 * infra/bootstrap.sh builds, else wasm; FSFM_BACKEND=wasm pins wasm), falling back to cpu when neither starts.
 * `useTestBackend('wasm')` pins wasm for the tests that keep it covered.
 */
import * as tf from '@tensorflow/tfjs';
import { gpuEngineMissing, initBackend, nativeEngineDir } from '../../../lib/tensor/backend.js';
import type { FsfmArch } from '../../../lib/model/presets.js';
import fs from 'node:fs';
import path from 'node:path';

/** Whether the native CPU engine is built here (bootstrap builds it; a failed build leaves wasm). */
export const nativeBuilt = fs.existsSync(path.join(nativeEngineDir('tfjs-node'), 'lib', 'napi-v8', 'tfjs_binding.node'));

/** The backends the equivalence tests run on: the default one and wasm (once when they are the same). */
export const TEST_BACKENDS: ('default' | 'wasm')[] = nativeBuilt && process.env.FSFM_BACKEND !== 'wasm' ? ['default', 'wasm'] : ['wasm'];

export async function useTestBackend(which: 'default' | 'wasm' = 'default'): Promise<string> {
  try {
    // Tests never take the GPU engine: its package cannot share a process with the CPU one.
    const prefer = which === 'wasm' ? 'wasm' : gpuEngineMissing() === null && process.env.FSFM_BACKEND === undefined ? 'tfjs-node' : 'auto';
    await initBackend({ prefer, log: () => {} });
  } catch (err) {
    console.warn(`wasm unavailable (${(err as Error).message}); model tests run on cpu`);
    await initBackend({ prefer: 'cpu', log: () => {} });
  }
  return tf.getBackend();
}

/** A model small enough for gradient tests: 32 px images, 8 px patches (4×4 = 16 patches). */
export const TEST_ARCH: Partial<FsfmArch> = {
  imageSizePx: 32, patchSizePx: 8, embedDim: 32, depth: 2, numHeads: 2,
  decoderEmbedDim: 24, decoderDepth: 1, decoderNumHeads: 2, repDecoderDepth: 1, repDecoderNumHeads: 2,
  projectionHiddenDim: 48, projectionDim: 16,
};

/** Deterministic uniform [0,1) numbers. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** N masks hiding `hidden` of L patches each, and a facial region of `region` hidden patches. */
export function randomMasks(n: number, L: number, hidden: number, region: number, seed = 7): { mask: Float32Array; facialRegion: Float32Array } {
  const rand = lcg(seed);
  const mask = new Float32Array(n * L);
  const facialRegion = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: L }, (_, j) => j);
    for (let j = L - 1; j > 0; j--) {
      const k = Math.floor(rand() * (j + 1));
      [order[j], order[k]] = [order[k], order[j]];
    }
    order.slice(0, hidden).forEach((j, k) => {
      mask[i * L + j] = 1;
      if (k < region) facialRegion[i * L + j] = 1;
    });
  }
  return { mask, facialRegion };
}

export function randomImages(n: number, sizePx: number, seed = 3): tf.Tensor4D {
  const rand = lcg(seed);
  const values = new Float32Array(n * sizePx * sizePx * 3).map(() => rand() * 2 - 1);
  return tf.tensor4d(values, [n, sizePx, sizePx, 3]);
}
