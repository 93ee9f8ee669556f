import { describe, expect, it } from 'vitest';
import { sinCosPosEmbed2d } from '../../../lib/model/pos-embed.js';

describe('2-D sin-cos position embedding (MAE get_2d_sincos_pos_embed)', () => {
  it('has a zero CLS row and 1 + g² rows', () => {
    const pe = sinCosPosEmbed2d(16, 4);
    expect(pe.length).toBe(17 * 16);
    expect(Array.from(pe.subarray(0, 16)).every((v) => v === 0)).toBe(true);
  });

  it('encodes the column in the first half and the row in the second, sin then cos', () => {
    const D = 16;
    const pe = sinCosPosEmbed2d(D, 4);
    const row = (i: number, j: number) => pe.subarray((1 + i * 4 + j) * D, (2 + i * 4 + j) * D);
    const r = row(1, 2); // patch 6: row i = 1, column j = 2
    // ω_m = 1/10000^(m/4) for D/4 = 4 frequencies.
    expect(r[0]).toBeCloseTo(Math.sin(2), 6);
    expect(r[1]).toBeCloseTo(Math.sin(2 / 10), 6);
    expect(r[3]).toBeCloseTo(Math.sin(2 / 1000), 6);
    expect(r[4]).toBeCloseTo(Math.cos(2), 6);
    expect(r[8]).toBeCloseTo(Math.sin(1), 6);
    expect(r[12]).toBeCloseTo(Math.cos(1), 6);
    expect(r[13]).toBeCloseTo(Math.cos(1 / 10), 6);
    // Patch 0 is (0, 0): sin 0 = 0, cos 0 = 1.
    expect(Array.from(row(0, 0))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('matches the closed form at sample entries of the ViT-B table (768 wide, 14×14)', () => {
    const D = 768;
    const g = 14;
    const pe = sinCosPosEmbed2d(D, g);
    for (const [k, c] of [[0, 5], [13, 100], [14, 191], [100, 192], [150, 300], [195, 383], [195, 384], [77, 500], [60, 767]]) {
      const i = Math.floor(k / g);
      const j = k % g;
      const half = c < D / 2 ? j : i;
      const m = c % (D / 4);
      const angle = half / Math.pow(10000, m / (D / 4));
      const useCos = Math.floor(c / (D / 4)) % 2 === 1;
      expect(pe[(1 + k) * D + c]).toBeCloseTo(useCos ? Math.cos(angle) : Math.sin(angle), 6);
    }
  });

  it('without a CLS row starts at patch 0', () => {
    const withCls = sinCosPosEmbed2d(8, 3);
    const without = sinCosPosEmbed2d(8, 3, false);
    expect(Array.from(without)).toEqual(Array.from(withCls.subarray(8)));
  });
});
