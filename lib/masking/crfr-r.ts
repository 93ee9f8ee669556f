import { coverGroup, unmaskWithinFacialRegion } from './crfr-p.js';
import type { CoverableGroup } from './regions.js';
import { assignRandom, collect, type MaskWork } from './work.js';

/**
 * CRFR-R: cover the chosen group fully (F), then hide uniformly random patches outside F up to
 * numMasked. When F alone exceeds the budget it behaves like CRFR-P's n ≤ 0 branch.
 */
export function maskCrfrR(work: MaskWork, group: CoverableGroup): void {
  const coveredSize = coverGroup(work, group);
  const toMaskOutsideF = work.numMasked - coveredSize;
  if (toMaskOutsideF <= 0) {
    unmaskWithinFacialRegion(work, -toMaskOutsideF);
    return;
  }
  const { facialRegion } = work;
  const m = collect(work, (p) => facialRegion[p] === 0);
  assignRandom(work, m, toMaskOutsideF, work.mask, 1);
}
