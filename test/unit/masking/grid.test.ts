import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { numMaskedPatches, patchGrid, roundHalfEven, roundHalfEvenRatio } from '../../../lib/masking/grid.js';
import { Masker } from '../../../lib/masking/masker.js';
import { maskingOptionsSchema } from '../../../lib/masking/options.js';

describe('patchGrid', () => {
  it('cuts 224 px into 14 × 14 = 196 patches of 16 px by default', () => {
    expect(patchGrid()).toEqual({ imageSizePx: 224, patchSizePx: 16, patchesPerSide: 14, numPatches: 196 });
  });

  it('supports other grids whose sizes divide', () => {
    expect(patchGrid(224, 32).numPatches).toBe(49);
    expect(patchGrid(224, 8).numPatches).toBe(784);
    expect(patchGrid(64, 16).numPatches).toBe(16);
  });

  it('throws InvalidConfig naming both sizes when the patch size does not divide the image', () => {
    expect(() => patchGrid(224, 15)).toThrow(InvalidConfig);
    expect(() => patchGrid(224, 15)).toThrow(/patchSizePx 15 must divide imageSizePx 224/);
    expect(() => patchGrid(224, 0)).toThrow(InvalidConfig);
    expect(() => new Masker({ patchSizePx: 15 })).toThrow(InvalidConfig);
    expect(() => new Masker({ patchSizePx: 15 })).toThrow(/patchSizePx must divide imageSizePx/);
  });
});

describe('numMaskedPatches (round half to even of ratio · N)', () => {
  it('hides 147 of 196 at 75 %', () => {
    expect(numMaskedPatches(0.75, 196)).toBe(147);
  });

  it('rounds exact halves to the even neighbour', () => {
    expect(numMaskedPatches(0.5, 9)).toBe(4); // 4.5
    expect(numMaskedPatches(0.625, 4)).toBe(2); // 2.5
    expect(numMaskedPatches(0.375, 4)).toBe(2); // 1.5
    expect(numMaskedPatches(0.5, 49)).toBe(24); // 24.5
  });

  it('rounds other products to the nearest integer, ignoring float noise', () => {
    expect(numMaskedPatches(0.7, 10)).toBe(7); // 7.000000000000001 in floats
    expect(numMaskedPatches(0.71, 36)).toBe(26); // 25.56
    expect(numMaskedPatches(0.7, 36)).toBe(25); // 25.2
    expect(numMaskedPatches(0.9, 196)).toBe(176); // 176.4
  });

  it('throws InvalidConfig when nothing would be hidden or nothing visible', () => {
    expect(() => numMaskedPatches(0.1, 4)).toThrow(InvalidConfig); // 0.4 → 0
    expect(() => numMaskedPatches(0.9, 4)).toThrow(InvalidConfig); // 3.6 → 4
    expect(() => numMaskedPatches(1, 196)).toThrow(InvalidConfig);
    expect(() => numMaskedPatches(0, 196)).toThrow(InvalidConfig);
  });

  it('rounds scalars and integer ratios half to even', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 3].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 3]);
    expect(roundHalfEvenRatio(1, 2)).toBe(0);
    expect(roundHalfEvenRatio(3, 2)).toBe(2);
    expect(roundHalfEvenRatio(5, 2)).toBe(2);
    expect(roundHalfEvenRatio(7, 3)).toBe(2);
    expect(roundHalfEvenRatio(8, 3)).toBe(3);
    expect(roundHalfEvenRatio(0, 5)).toBe(0);
  });
});

describe('maskingOptionsSchema', () => {
  it("fills the paper's defaults", () => {
    expect(maskingOptionsSchema.parse({})).toEqual({
      strategy: 'crfr-p',
      maskRatio: 0.75,
      patchSizePx: 16,
      imageSizePx: 224,
    });
  });

  it('rejects sizes that do not divide, ratios outside (0, 1), unknown strategies and empty budgets', () => {
    expect(maskingOptionsSchema.safeParse({ patchSizePx: 15 }).success).toBe(false);
    expect(maskingOptionsSchema.safeParse({ maskRatio: 1 }).success).toBe(false);
    expect(maskingOptionsSchema.safeParse({ maskRatio: 0 }).success).toBe(false);
    expect(maskingOptionsSchema.safeParse({ strategy: 'tube' }).success).toBe(false);
    expect(maskingOptionsSchema.safeParse({ imageSizePx: 32, patchSizePx: 16, maskRatio: 0.1 }).success).toBe(false);
    expect(maskingOptionsSchema.safeParse({ strategy: 'fasking-i', maskRatio: 0.9, patchSizePx: 32 }).success).toBe(
      true,
    );
  });
});
