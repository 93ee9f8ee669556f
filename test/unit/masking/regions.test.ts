import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { patchGrid } from '../../../lib/masking/grid.js';
import { computePatchRegions, groupBit, groupSize, REGION_GROUPS } from '../../../lib/masking/regions.js';
import { Rng } from '../../../lib/masking/rng.js';
import {
  faceLikeMap,
  filledMap,
  L,
  naiveGroupPatches,
  naiveLabelsPerPatch,
  onesOf,
  paintRect,
  randomRectsMap,
} from './region-maps.js';

function groupSet(groupBits: Uint8Array, group: (typeof REGION_GROUPS)[number]): Set<number> {
  const bit = groupBit(group);
  return onesOf(groupBits.map((b) => ((b & bit) !== 0 ? 1 : 0)));
}

describe('computePatchRegions', () => {
  it('matches a per-pixel scan for random maps on several grids', () => {
    const rng = Rng.fromSeed(11);
    for (const [sizePx, patchPx] of [
      [224, 16],
      [224, 32],
      [224, 8],
      [64, 16],
      [48, 16],
      [48, 6], // patch size not a multiple of 4: byte scan
      [42, 14],
    ]) {
      const grid = patchGrid(sizePx, patchPx);
      for (let t = 0; t < 15; t++) {
        const map = randomRectsMap(rng, sizePx);
        const regions = computePatchRegions(map, grid);
        const labels = naiveLabelsPerPatch(map, sizePx, patchPx);
        labels.forEach((set, p) => {
          const bits = [...set].reduce((b, l) => b | (1 << l), 0);
          expect(regions.labelBits[p]).toBe(bits);
        });
        for (const group of REGION_GROUPS) {
          expect(groupSet(regions.groupBits, group)).toEqual(naiveGroupPatches(labels, group));
        }
      }
    }
  });

  it('gives the same membership for a map that is not 4-byte aligned (byte scan)', () => {
    const rng = Rng.fromSeed(12);
    const grid = patchGrid();
    for (let t = 0; t < 5; t++) {
      const map = randomRectsMap(rng, 224);
      const backing = new Uint8Array(map.length + 1);
      backing.set(map, 1);
      const unaligned = backing.subarray(1);
      const a = computePatchRegions(map, grid);
      const b = computePatchRegions(unaligned, grid);
      expect([...b.labelBits]).toEqual([...a.labelBits]);
      expect([...b.groupBits]).toEqual([...a.groupBits]);
    }
    const bad = new Uint8Array(224 * 224 + 1).fill(L.skin);
    bad[4000] = 12;
    expect(() => computePatchRegions(bad.subarray(1), grid)).toThrow(InvalidConfig);
  });

  it('puts a patch in a region when a single pixel of it has the label', () => {
    const map = filledMap(224, L.skin);
    map[17 * 224 + 33] = L.nose; // pixel (33, 17) → patch row 1, col 2
    const regions = computePatchRegions(map, patchGrid());
    expect(groupSet(regions.groupBits, 'nose')).toEqual(new Set([1 * 14 + 2]));
    expect(groupSize(regions, 'skin')).toBe(196);
  });

  it('defines boundary as patches holding skin and also hair or background', () => {
    const map = filledMap(64, L.skin);
    paintRect(map, 64, 0, 0, 16, 16, L.hair); // patch 0: hair only → not boundary
    paintRect(map, 64, 16, 0, 24, 16, L.hair); // patch 1: hair + skin → boundary
    paintRect(map, 64, 32, 0, 40, 16, L.background); // patch 2: background + skin → boundary
    paintRect(map, 64, 48, 0, 56, 16, L.nose); // patch 3: nose + skin → not boundary
    const regions = computePatchRegions(map, patchGrid(64, 16));
    expect(groupSet(regions.groupBits, 'boundary')).toEqual(new Set([1, 2]));
    expect(groupSet(regions.groupBits, 'hair')).toEqual(new Set([0, 1]));
  });

  it('finds every group in the face-like map', () => {
    const regions = computePatchRegions(faceLikeMap(), patchGrid());
    for (const group of REGION_GROUPS) expect(groupSize(regions, group)).toBeGreaterThan(0);
  });

  it('reuses caller buffers and clears what they held', () => {
    const grid = patchGrid();
    const out = { labelBits: new Uint16Array(196).fill(0xffff), groupBits: new Uint8Array(196).fill(0xff) };
    const regions = computePatchRegions(filledMap(224, L.hair), grid, out);
    expect(regions.labelBits).toBe(out.labelBits);
    expect([...new Set(out.labelBits)]).toEqual([1 << L.hair]);
    expect([...new Set(out.groupBits)]).toEqual([groupBit('hair')]);
  });

  it('throws InvalidConfig for labels outside LaPa 0..10 and for a map of the wrong size', () => {
    const grid = patchGrid();
    for (const [bad, offset] of [11, 15, 16, 32, 200].flatMap((l) => [0, 1, 2, 3].map((o) => [l, o]))) {
      const map = filledMap(224, L.skin);
      map[5000 + offset] = bad; // every byte position of a 4-pixel word
      expect(() => computePatchRegions(map, grid), `label ${bad} at +${offset}`).toThrow(InvalidConfig);
      expect(() => computePatchRegions(map, patchGrid(224, 14)), `label ${bad} at +${offset}, byte scan`).toThrow(InvalidConfig);
    }
    expect(() => computePatchRegions(new Uint8Array(223 * 223), grid)).toThrow(InvalidConfig);
  });
});
