/** Shared fixtures of the finetuning tests: wasm backend (cpu fallback), a tiny encoder, seeded images. */
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../../../lib/faces/image.js';
import { lcg, TEST_ARCH, useTestBackend } from '../model/backend-for-tests.js';

export { lcg, useTestBackend };

/** 32 px images, 8 px patches (16 patches), width 32, 2 blocks: the model tests' tiny architecture. */
export const TINY_ARCH = TEST_ARCH;

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
