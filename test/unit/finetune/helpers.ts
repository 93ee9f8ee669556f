/** Shared fixtures of the finetuning tests: wasm backend (cpu fallback), a tiny encoder, seeded images. */
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../../../lib/faces/image.js';
import type { FsfmArch } from '../../../lib/model/presets.js';
import { initBackend } from '../../../lib/tensor/backend.js';

export async function useTestBackend(): Promise<string> {
  try {
    await initBackend({ prefer: 'wasm', log: () => {} });
  } catch (err) {
    console.warn(`wasm unavailable (${(err as Error).message}); finetune tests run on cpu`);
    await initBackend({ prefer: 'cpu', log: () => {} });
  }
  return tf.getBackend();
}

/** 32 px images, 8 px patches (16 patches), width 32, 2 blocks; decoder sizes only keep validateArch happy. */
export const TINY_ARCH: Partial<FsfmArch> = {
  imageSizePx: 32, patchSizePx: 8, embedDim: 32, depth: 2, numHeads: 2,
  decoderEmbedDim: 24, decoderDepth: 1, decoderNumHeads: 2, repDecoderDepth: 1, repDecoderNumHeads: 2,
  projectionHiddenDim: 48, projectionDim: 16,
};

/** Deterministic uniform [0,1) numbers. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

export function randomImages(n: number, sizePx: number, seed = 3): tf.Tensor4D {
  const rand = lcg(seed);
  const values = new Float32Array(n * sizePx * sizePx * 3).map(() => rand() * 2 - 1);
  return tf.tensor4d(values, [n, sizePx, sizePx, 3]);
}

/** A smooth colour gradient with a few blocks: varied enough that every augmentation op changes it. */
export function testPicture(widthPx: number, heightPx: number, seed = 1): RgbImage {
  const rand = lcg(seed);
  const rgb = Buffer.alloc(widthPx * heightPx * 3);
  for (let y = 0; y < heightPx; y++) {
    for (let x = 0; x < widthPx; x++) {
      const o = (y * widthPx + x) * 3;
      rgb[o] = Math.round((255 * x) / Math.max(1, widthPx - 1));
      rgb[o + 1] = Math.round((255 * y) / Math.max(1, heightPx - 1));
      rgb[o + 2] = (x >> 3) % 2 === (y >> 3) % 2 ? 200 : 40;
    }
  }
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.min(255, Math.max(0, rgb[i] + Math.round((rand() - 0.5) * 20)));
  return { rgb, widthPx, heightPx };
}
