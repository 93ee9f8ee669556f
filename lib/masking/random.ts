import { assignRandom, collect, type MaskWork } from './work.js';

/** MAE's random masking: numMasked patches uniformly at random, regions ignored; F stays empty. */
export function maskRandom(work: MaskWork): void {
  const m = collect(work, () => true);
  assignRandom(work, m, work.numMasked, work.mask, 1);
}
