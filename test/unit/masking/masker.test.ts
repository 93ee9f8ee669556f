import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { chooseCoveredGroup, Masker, type BatchMask } from '../../../lib/masking/masker.js';
import { MASKING_STRATEGIES } from '../../../lib/masking/options.js';
import { COVERABLE_GROUPS, computePatchRegions, type CoverableGroup } from '../../../lib/masking/regions.js';
import { Rng } from '../../../lib/masking/rng.js';
import { patchGrid } from '../../../lib/masking/grid.js';
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

function snapshot(batch: BatchMask) {
  return {
    group: batch.group,
    mask: [...batch.mask],
    facialRegion: [...batch.facialRegion],
    idsKeep: [...batch.idsKeep],
    idsRestore: [...batch.idsRestore],
  };
}

describe('batch group choice', () => {
  it('draws one group per batch, uniformly over the six coverable groups, never skin or background', () => {
    const masker = new Masker();
    const maps = [faceLikeMap(), faceLikeMap()];
    const rng = Rng.fromSeed(77);
    const counts = new Map<string, number>();
    const draws = 1200;
    for (let i = 0; i < draws; i++) {
      const batch = masker.maskBatch(maps, rng);
      counts.set(batch.group!, (counts.get(batch.group!) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...COVERABLE_GROUPS].sort());
    for (const c of counts.values()) expect(Math.abs(c - draws / 6)).toBeLessThan(70); // ~5 sigma
  });

  it('covers the same group in every sample of a batch', () => {
    const masker = new Masker();
    const rng = Rng.fromSeed(5);
    const maps = [faceLikeMap(), faceLikeMap(224, { hair: false }), faceLikeMap()];
    for (let t = 0; t < 30; t++) {
      const batch = masker.maskBatch(maps, rng);
      batch.samples.forEach((s, i) => {
        const region = naiveGroupPatches(naiveLabelsPerPatch(maps[i], 224, 16), batch.group!);
        expect(onesOf(s.facialRegion)).toEqual(region);
      });
    }
  });

  it('skips groups that are empty in every sample, but keeps one present in any sample', () => {
    const grid = patchGrid();
    const noHair = computePatchRegions(faceLikeMap(224, { hair: false }), grid);
    const withHair = computePatchRegions(faceLikeMap(), grid);
    const rng = Rng.fromSeed(9);
    const seenWithout = new Set<CoverableGroup>();
    const seenMixed = new Set<CoverableGroup>();
    for (let i = 0; i < 600; i++) {
      seenWithout.add(chooseCoveredGroup([noHair, noHair], rng));
      seenMixed.add(chooseCoveredGroup([noHair, withHair], rng));
    }
    // Without hair the boundary still exists (skin next to background).
    expect([...seenWithout].sort()).toEqual(['boundary', 'brows', 'eyes', 'mouth', 'nose']);
    expect(seenMixed.has('hair')).toBe(true);
    expect(seenMixed.size).toBe(6);
  });

  it('falls back to all six groups when none is present (then F is empty)', () => {
    const masker = new Masker();
    const rng = Rng.fromSeed(4);
    const groups = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const batch = masker.maskBatch([filledMap(224, L.skin)], rng);
      groups.add(batch.group!);
      expect(onesOf(batch.samples[0].facialRegion).size).toBe(0);
      expect(onesOf(batch.samples[0].mask).size).toBe(147);
    }
    expect(groups.size).toBe(6);
  });

  it('rejects a coverGroup that may not be covered', () => {
    const masker = new Masker();
    expect(() => masker.maskBatch([faceLikeMap()], Rng.fromSeed(0), { coverGroup: 'skin' as never })).toThrow(
      InvalidConfig,
    );
  });
});

describe('ids', () => {
  it('idsKeep lists the visible patches ascending and idsRestore undoes [visible…, hidden…]', () => {
    const rng = Rng.fromSeed(21);
    for (const strategy of MASKING_STRATEGIES) {
      for (const [sizePx, patchPx] of [
        [224, 16],
        [224, 32],
        [64, 16],
      ]) {
        const masker = new Masker({ strategy, imageSizePx: sizePx, patchSizePx: patchPx });
        const maps = [faceLikeMap(sizePx), randomRectsMap(rng, sizePx), randomRectsMap(rng, sizePx)];
        const batch = masker.maskBatch(maps, rng);
        expect(batch.idsKeep.length).toBe(maps.length * masker.numVisible);
        for (const s of batch.samples) {
          const n = s.mask.length;
          const visible = [...s.idsKeep];
          expect(visible).toEqual([...Array(n).keys()].filter((p) => s.mask[p] === 0));
          const hidden = [...Array(n).keys()].filter((p) => s.mask[p] === 1);
          const shuffled = [...visible, ...hidden]; // token order the encoder/decoder sees
          const restored = [...s.idsRestore].map((pos) => shuffled[pos]);
          expect(restored).toEqual([...Array(n).keys()]);
        }
      }
    }
  });

  it('exposes per-sample arrays as views of the flat batch arrays', () => {
    const masker = new Masker();
    const batch = masker.maskBatch([faceLikeMap(), faceLikeMap()], Rng.fromSeed(1));
    expect(batch.samples[1].mask.buffer).toBe(batch.mask.buffer);
    expect([...batch.mask.subarray(196, 392)]).toEqual([...batch.samples[1].mask]);
    expect([...batch.idsKeep.subarray(49, 98)]).toEqual([...batch.samples[1].idsKeep]);
  });
});

describe('seeding', () => {
  it('repeats a batch for the same seed and differs for different seeds, for every strategy', () => {
    const rng = Rng.fromSeed(100);
    const maps = [faceLikeMap(), randomRectsMap(rng, 224), randomRectsMap(rng, 224)];
    for (const strategy of MASKING_STRATEGIES) {
      const masker = new Masker({ strategy });
      const a = snapshot(masker.maskBatch(maps, Rng.fromSeed(31)));
      const b = snapshot(masker.maskBatch(maps, Rng.fromSeed(31)));
      const c = snapshot(masker.maskBatch(maps, Rng.fromSeed(32)));
      expect(a).toEqual(b);
      expect(c.mask).not.toEqual(a.mask);
    }
  });

  it('resumes from a checkpointed rng state with the same masks as an uninterrupted run', () => {
    const masker = new Masker();
    const maps = [faceLikeMap(), faceLikeMap(224, { hair: false })];
    const rng = Rng.fromSeed(2);
    masker.maskBatch(maps, rng);
    const checkpoint = JSON.stringify(rng.state());
    const uninterrupted = [1, 2, 3].map(() => snapshot(masker.maskBatch(maps, rng)));
    const resumedRng = Rng.fromState(JSON.parse(checkpoint));
    const resumed = [1, 2, 3].map(() => snapshot(new Masker().maskBatch(maps, resumedRng)));
    expect(resumed).toEqual(uninterrupted);
  });
});

describe('Masker', () => {
  it('rejects region maps of the wrong size for its grid', () => {
    const masker = new Masker({ imageSizePx: 64 });
    expect(() => masker.maskBatch([faceLikeMap(224)], Rng.fromSeed(0))).toThrow(InvalidConfig);
    const regions = computePatchRegions(faceLikeMap(224), patchGrid());
    expect(() => masker.maskRegions([regions], Rng.fromSeed(0))).toThrow(InvalidConfig);
  });

  it('accepts an int8 parser map viewed as bytes', () => {
    const int8 = new Int8Array(224 * 224).fill(L.skin);
    const view = new Uint8Array(int8.buffer, int8.byteOffset, int8.length);
    paintRect(view, 224, 0, 0, 224, 16, L.hair);
    const batch = new Masker().maskBatch([view], Rng.fromSeed(0), { coverGroup: 'hair' });
    expect([...batch.samples[0].facialRegion.subarray(0, 14)]).toEqual(new Array(14).fill(1));
  });
});
