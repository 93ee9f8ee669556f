import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { fullView, idsRestore, maskIndexFrom } from '../../../lib/model/mask-index.js';

describe('mask index', () => {
  const mask = [0, 1, 1, 0, 1, 0, /* sample 1 */ 1, 1, 0, 0, 0, 1];

  it('keeps visible patches in index order as global rows', () => {
    const idx = maskIndexFrom(mask, 2, 6);
    expect(idx.numVisible).toBe(3);
    expect(Array.from(idx.keepRows)).toEqual([0, 3, 5, 8, 9, 10]);
    expect(Array.from(idx.visibleRowOf)).toEqual([0, -1, -1, 1, -1, 2, -1, -1, 3, 4, 5, -1]);
  });

  it('ids_restore puts visible patches first, then hidden ones, each in index order', () => {
    const idx = maskIndexFrom(mask, 2, 6);
    // sample 0: shuffle order [0,3,5 | 1,2,4] -> restore[j] = position of j
    expect(Array.from(idsRestore(idx, 0))).toEqual([0, 3, 4, 1, 5, 2]);
    expect(Array.from(idsRestore(idx, 1))).toEqual([3, 4, 0, 1, 2, 5]);
  });

  it('rejects masks with unequal visible counts, non-binary values or nothing visible', () => {
    expect(() => maskIndexFrom([0, 1, 1, 1, 0, 0], 2, 3)).toThrow(InvalidConfig);
    expect(() => maskIndexFrom([0, 0.5, 1], 1, 3)).toThrow(/0 or 1/);
    expect(() => maskIndexFrom([1, 1], 1, 2)).toThrow(/hides every patch/);
    expect(() => maskIndexFrom([0, 1], 1, 3)).toThrow(/expected 1×3/);
  });

  it('the full view hides nothing', () => {
    const idx = fullView(2, 4);
    expect(idx.numVisible).toBe(4);
    expect(Array.from(idx.keepRows)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
