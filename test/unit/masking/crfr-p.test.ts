import { describe, expect, it } from 'vitest';
import { Masker, type SampleMask } from '../../../lib/masking/masker.js';
import { COVERABLE_GROUPS, type CoverableGroup } from '../../../lib/masking/regions.js';
import { Rng } from '../../../lib/masking/rng.js';
import {
  expectedRound,
  faceLikeMap,
  filledMap,
  GROUP_ORDER,
  L,
  naiveGroupPatches,
  naiveLabelsPerPatch,
  onesOf,
  paintRect,
  randomRectsMap,
} from './region-maps.js';

const isSubset = (a: Set<number>, b: Set<number>) => [...a].every((x) => b.has(x));

/**
 * Checks one CRFR-P sample against fsfm-method.md §2 using an independent per-pixel membership.
 * Returns which branch the sample took.
 */
function checkCrfrP(
  map: Uint8Array,
  sizePx: number,
  patchPx: number,
  group: CoverableGroup,
  sample: SampleMask,
  numMasked: number,
): { branch: 'cover' | 'shrink'; fixUp: number } {
  const labels = naiveLabelsPerPatch(map, sizePx, patchPx);
  const numPatches = labels.length;
  const region = naiveGroupPatches(labels, group);
  const mask = onesOf(sample.mask);
  const facial = onesOf(sample.facialRegion);
  expect(mask.size).toBe(numMasked);

  const n = numMasked - region.size;
  if (n <= 0) {
    // Huge region: exactly the budget, all inside the region, and F becomes the mask.
    expect(isSubset(mask, region)).toBe(true);
    expect(facial).toEqual(mask);
    return { branch: 'shrink', fixUp: 0 };
  }
  // The chosen region is fully hidden and is F.
  expect(facial).toEqual(region);
  expect(isSubset(region, mask)).toBe(true);

  // Proportional allocation: before the fix-up each remaining group C hides round_half_even(|C|·r);
  // the fix-up then moves |diff| patches, all in one direction and never inside F.
  const covered = new Set(region);
  let sumExpected = 0;
  let sumDeviation = 0;
  const deviations: number[] = [];
  for (const g of GROUP_ORDER) {
    if (g === group) continue;
    const c = [...naiveGroupPatches(labels, g)].filter((p) => !covered.has(p));
    c.forEach((p) => covered.add(p));
    const expected = expectedRound(c.length * n, numPatches - region.size);
    const hidden = c.filter((p) => mask.has(p)).length;
    sumExpected += expected;
    sumDeviation += Math.abs(hidden - expected);
    deviations.push(hidden - expected);
  }
  expect(covered.size).toBe(numPatches);
  const diff = n - sumExpected;
  expect(sumDeviation).toBe(Math.abs(diff));
  for (const d of deviations) expect(d === 0 || Math.sign(d) === Math.sign(diff)).toBe(true);
  // Each group's rounding error is at most 1/2, so the fix-up is small.
  expect(Math.abs(diff)).toBeLessThanOrEqual(3);
  return { branch: 'cover', fixUp: diff };
}

describe('crfr-p', () => {
  it('crfr-p masks exactly 147 of 196 patches and keeps 49 visible', () => {
    const masker = new Masker();
    const batch = masker.maskBatch([faceLikeMap(), faceLikeMap(224, { hair: false })], Rng.fromSeed(1));
    expect(batch.numMasked).toBe(147);
    expect(batch.numVisible).toBe(49);
    for (const s of batch.samples) {
      expect(onesOf(s.mask).size).toBe(147);
      expect(s.idsKeep.length).toBe(49);
    }
  });

  it('follows the method on random and face-like maps for every coverable group and several grids', () => {
    const rng = Rng.fromSeed(2024);
    const branches = { cover: 0, shrink: 0 };
    let fixUps = 0;
    for (const [sizePx, patchPx, ratio, numMaps] of [
      [224, 16, 0.75, 40],
      [224, 32, 0.75, 25],
      [224, 8, 0.6, 6],
      [64, 16, 0.5, 25],
      [96, 16, 0.9, 25],
    ] as const) {
      const masker = new Masker({ imageSizePx: sizePx, patchSizePx: patchPx, maskRatio: ratio });
      const maps = Array.from({ length: numMaps }, () => randomRectsMap(rng, sizePx));
      maps.push(faceLikeMap(sizePx), faceLikeMap(sizePx, { hair: false }));
      for (const group of COVERABLE_GROUPS) {
        const batch = masker.maskBatch(maps, rng, { coverGroup: group });
        expect(batch.group).toBe(group);
        batch.samples.forEach((s, i) => {
          const { branch, fixUp } = checkCrfrP(maps[i], sizePx, patchPx, group, s, masker.numMasked);
          branches[branch]++;
          if (fixUp !== 0) fixUps++;
        });
      }
    }
    expect(branches.cover).toBeGreaterThan(100);
    expect(branches.shrink).toBeGreaterThan(10);
    expect(fixUps).toBeGreaterThan(0);
  });

  it('hides the chosen region fully when it is smaller than the budget', () => {
    const masker = new Masker();
    const map = faceLikeMap();
    const labels = naiveLabelsPerPatch(map, 224, 16);
    for (const group of COVERABLE_GROUPS) {
      const region = naiveGroupPatches(labels, group);
      expect(region.size).toBeLessThan(147);
      for (let seed = 0; seed < 20; seed++) {
        const s = masker.maskBatch([map], Rng.fromSeed(seed), { coverGroup: group }).samples[0];
        for (const p of region) expect(s.mask[p]).toBe(1);
        expect(onesOf(s.facialRegion)).toEqual(region);
      }
    }
  });

  it('takes the n ≤ 0 branch for a huge region: exactly the budget is hidden, all inside F', () => {
    const masker = new Masker();
    const huge = filledMap(224, L.hair);
    paintRect(huge, 224, 0, 208, 224, 224, L.skin); // 13 rows of hair = 182 patches > 147
    const hugeRegion = naiveGroupPatches(naiveLabelsPerPatch(huge, 224, 16), 'hair');
    expect(hugeRegion.size).toBe(182);
    const seen = new Set<string>();
    for (let seed = 0; seed < 10; seed++) {
      const s = masker.maskBatch([huge], Rng.fromSeed(seed), { coverGroup: 'hair' }).samples[0];
      const mask = onesOf(s.mask);
      expect(mask.size).toBe(147);
      expect(isSubset(mask, hugeRegion)).toBe(true);
      expect(onesOf(s.facialRegion)).toEqual(mask);
      seen.add([...mask].join(','));
    }
    expect(seen.size).toBe(10); // which region patches stay visible is random
  });

  it('hides exactly the region when it equals the budget (n = 0)', () => {
    const masker = new Masker({ imageSizePx: 64, patchSizePx: 16, maskRatio: 0.5 }); // 16 patches, 8 hidden
    const map = filledMap(64, L.background);
    paintRect(map, 64, 0, 0, 64, 32, L.nose); // two full rows = 8 patches
    const s = masker.maskBatch([map], Rng.fromSeed(0), { coverGroup: 'nose' }).samples[0];
    expect([...s.mask]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...s.facialRegion]).toEqual([...s.mask]);
  });

  it('masks proportionally with F empty when the batch group is absent from a sample', () => {
    const masker = new Masker();
    const noHair = faceLikeMap(224, { hair: false });
    const s = masker.maskBatch([noHair], Rng.fromSeed(8), { coverGroup: 'hair' }).samples[0];
    expect(onesOf(s.facialRegion).size).toBe(0);
    // r = 147 / 196 for every group; checkCrfrP verifies the allocation with an empty region.
    expect(checkCrfrP(noHair, 224, 16, 'hair', s, 147).branch).toBe('cover');
  });
});
