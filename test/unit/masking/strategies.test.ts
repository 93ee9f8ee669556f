import { describe, expect, it } from 'vitest';
import { Masker } from '../../../lib/masking/masker.js';
import { COVERABLE_GROUPS } from '../../../lib/masking/regions.js';
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

function manyMaps(seed: number, sizePx: number, count: number): Uint8Array[] {
  const rng = Rng.fromSeed(seed);
  return [...Array.from({ length: count }, () => randomRectsMap(rng, sizePx)), faceLikeMap(sizePx)];
}

describe('exact budget for every strategy', () => {
  it('hides exactly round(ratio · N) patches on random and face-like maps, grids other than 14 × 14 included', () => {
    const rng = Rng.fromSeed(404);
    for (const strategy of ['random', 'frp', 'crfr-r', 'fasking-i', 'crfr-p'] as const) {
      for (const [sizePx, patchPx, ratio, expected] of [
        [224, 16, 0.75, 147],
        [224, 32, 0.75, 37], // 36.75
        [224, 32, 0.5, 24], // 24.5 → even
        [48, 16, 0.5, 4], // 4.5 → even
        [112, 16, 0.9, 44], // 44.1
      ] as const) {
        const masker = new Masker({ strategy, imageSizePx: sizePx, patchSizePx: patchPx, maskRatio: ratio });
        expect(masker.numMasked).toBe(expected);
        const batch = masker.maskBatch(manyMaps(sizePx + patchPx, sizePx, 20), rng);
        for (const s of batch.samples) expect(onesOf(s.mask).size).toBe(expected);
      }
    }
  });
});

describe('random (MAE)', () => {
  it('ignores regions, leaves F empty and hides every patch equally often', () => {
    const masker = new Masker({ strategy: 'random' });
    const map = faceLikeMap();
    const rng = Rng.fromSeed(6);
    const hits = new Array(196).fill(0);
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const batch = masker.maskBatch([map], rng);
      expect(batch.group).toBeNull();
      expect(onesOf(batch.samples[0].facialRegion).size).toBe(0);
      batch.samples[0].mask.forEach((v, p) => (hits[p] += v));
    }
    for (const h of hits) expect(Math.abs(h / trials - 0.75)).toBeLessThan(0.12); // ~5.5 sigma
  });
});

describe('frp', () => {
  it('hides round_half_even(|C| · ratio) of each group in order, fixed up to the exact total, F empty', () => {
    const masker = new Masker({ strategy: 'frp' });
    const maps = manyMaps(12, 224, 30);
    const batch = masker.maskBatch(maps, Rng.fromSeed(13));
    expect(batch.group).toBeNull();
    batch.samples.forEach((s, i) => {
      expect(onesOf(s.facialRegion).size).toBe(0);
      const labels = naiveLabelsPerPatch(maps[i], 224, 16);
      const covered = new Set<number>();
      let deviation = 0;
      let expectedTotal = 0;
      for (const g of GROUP_ORDER) {
        const c = [...naiveGroupPatches(labels, g)].filter((p) => !covered.has(p));
        c.forEach((p) => covered.add(p));
        const expected = expectedRound(c.length * 147, 196);
        expectedTotal += expected;
        deviation += Math.abs(c.filter((p) => s.mask[p] === 1).length - expected);
      }
      expect(deviation).toBe(Math.abs(147 - expectedTotal));
    });
  });
});

describe('crfr-r', () => {
  it('covers the chosen group fully and hides the rest uniformly; shrinks F when it exceeds the budget', () => {
    const masker = new Masker({ strategy: 'crfr-r' });
    const maps = manyMaps(14, 224, 20);
    const rng = Rng.fromSeed(15);
    let shrunk = 0;
    for (const group of COVERABLE_GROUPS) {
      const batch = masker.maskBatch(maps, rng, { coverGroup: group });
      expect(batch.group).toBe(group);
      batch.samples.forEach((s, i) => {
        const region = naiveGroupPatches(naiveLabelsPerPatch(maps[i], 224, 16), group);
        const mask = onesOf(s.mask);
        const facial = onesOf(s.facialRegion);
        expect(mask.size).toBe(147);
        if (region.size >= 147) {
          shrunk++;
          expect(isSubset(mask, region)).toBe(true);
          expect(facial).toEqual(mask);
        } else {
          expect(facial).toEqual(region);
          expect(isSubset(region, mask)).toBe(true);
        }
      });
    }
    expect(shrunk).toBeGreaterThan(0);
  });

  it('draws its group per batch like crfr-p', () => {
    const masker = new Masker({ strategy: 'crfr-r' });
    const groups = new Set<string | null>();
    const rng = Rng.fromSeed(1);
    for (let i = 0; i < 100; i++) groups.add(masker.maskBatch([faceLikeMap()], rng).group);
    expect(groups.size).toBe(6);
  });
});

describe('fasking-i', () => {
  it('keeps background visible first, so facial parts are hidden and every visible patch holds background', () => {
    const masker = new Masker({ strategy: 'fasking-i' });
    const map = faceLikeMap();
    const labels = naiveLabelsPerPatch(map, 224, 16);
    const background = naiveGroupPatches(labels, 'background');
    expect(background.size).toBeGreaterThanOrEqual(49);
    const rng = Rng.fromSeed(16);
    for (let t = 0; t < 20; t++) {
      const s = masker.maskBatch([map], rng).samples[0];
      expect(onesOf(s.facialRegion).size).toBe(0);
      const visible = new Set([...s.idsKeep]);
      expect(isSubset(visible, background)).toBe(true);
    }
  });

  it('reveals skin after background, then facial parts in a random order per sample', () => {
    // 4 × 4 patches, each of one label: row 0 background, row 1 skin, rows 2–3 facial parts.
    const map = filledMap(64, L.background);
    paintRect(map, 64, 0, 16, 64, 32, L.skin);
    const parts = [L.rightBrow, L.rightEye, L.nose, L.upperLip, L.leftBrow, L.leftEye, L.innerMouth, L.hair];
    parts.forEach((label, i) => {
      const x = (i % 4) * 16;
      const y = 32 + Math.floor(i / 4) * 16;
      paintRect(map, 64, x, y, x + 16, y + 16, label);
    });
    const range = (a: number, b: number) => [...Array(b - a).keys()].map((k) => k + a);
    const visibleOf = (ratio: number, seed: number) => {
      const s = new Masker({ strategy: 'fasking-i', imageSizePx: 64, maskRatio: ratio })
        .maskBatch([map], Rng.fromSeed(seed)).samples[0];
      return [...s.idsKeep];
    };
    expect(visibleOf(0.75, 1)).toEqual(range(0, 4)); // 4 visible: background only
    expect(visibleOf(0.5, 1)).toEqual(range(0, 8)); // 8 visible: background, then skin
    const facialSets = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const visible = visibleOf(0.25, seed); // 12 visible: background, skin, then 4 facial patches
      expect(visible.slice(0, 8)).toEqual(range(0, 8));
      expect(visible.length).toBe(12);
      facialSets.add(visible.slice(8).join(','));
    }
    expect(facialSets.size).toBeGreaterThanOrEqual(4);
  });
});
