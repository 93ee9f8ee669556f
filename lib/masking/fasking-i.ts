import { GROUP_LABELS, type RegionGroup } from './regions.js';
import { assignRandom, collect, type MaskWork } from './work.js';

/** MARLIN's facial parts, shuffled per sample; background and skin always come first. */
const FACIAL_PARTS: readonly Exclude<RegionGroup, 'boundary'>[] = ['brows', 'eyes', 'nose', 'mouth', 'hair'];

/**
 * Fasking-I: MARLIN's facial-region guided masking (Fasking) on one image. Patches are made
 * visible label by label (background, then skin, then the facial parts in a random order) until
 * at least numPatches − numMasked are visible; surplus visible patches are then hidden at random.
 * So facial parts are hidden first and background last. F stays empty.
 * MARLIN shuffles five parts (right brow+eye, left brow+eye, nose, mouth, hair); we shuffle FSFM's
 * groups (brows, eyes, nose, mouth, hair), also five. The visible count is checked after each label.
 */
export function maskFaskingI(work: MaskWork): void {
  const { mask, rng, numPatches } = work;
  const { labelBits } = work.regions;
  const numVisible = numPatches - work.numMasked;
  mask.fill(1);

  const order = FACIAL_PARTS.map((_, k) => k);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const queue: readonly (readonly number[])[] = [
    GROUP_LABELS.background,
    GROUP_LABELS.skin,
    ...order.map((k) => GROUP_LABELS[FACIAL_PARTS[k]]),
  ];

  let visible = 0;
  outer: for (const labels of queue) {
    for (const label of labels) {
      const bit = 1 << label;
      for (let p = 0; p < numPatches; p++) {
        if (mask[p] === 1 && labelBits[p] & bit) {
          mask[p] = 0;
          visible++;
        }
      }
      if (visible >= numVisible) break outer;
    }
  }

  if (visible > numVisible) {
    const m = collect(work, (p) => mask[p] === 0);
    assignRandom(work, m, visible - numVisible, mask, 1);
  } else if (visible < numVisible) {
    // Cannot happen with a validated LaPa map (every patch has some label 0..10); kept so the count holds regardless.
    const m = collect(work, (p) => mask[p] === 1);
    assignRandom(work, m, numVisible - visible, mask, 0);
  }
}
