import { describe, expect, it } from 'vitest';
import { InvalidConfig, SingleClassTestSet } from '../../../lib/errors.js';
import {
  binaryMetrics,
  bootstrapIntervals,
  createRng,
  percentileInterval,
  rankScores,
  rocAuc,
} from '../../../lib/eval/index.js';

function noisyScores(n: number): { scores: number[]; labels: number[] } {
  const rng = createRng(123);
  const labels = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const scores = labels.map((l) => Math.min(1, Math.max(0, 0.5 + (l ? 0.15 : -0.15) + (rng() - 0.5) * 0.8)));
  return { scores, labels };
}

const OPTIONS = { replicates: 400, seed: 7, confidence: 0.95 };

describe('createRng', () => {
  it('is reproducible by seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });

  it('is close to uniform', () => {
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += rng();
    expect(sum / 20000).toBeCloseTo(0.5, 1);
  });
});

describe('percentileInterval', () => {
  it('interpolates between order statistics like numpy (0..100 at 95% -> 2.5, 97.5)', () => {
    const values = Array.from({ length: 101 }, (_, i) => 100 - i);
    const ci = percentileInterval(values, 0.95);
    expect(ci.low).toBeCloseTo(2.5, 10);
    expect(ci.high).toBeCloseTo(97.5, 10);
    expect(percentileInterval([3], 0.9)).toEqual({ low: 3, high: 3 });
  });

  it('rejects no values and a confidence outside (0, 1)', () => {
    expect(() => percentileInterval([], 0.95)).toThrow(InvalidConfig);
    expect(() => percentileInterval([1], 1)).toThrow(InvalidConfig);
  });
});

describe('bootstrapIntervals', () => {
  const { scores, labels } = noisyScores(300);
  const statistic = (r: Parameters<typeof rocAuc>[0]) => {
    const m = binaryMetrics(r);
    return { auc: m.auc, eer: m.eer, ap: m.ap };
  };

  it('gives 95% intervals that contain the point estimates and have a plausible width', () => {
    const point = statistic(rankScores(scores, labels));
    const ci = bootstrapIntervals(scores, labels, statistic, OPTIONS);
    for (const key of ['auc', 'eer', 'ap'] as const) {
      expect(ci[key].low).toBeLessThanOrEqual(point[key]);
      expect(ci[key].high).toBeGreaterThanOrEqual(point[key]);
      const width = ci[key].high - ci[key].low;
      // Roughly 4 standard errors of an AUC near 0.7 with 150 + 150 items (~0.03 each): not 0, not huge.
      expect(width).toBeGreaterThan(0.03);
      expect(width).toBeLessThan(0.3);
    }
  });

  it('is reproducible by seed, and another seed gives other intervals', () => {
    const a = bootstrapIntervals(scores, labels, statistic, OPTIONS);
    const b = bootstrapIntervals(scores, labels, statistic, OPTIONS);
    const c = bootstrapIntervals(scores, labels, statistic, { ...OPTIONS, seed: 8 });
    expect(b).toEqual(a);
    expect(c.auc).not.toEqual(a.auc);
  });

  it('resamples within each class, so every replicate keeps the class counts', () => {
    const seen: Array<[number, number, number]> = [];
    bootstrapIntervals(
      [0.1, 0.2, 0.3, 0.9, 0.8],
      [0, 0, 0, 1, 1],
      (r) => {
        let fakes = 0;
        let reals = 0;
        for (let g = 0; g < r.thresholds.length; g++) {
          fakes += r.fake[g];
          reals += r.real[g];
        }
        seen.push([fakes, reals, r.nFake]);
        return { auc: rocAuc(r) };
      },
      { replicates: 50, seed: 1, confidence: 0.95 },
    );
    expect(seen).toHaveLength(50);
    for (const s of seen) expect(s).toEqual([2, 3, 2]);
  });

  it('gives a zero-width interval when every replicate is perfectly separated', () => {
    const ci = bootstrapIntervals([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], (r) => ({ auc: rocAuc(r) }), OPTIONS);
    expect(ci.auc).toEqual({ low: 1, high: 1 });
  });

  it('refuses a single-class input and zero replicates', () => {
    expect(() => bootstrapIntervals([0.1, 0.2], [1, 1], (r) => ({ auc: rocAuc(r) }), OPTIONS)).toThrow(SingleClassTestSet);
    expect(() =>
      bootstrapIntervals([0.1, 0.2], [0, 1], (r) => ({ auc: rocAuc(r) }), { ...OPTIONS, replicates: 0 }),
    ).toThrow(InvalidConfig);
  });
});
