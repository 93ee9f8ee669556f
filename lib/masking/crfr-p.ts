import { roundHalfEvenRatio } from './grid.js';
import { REGION_GROUPS, groupIndex, type CoverableGroup } from './regions.js';
import { assignRandom, collect, countOnes, type MaskWork } from './work.js';

/**
 * CRFR-P (fsfm-method.md §2): cover every patch of the chosen group (F), then spend the rest of
 * the budget proportionally over the other groups, then fix the total to exactly numMasked.
 * A group that is empty for this sample gives F = ∅ and a purely proportional mask, as in the
 * reference (which draws the group per batch without looking at the maps).
 */
export function maskCrfrP(work: MaskWork, group: CoverableGroup): void {
  const coveredSize = coverGroup(work, group);
  const toMaskOutsideF = work.numMasked - coveredSize;
  if (toMaskOutsideF <= 0) {
    unmaskWithinFacialRegion(work, -toMaskOutsideF);
    return;
  }
  work.covered.set(work.facialRegion);
  maskProportionally(work, groupIndex(group), toMaskOutsideF, work.numPatches - coveredSize);
  fixMaskedTotal(work);
}

/** F = mask = the group's patches; returns |F|. */
export function coverGroup(work: MaskWork, group: CoverableGroup): number {
  const bit = 1 << groupIndex(group);
  const { groupBits } = work.regions;
  let size = 0;
  for (let p = 0; p < work.numPatches; p++) {
    if (groupBits[p] & bit) {
      work.facialRegion[p] = 1;
      work.mask[p] = 1;
      size++;
    }
  }
  return size;
}

/**
 * The n ≤ 0 branch: F alone already meets the budget, so hide a random numMasked of its patches and
 * let F shrink to exactly the mask (L_fr then weighs only hidden patches, as in the reference).
 */
export function unmaskWithinFacialRegion(work: MaskWork, count: number): void {
  const { mask, facialRegion } = work;
  const m = collect(work, (p) => facialRegion[p] === 1);
  assignRandom(work, m, count, mask, 0);
  facialRegion.set(mask);
}

/**
 * For each group g ≠ skipGroupIndex, in REGION_GROUPS order: C = g ∖ covered, hide
 * round_half_even(|C| · n / denominator) random patches of C, covered ∪= C.
 * work.covered must hold the already-covered patches on entry.
 */
export function maskProportionally(work: MaskWork, skipGroupIndex: number, n: number, denominator: number): void {
  const { groupBits } = work.regions;
  const { covered, mask } = work;
  for (let g = 0; g < REGION_GROUPS.length; g++) {
    if (g === skipGroupIndex) continue;
    const bit = 1 << g;
    const m = collect(work, (p) => (groupBits[p] & bit) !== 0 && covered[p] === 0);
    for (let i = 0; i < m; i++) covered[work.candidates[i]] = 1;
    assignRandom(work, m, roundHalfEvenRatio(m * n, denominator), mask, 1);
  }
}

/**
 * Rounding per group leaves the total a few patches off: hide random patches outside mask ∪ F when
 * short, reveal random hidden patches outside F when over, so exactly numMasked are hidden.
 */
export function fixMaskedTotal(work: MaskWork): void {
  const { mask, facialRegion } = work;
  const diff = work.numMasked - countOnes(mask);
  if (diff > 0) {
    const m = collect(work, (p) => mask[p] === 0 && facialRegion[p] === 0);
    assignRandom(work, m, diff, mask, 1);
  } else if (diff < 0) {
    const m = collect(work, (p) => mask[p] === 1 && facialRegion[p] === 0);
    assignRandom(work, m, -diff, mask, 0);
  }
}
