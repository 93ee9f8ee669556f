import type { PatchRegions } from './regions.js';
import type { Rng } from './rng.js';

/**
 * What one sample's masking reads and writes. The Masker owns the scratch buffers and reuses
 * them for every sample, so a strategy allocates nothing.
 */
export interface MaskWork {
  readonly regions: PatchRegions;
  readonly numPatches: number;
  readonly numMasked: number;
  readonly rng: Rng;
  /** [numPatches] output, all 0 on entry; 1 = hidden */
  readonly mask: Uint8Array;
  /** [numPatches] output, all 0 on entry; 1 = in the fully covered region F */
  readonly facialRegion: Uint8Array;
  /** [numPatches] scratch: candidate patch indices */
  readonly candidates: Int32Array;
  /** [numPatches] scratch: patches already assigned to a group by the proportional step */
  readonly covered: Uint8Array;
}

/** Puts the patches that pass `test` into work.candidates (index order); returns how many. */
export function collect(work: MaskWork, test: (patch: number) => boolean): number {
  let m = 0;
  for (let p = 0; p < work.numPatches; p++) if (test(p)) work.candidates[m++] = p;
  return m;
}

/**
 * Sets target[c] = value for k candidates drawn uniformly without replacement from
 * work.candidates[0..m) (partial Fisher–Yates: k draws, not m).
 */
export function assignRandom(work: MaskWork, m: number, k: number, target: Uint8Array, value: 0 | 1): void {
  const { candidates, rng } = work;
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(m - i);
    const picked = candidates[j];
    candidates[j] = candidates[i];
    candidates[i] = picked;
    target[picked] = value;
  }
}

export function countOnes(values: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += values[i];
  return n;
}
