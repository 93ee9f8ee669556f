import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { downsampleRoc, indexScores, rankScores, rocCurve, type RocCurve } from '../../../lib/eval/index.js';

function staircase(steps: number): RocCurve {
  // Alternating right/up unit steps: a jagged curve with no collinear vertices.
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  for (let k = 1; k <= steps; k++) {
    fpr.push(Math.ceil(k / 2) / Math.ceil(steps / 2));
    tpr.push(Math.floor(k / 2) / Math.floor(steps / 2));
    thresholds.push(1 - k / (steps + 1));
  }
  return { fpr, tpr, thresholds };
}

describe('rankScores', () => {
  it('groups equal scores into one entry, highest first, counting each class', () => {
    const ranked = rankScores([0.2, 0.7, 0.2, 0.7, 0.7], [0, 1, 1, 0, 1]);
    expect(Array.from(ranked.thresholds)).toEqual([0.7, 0.2]);
    expect(Array.from(ranked.fake)).toEqual([2, 1]);
    expect(Array.from(ranked.real)).toEqual([1, 1]);
    expect(ranked.nFake).toBe(3);
    expect(ranked.nReal).toBe(2);
  });

  it('treats 0 and -0 as one score', () => {
    expect(indexScores([0, -0, 1]).thresholds.length).toBe(2);
  });
});

describe('rocCurve', () => {
  it('skips zero-weight entries so a bootstrap replicate has no duplicate vertices', () => {
    const roc = rocCurve({
      thresholds: Float64Array.from([0.9, 0.5, 0.1]),
      fake: Float64Array.from([2, 0, 0]),
      real: Float64Array.from([0, 0, 1]),
      nFake: 2,
      nReal: 1,
    });
    expect(roc.thresholds).toEqual([Infinity, 0.9, 0.1]);
  });
});

describe('downsampleRoc', () => {
  it('drops only collinear vertices of a short curve and writes +Infinity as a null threshold (JSON-safe)', () => {
    const points = downsampleRoc(rocCurve(rankScores([0.9, 0.1, 0.5], [1, 0, 0])), 200);
    // The vertex (0.5, 1) at threshold 0.5 lies on the segment from (0, 1) to (1, 1), so drawing needs no copy of it.
    expect(points).toEqual([
      { fpr: 0, tpr: 0, threshold: null },
      { fpr: 0, tpr: 1, threshold: 0.9 },
      { fpr: 1, tpr: 1, threshold: 0.1 },
    ]);
    expect(JSON.parse(JSON.stringify(points))).toEqual(points);
  });

  it('thins a long curve to at most maxPoints, keeping both ends and monotonicity', () => {
    const roc = staircase(5000);
    const points = downsampleRoc(roc, 200);
    expect(points.length).toBeLessThanOrEqual(200);
    expect(points.length).toBeGreaterThan(150);
    expect(points[0]).toEqual({ fpr: 0, tpr: 0, threshold: null });
    expect(points[points.length - 1]).toMatchObject({ fpr: 1, tpr: 1 });
    for (let i = 1; i < points.length; i++) {
      expect(points[i].fpr).toBeGreaterThanOrEqual(points[i - 1].fpr);
      expect(points[i].tpr).toBeGreaterThanOrEqual(points[i - 1].tpr);
    }
  });

  it('rejects maxPoints below 2', () => {
    expect(() => downsampleRoc(staircase(4), 1)).toThrow(InvalidConfig);
  });
});
