import { InvalidConfig } from '../errors.js';

/** The square patch grid a ViT cuts an image into (224 px / 16 px → 14 × 14 = 196 patches). */
export interface PatchGrid {
  readonly imageSizePx: number;
  readonly patchSizePx: number;
  readonly patchesPerSide: number;
  /** patchesPerSide², patches indexed row-major (index = row · patchesPerSide + col) like the ViT's tokens */
  readonly numPatches: number;
}

export function patchGrid(imageSizePx = 224, patchSizePx = 16): PatchGrid {
  if (!Number.isInteger(imageSizePx) || imageSizePx < 1) {
    throw new InvalidConfig(`masking: imageSizePx must be a positive integer, got ${imageSizePx}`);
  }
  if (!Number.isInteger(patchSizePx) || patchSizePx < 1) {
    throw new InvalidConfig(`masking: patchSizePx must be a positive integer, got ${patchSizePx}`);
  }
  if (imageSizePx % patchSizePx !== 0) {
    throw new InvalidConfig(
      `masking: patchSizePx ${patchSizePx} must divide imageSizePx ${imageSizePx} (a partial patch has no token)`,
    );
  }
  const patchesPerSide = imageSizePx / patchSizePx;
  return { imageSizePx, patchSizePx, patchesPerSide, numPatches: patchesPerSide * patchesPerSide };
}

/**
 * Number of hidden patches: round-half-to-even of maskRatio · numPatches (0.75 · 196 = 147).
 * Half-to-even matches torch.round, which the reference uses for its per-region counts; MAE's
 * `L − int(L·(1−ratio))` agrees with it whenever the product is an integer. The product is first
 * snapped to 1e-9 so that float noise (0.7 · 10 = 7.000000000000001) cannot move the result.
 * Throws InvalidConfig unless at least one patch is hidden and one stays visible.
 */
export function numMaskedPatches(maskRatio: number, numPatches: number): number {
  if (!(maskRatio > 0 && maskRatio < 1)) {
    throw new InvalidConfig(`masking: maskRatio must be in (0, 1), got ${maskRatio}`);
  }
  const numMasked = roundedMaskedCount(maskRatio, numPatches);
  if (numMasked < 1 || numMasked > numPatches - 1) {
    throw new InvalidConfig(
      `masking: maskRatio ${maskRatio} of ${numPatches} patches rounds to ${numMasked} hidden; ` +
        `need between 1 and ${numPatches - 1}`,
    );
  }
  return numMasked;
}

/** The rounding of numMaskedPatches without its range checks (for schema refinements). */
export function roundedMaskedCount(maskRatio: number, numPatches: number): number {
  return roundHalfEven(Math.round(maskRatio * numPatches * 1e9) / 1e9);
}

export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const frac = x - floor;
  if (frac > 0.5) return floor + 1;
  if (frac < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * round-half-to-even(numerator / denominator) for non-negative integers, computed exactly: the
 * per-region counts |C| · n / (N − |F|) hit exact halves (e.g. 2 · 0.25) and must not depend on float error.
 */
export function roundHalfEvenRatio(numerator: number, denominator: number): number {
  const q = Math.floor(numerator / denominator);
  const twiceRem = 2 * (numerator - q * denominator);
  if (twiceRem > denominator) return q + 1;
  if (twiceRem < denominator) return q;
  return q % 2 === 0 ? q : q + 1;
}
