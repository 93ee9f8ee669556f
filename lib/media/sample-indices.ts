/**
 * Frame indices for N frames of a T-frame video: floor(linspace(0, T-1, N)), computed exactly as numpy does in
 * float64 (`i * step` with step = (T-1)/(N-1), the last value set to T-1), so our frames match the reference's.
 *
 * - N >= T: all frames 0..T-1 (the reference keeps a short video whole rather than repeating frames).
 * - N = 1: [0] (numpy's linspace with one sample is the start).
 * - N < T: step = (T-1)/(N-1) > 1, so consecutive values differ by more than 1 and floor() never repeats:
 *   the result is strictly increasing, without duplicates. Duplicates could only arise for N > T, which the
 *   first rule already turns into "all frames".
 * - T = 0 or N = 0: [].
 */
import { InvalidConfig } from '../errors.js';

export function sampleIndices(frameCount: number, sampleCount: number): number[] {
  if (!Number.isSafeInteger(frameCount) || frameCount < 0) {
    throw new InvalidConfig(`frame count must be a non-negative integer, got ${frameCount}`);
  }
  if (!Number.isSafeInteger(sampleCount) || sampleCount < 0) {
    throw new InvalidConfig(`sample count must be a non-negative integer, got ${sampleCount}`);
  }
  if (frameCount === 0 || sampleCount === 0) return [];
  if (sampleCount >= frameCount) return Array.from({ length: frameCount }, (_, i) => i);
  if (sampleCount === 1) return [0];
  const stop = frameCount - 1;
  const step = stop / (sampleCount - 1);
  const indices = new Array<number>(sampleCount);
  for (let i = 0; i < sampleCount - 1; i++) indices[i] = Math.floor(i * step);
  indices[sampleCount - 1] = stop;
  return indices;
}
