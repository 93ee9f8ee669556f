/**
 * timm's RandomErasing on a normalised float image (it runs after ToTensor + Normalize): with probability `prob`,
 * one rectangle of area U(minArea, maxArea)·H·W and aspect exp(U(log minAspect, log 1/minAspect)) (up to 10
 * tries to fit) is filled with per-pixel N(0, 1) values ('pixel' mode) or zeros ('const').
 */
import type { FinetuneRng } from './random.js';

export interface RandomErasingOptions {
  prob: number;
  mode: 'pixel' | 'const';
  minArea: number;
  maxArea: number;
  minAspect: number;
  count: number;
}

/** image: [H, W, C] float, erased in place; returns the erased boxes (for tests and logs). */
export function randomErase(
  image: Float32Array, heightPx: number, widthPx: number, channels: number, options: RandomErasingOptions, rng: FinetuneRng,
): { y: number; x: number; h: number; w: number }[] {
  const boxes: { y: number; x: number; h: number; w: number }[] = [];
  if (!rng.chance(options.prob)) return boxes;
  const area = heightPx * widthPx;
  const logLo = Math.log(options.minAspect);
  const logHi = Math.log(1 / options.minAspect);
  for (let k = 0; k < options.count; k++) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = (rng.uniform(options.minArea, options.maxArea) * area) / options.count;
      const aspect = Math.exp(rng.uniform(logLo, logHi));
      const h = Math.round(Math.sqrt(target * aspect));
      const w = Math.round(Math.sqrt(target / aspect));
      if (w < widthPx && h < heightPx) {
        const y = rng.intInclusive(0, heightPx - h);
        const x = rng.intInclusive(0, widthPx - w);
        for (let r = y; r < y + h; r++) {
          for (let i = (r * widthPx + x) * channels, end = (r * widthPx + x + w) * channels; i < end; i++) {
            image[i] = options.mode === 'pixel' ? rng.normal() : 0;
          }
        }
        boxes.push({ y, x, h, w });
        break;
      }
    }
  }
  return boxes;
}
