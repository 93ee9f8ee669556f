import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { sampleIndices } from '../../../lib/media/index.js';

describe('sampleIndices = floor(linspace(0, T-1, N)) as numpy computes it', () => {
  it('matches numpy for 32 of 300 frames, first and last included', () => {
    // np.floor(np.linspace(0, 299, 32)).astype(int)
    expect(sampleIndices(300, 32)).toEqual([
      0, 9, 19, 28, 38, 48, 57, 67, 77, 86, 96, 106, 115, 125, 135, 144, 154, 163, 173, 183, 192, 202, 212, 221, 231,
      241, 250, 260, 270, 279, 289, 299,
    ]);
  });

  it('matches numpy for 32 of 131 frames and 7 of 50 frames', () => {
    expect(sampleIndices(131, 32)).toEqual([
      0, 4, 8, 12, 16, 20, 25, 29, 33, 37, 41, 46, 50, 54, 58, 62, 67, 71, 75, 79, 83, 88, 92, 96, 100, 104, 109, 113,
      117, 121, 125, 130,
    ]);
    expect(sampleIndices(50, 7)).toEqual([0, 8, 16, 24, 32, 40, 49]);
  });

  it('keeps float64 rounding like numpy: linspace(0, 30, 23)[11] is 14.999999999999998, so index 14 not 15', () => {
    const indices = sampleIndices(31, 23);
    expect(indices[11]).toBe(14);
    expect(indices[10]).toBe(13);
    expect(indices[12]).toBe(16);
  });

  it('returns all frames when N >= T, and [0] for N = 1', () => {
    expect(sampleIndices(5, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(5, 128)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(1, 32)).toEqual([0]);
    expect(sampleIndices(300, 1)).toEqual([0]);
    expect(sampleIndices(0, 32)).toEqual([]);
    expect(sampleIndices(10, 0)).toEqual([]);
  });

  it('is strictly increasing with exactly min(N, T) indices ending at T-1 for every T, N up to 200', () => {
    for (let t = 1; t <= 200; t++) {
      for (let n = 2; n <= 200; n++) {
        const indices = sampleIndices(t, n);
        expect(indices.length).toBe(Math.min(n, t));
        expect(indices[0]).toBe(0);
        expect(indices.at(-1)).toBe(t - 1);
        for (let i = 1; i < indices.length; i++) if (indices[i] <= indices[i - 1]) throw new Error(`T=${t} N=${n}`);
      }
    }
  });

  it('rejects negative or fractional counts', () => {
    expect(() => sampleIndices(-1, 3)).toThrow(InvalidConfig);
    expect(() => sampleIndices(10, 2.5)).toThrow(InvalidConfig);
    expect(() => sampleIndices(Number.NaN, 2)).toThrow(InvalidConfig);
  });
});
