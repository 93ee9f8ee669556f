/**
 * Synthetic LaPa region maps for the masking tests, plus a naive (per patch, per pixel) reference
 * for patch membership so the tests do not trust the code under test for their expectations.
 */
import { Rng } from '../../../lib/masking/rng.js';

import { LAPA as L } from '../../../lib/faces/lapa.js';

export { L };

export function filledMap(sizePx: number, label: number): Uint8Array {
  return new Uint8Array(sizePx * sizePx).fill(label);
}

/** Paints [x0, x1) × [y0, y1) (clipped to the map). */
export function paintRect(map: Uint8Array, sizePx: number, x0: number, y0: number, x1: number, y1: number, label: number): void {
  for (let y = Math.max(0, y0); y < Math.min(sizePx, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(sizePx, x1); x++) map[y * sizePx + x] = label;
  }
}

function paintEllipse(map: Uint8Array, sizePx: number, cx: number, cy: number, rx: number, ry: number, label: number): void {
  for (let y = 0; y < sizePx; y++) {
    for (let x = 0; x < sizePx; x++) {
      const dx = (x + 0.5 - cx) / rx;
      const dy = (y + 0.5 - cy) / ry;
      if (dx * dx + dy * dy <= 1) map[y * sizePx + x] = label;
    }
  }
}

/**
 * A plausible frontal face: hair on top and sides, skin oval, brows, eyes, nose, lips, inner mouth,
 * background around. Coordinates are fractions of the side so any size works.
 */
export function faceLikeMap(sizePx = 224, opts: { hair?: boolean } = {}): Uint8Array {
  const s = sizePx;
  const f = (v: number) => Math.round(v * s);
  const map = filledMap(s, L.background);
  if (opts.hair ?? true) paintEllipse(map, s, 0.5 * s, 0.42 * s, 0.36 * s, 0.36 * s, L.hair);
  paintEllipse(map, s, 0.5 * s, 0.56 * s, 0.3 * s, 0.4 * s, L.skin);
  paintRect(map, s, f(0.28), f(0.36), f(0.44), f(0.39), L.rightBrow);
  paintRect(map, s, f(0.56), f(0.36), f(0.72), f(0.39), L.leftBrow);
  paintRect(map, s, f(0.3), f(0.43), f(0.43), f(0.48), L.rightEye);
  paintRect(map, s, f(0.57), f(0.43), f(0.7), f(0.48), L.leftEye);
  paintRect(map, s, f(0.45), f(0.45), f(0.55), f(0.66), L.nose);
  paintRect(map, s, f(0.38), f(0.72), f(0.62), f(0.75), L.upperLip);
  paintRect(map, s, f(0.4), f(0.75), f(0.6), f(0.77), L.innerMouth);
  paintRect(map, s, f(0.38), f(0.77), f(0.62), f(0.8), L.lowerLip);
  return map;
}

/**
 * A canvas (background or skin, sometimes another label so that one region is huge) with a few
 * random labelled rectangles of random sizes.
 */
export function randomRectsMap(rng: Rng, sizePx: number): Uint8Array {
  const map = filledMap(sizePx, rng.nextFloat() < 0.8 ? rng.nextInt(2) : 2 + rng.nextInt(9));
  const numRects = 1 + rng.nextInt(12);
  for (let r = 0; r < numRects; r++) {
    const w = 1 + rng.nextInt(Math.max(1, Math.floor(sizePx * (rng.nextFloat() < 0.2 ? 0.9 : 0.3))));
    const h = 1 + rng.nextInt(Math.max(1, Math.floor(sizePx * (rng.nextFloat() < 0.2 ? 0.9 : 0.3))));
    const x = rng.nextInt(sizePx);
    const y = rng.nextInt(sizePx);
    paintRect(map, sizePx, x, y, x + w, y + h, rng.nextInt(11));
  }
  return map;
}

export const GROUP_ORDER = ['brows', 'eyes', 'nose', 'mouth', 'boundary', 'hair', 'skin', 'background'] as const;
const LABELS_OF: Record<string, number[]> = {
  brows: [2, 3],
  eyes: [4, 5],
  nose: [6],
  mouth: [7, 8, 9],
  hair: [10],
  skin: [1],
  background: [0],
};

/** labelsPerPatch[p] = the set of labels present in patch p, scanning every pixel of it. */
export function naiveLabelsPerPatch(map: Uint8Array, sizePx: number, patchPx: number): Set<number>[] {
  const side = sizePx / patchPx;
  const out: Set<number>[] = [];
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const labels = new Set<number>();
      for (let y = row * patchPx; y < (row + 1) * patchPx; y++) {
        for (let x = col * patchPx; x < (col + 1) * patchPx; x++) labels.add(map[y * sizePx + x]);
      }
      out.push(labels);
    }
  }
  return out;
}

/** Patch indices of a group, by the definition in fsfm-method.md §2. */
export function naiveGroupPatches(labelsPerPatch: Set<number>[], group: (typeof GROUP_ORDER)[number]): Set<number> {
  const out = new Set<number>();
  labelsPerPatch.forEach((labels, p) => {
    const inGroup =
      group === 'boundary'
        ? labels.has(1) && (labels.has(10) || labels.has(0))
        : LABELS_OF[group].some((l) => labels.has(l));
    if (inGroup) out.add(p);
  });
  return out;
}

export function onesOf(values: Uint8Array): Set<number> {
  const out = new Set<number>();
  values.forEach((v, i) => {
    if (v === 1) out.add(i);
  });
  return out;
}

/** Exact round-half-even of a / b for non-negative integers, written differently from lib's. */
export function expectedRound(a: number, b: number): number {
  if ((2 * a) % b === 0 && ((2 * a) / b) % 2 === 1) {
    const lower = (2 * a - b) / (2 * b);
    return lower % 2 === 0 ? lower : lower + 1;
  }
  return Math.round(a / b);
}
