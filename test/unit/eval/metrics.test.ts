import { describe, expect, it } from 'vitest';
import { InvalidConfig, SingleClassTestSet } from '../../../lib/errors.js';
import {
  averagePrecision,
  balancedAccuracy,
  binaryMetrics,
  equalErrorRate,
  halfTotalErrorRate,
  hterAtEer,
  rankScores,
  rocAuc,
  rocCurve,
  swapClasses,
  tprAtFpr,
} from '../../../lib/eval/index.js';

/*
 * Hand-worked example (label 1 = fake, score = P(fake)); one tie at 0.6 between a fake and a real.
 *
 *   score  0.9  0.8  0.7  0.6  0.6  0.4  0.3  0.2
 *   label   F    R    F    F    R    R    F    R        4 fakes, 4 reals
 *
 * AUC (Mann-Whitney, ties 1/2): fake 0.9 beats 4 reals; 0.7 beats 0.6, 0.4, 0.2 -> 3; 0.6 beats 0.4, 0.2 and ties
 *   0.6 -> 2.5; 0.3 beats 0.2 -> 1. (4 + 3 + 2.5 + 1) / 16 = 10.5 / 16 = 0.65625.
 * ROC vertices (threshold: FPR, TPR): inf (0,0); 0.9 (0,.25); 0.8 (.25,.25); 0.7 (.25,.5); 0.6 (.5,.75) [tie = one
 *   diagonal step]; 0.4 (.75,.75); 0.3 (.75,1); 0.2 (1,1).
 * EER: FPR - FNR = FPR + TPR - 1 is -0.25 at 0.7 and +0.25 at 0.6, so the crossing is halfway along that segment:
 *   FPR = .25 + .5 * .25 = .375, TPR = .625, FNR = .375 -> EER 0.375. |FPR - FNR| ties at 0.25 on both vertices;
 *   the higher threshold (0.7) wins: FPR .25, FNR .5 -> HTER at the EER threshold = .375.
 * AP: recall rises by 1/4 at thresholds 0.9 (precision 1/1), 0.7 (2/3), 0.6 (3/5), 0.3 (4/7):
 *   (1 + 2/3 + 3/5 + 4/7) / 4 = (298/105) / 4 = 149/210.
 * Balanced accuracy at 0.5: fakes >= .5: 3/4; reals < .5: 2/4 -> 0.625.
 * TPR at FPR <= 0.375: step = 0.5 (vertex 0.7); interpolated between (.25,.5) and (.5,.75) = 0.625.
 */
const HAND_SCORES = [0.9, 0.8, 0.7, 0.6, 0.6, 0.4, 0.3, 0.2];
const HAND_LABELS = [1, 0, 1, 1, 0, 0, 1, 0];

/** Straight from the definition: over all (fake, real) pairs, 1 if the fake scores higher, 1/2 if tied. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let won = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs += 1;
      won += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return won / pairs;
}

function trapezoid(fpr: number[], tpr: number[]): number {
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return area;
}

/** Deterministic pseudo-random data with many ties (scores on a 0.05 grid). */
function tiedData(n: number, seed: number): { scores: number[]; labels: number[] } {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const labels = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const scores = labels.map((l) => Math.round(Math.min(1, Math.max(0, next() * 0.8 + (l ? 0.2 : 0))) * 20) / 20);
  return { scores, labels };
}

describe('hand-worked example', () => {
  const ranked = rankScores(HAND_SCORES, HAND_LABELS);

  it('AUC equals the Mann-Whitney statistic with ties counting 1/2 (10.5 / 16)', () => {
    expect(rocAuc(ranked)).toBe(0.65625);
  });

  it('ROC has one vertex per distinct score, the tie forming one diagonal step', () => {
    const roc = rocCurve(ranked);
    expect(roc.thresholds).toEqual([Infinity, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2]);
    expect(roc.fpr).toEqual([0, 0, 0.25, 0.25, 0.5, 0.75, 0.75, 1]);
    expect(roc.tpr).toEqual([0, 0.25, 0.25, 0.5, 0.75, 0.75, 1, 1]);
  });

  it('EER is interpolated where FPR = FNR (0.375); its threshold is the nearer vertex, higher on a tie (0.7)', () => {
    expect(equalErrorRate(ranked)).toEqual({ eer: 0.375, threshold: 0.7, fpr: 0.25, fnr: 0.5 });
    expect(hterAtEer(ranked).hter).toBe(0.375);
  });

  it('AP is the step-wise sum over distinct thresholds (149/210)', () => {
    expect(averagePrecision(ranked)).toBeCloseTo(149 / 210, 14);
  });

  it('balanced accuracy at 0.5 is 0.625 (a score equal to the threshold counts as fake)', () => {
    expect(balancedAccuracy(ranked)).toBe(0.625);
    // 0.6 is shared by a fake and a real: at threshold 0.6 both are called fake.
    expect(balancedAccuracy(ranked, 0.6)).toBe((0.75 + 0.5) / 2);
  });

  it('TPR at an FPR budget: step value 0.5, interpolated 0.625', () => {
    expect(tprAtFpr(ranked, 0.375, 'step')).toBe(0.5);
    expect(tprAtFpr(ranked, 0.375, 'interpolated')).toBe(0.625);
    expect(tprAtFpr(ranked, 0.01)).toBe(0.25);
    // A budget that lands exactly on a vertex gives that vertex in both modes.
    expect(tprAtFpr(ranked, 0.5, 'interpolated')).toBe(0.75);
    expect(tprAtFpr(ranked, 0.5, 'step')).toBe(0.75);
  });

  it('binaryMetrics gathers the same numbers', () => {
    const m = binaryMetrics(ranked);
    expect(m.auc).toBe(0.65625);
    expect(m.eer).toBe(0.375);
    expect(m.eerThreshold).toBe(0.7);
    expect(m.balancedAccuracy).toBe(0.625);
    expect(m.tprAtFpr1pct).toBe(0.25);
    expect(m.hterAtEer).toBe(0.375);
  });
});

describe('ties', () => {
  it('all scores tied give AUC 0.5, a single diagonal ROC step and EER 0.5', () => {
    const ranked = rankScores([0.3, 0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0, 1]);
    expect(rocAuc(ranked)).toBe(0.5);
    const roc = rocCurve(ranked);
    expect(roc.fpr).toEqual([0, 1]);
    expect(roc.tpr).toEqual([0, 1]);
    const eer = equalErrorRate(ranked);
    expect(eer.eer).toBe(0.5);
    // Never +Infinity: the threshold must be usable for classification.
    expect(eer.threshold).toBe(0.3);
  });

  it('the result does not depend on the order of tied items', () => {
    const a = binaryMetrics(rankScores([0.5, 0.5, 0.9, 0.1], [1, 0, 1, 0]));
    const b = binaryMetrics(rankScores([0.5, 0.5, 0.1, 0.9], [0, 1, 0, 1]));
    expect(a).toEqual(b);
    expect(a.auc).toBe((1 + 1 + 1 + 0.5) / 4);
  });

  it('AUC equals the pairwise definition and the trapezoidal ROC area on tie-heavy data', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { scores, labels } = tiedData(301, seed);
      const ranked = rankScores(scores, labels);
      const roc = rocCurve(ranked);
      expect(rocAuc(ranked)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
      expect(trapezoid(roc.fpr, roc.tpr)).toBeCloseTo(rocAuc(ranked), 12);
    }
  });

  it('the EER threshold minimises |FPR - FNR| over every possible threshold, and the EER lies between them', () => {
    for (const seed of [7, 8, 9]) {
      const { scores, labels } = tiedData(200, seed);
      const ranked = rankScores(scores, labels);
      const eer = equalErrorRate(ranked);
      let best = Infinity;
      for (const t of new Set(scores)) {
        const { hter: _h, far, frr } = halfTotalErrorRate(ranked, t);
        best = Math.min(best, Math.abs(far - frr));
      }
      expect(Math.abs(eer.fpr - eer.fnr)).toBeCloseTo(best, 12);
      const at = halfTotalErrorRate(ranked, eer.threshold);
      expect(at.frr).toBe(eer.fpr);
      expect(at.far).toBeCloseTo(eer.fnr, 12);
      expect(eer.eer).toBeGreaterThanOrEqual(Math.min(eer.fpr, eer.fnr) - 1e-12);
      expect(eer.eer).toBeLessThanOrEqual(Math.max(eer.fpr, eer.fnr) + 1e-12);
    }
  });
});

describe('perfect and inverted scores', () => {
  it('a perfect ranking gives AUC 1, EER 0, AP 1, TPR@FPR=1% of 1', () => {
    const m = binaryMetrics(rankScores([0.1, 0.2, 0.8, 0.9, 0.95], [0, 0, 1, 1, 1]));
    expect(m).toMatchObject({ auc: 1, eer: 0, ap: 1, tprAtFpr1pct: 1, hterAtEer: 0, balancedAccuracy: 1 });
    // Threshold = the lowest fake score: everything at or above it is fake, nothing real is.
    expect(m.eerThreshold).toBe(0.8);
  });

  it('an inverted ranking gives AUC 0 and EER 1', () => {
    const m = binaryMetrics(rankScores([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]));
    expect(m.auc).toBe(0);
    expect(m.eer).toBe(1);
    expect(m.tprAtFpr1pct).toBe(0);
    expect(m.balancedAccuracy).toBe(0);
  });
});

describe('EER interpolation', () => {
  /*
   * Fakes 0.9, 0.8, 0.3; reals 0.5, 0.2. Vertices: inf (0,0); .9 (0,1/3); .8 (0,2/3); .5 (.5,2/3); .3 (.5,1); .2 (1,1).
   * FPR - FNR: -1/3 at 0.8, +1/6 at 0.5 -> crossing 2/3 of the way along: FPR = 0 + (2/3)(.5) = 1/3 = FNR.
   * Nearer vertex: 0.5 (|1/6| < |1/3|) -> FPR .5, FNR 1/3, HTER 5/12.
   */
  const ranked = rankScores([0.9, 0.8, 0.3, 0.5, 0.2], [1, 1, 1, 0, 0]);

  it('interpolates linearly on the crossing segment (EER 1/3, not a vertex value)', () => {
    const eer = equalErrorRate(ranked);
    expect(eer.eer).toBeCloseTo(1 / 3, 14);
    expect(eer.threshold).toBe(0.5);
    expect(eer.fpr).toBe(0.5);
    expect(eer.fnr).toBeCloseTo(1 / 3, 14);
  });

  it('HTER at the EER threshold is the vertex error, 5/12', () => {
    expect(hterAtEer(ranked).hter).toBeCloseTo(5 / 12, 14);
  });

  it('a crossing exactly on a vertex returns that vertex', () => {
    // Vertices: .9 (0,.5); .6 (.5,.5) -> FPR = FNR = .5 exactly.
    const eer = equalErrorRate(rankScores([0.9, 0.4, 0.6, 0.1], [1, 1, 0, 0]));
    expect(eer).toEqual({ eer: 0.5, threshold: 0.6, fpr: 0.5, fnr: 0.5 });
  });
});

describe('HTER', () => {
  // Fakes 0.9, 0.7, 0.4, 0.2; reals 0.6, 0.3, 0.1, 0.05.
  const ranked = rankScores([0.9, 0.7, 0.4, 0.2, 0.6, 0.3, 0.1, 0.05], [1, 1, 1, 1, 0, 0, 0, 0]);

  it('FAR counts fakes accepted as real (score < t), FRR reals rejected as fake (score >= t)', () => {
    // t = 0.5: fakes 0.4, 0.2 accepted -> FAR 2/4; real 0.6 rejected -> FRR 1/4.
    expect(halfTotalErrorRate(ranked, 0.5)).toEqual({ hter: 0.375, far: 0.5, frr: 0.25, threshold: 0.5 });
    // t = 0.6: the real at exactly 0.6 is rejected (>=).
    expect(halfTotalErrorRate(ranked, 0.6).frr).toBe(0.25);
    expect(halfTotalErrorRate(ranked, 0.61).frr).toBe(0);
  });

  it('HTER at t is 1 - balanced accuracy at t', () => {
    for (const t of [0, 0.05, 0.25, 0.5, 0.65, 1]) {
      expect(halfTotalErrorRate(ranked, t).hter).toBeCloseTo(1 - balancedAccuracy(ranked, t), 14);
    }
  });
});

describe('swapClasses (live = positive, for FAS TPR@FPR)', () => {
  it('keeps AUC and swaps the roles of the classes', () => {
    const ranked = rankScores(HAND_SCORES, HAND_LABELS);
    const swapped = swapClasses(ranked);
    expect(rocAuc(swapped)).toBe(rocAuc(ranked));
    expect(swapped.nFake).toBe(ranked.nReal);
    expect(swapClasses(swapped)).toEqual(ranked);
  });

  it('live TPR at 1% attack FPR differs from fake TPR at 1% real FPR when the tails differ', () => {
    // One real scores above every fake, but the lowest fake is above every other real.
    const ranked = rankScores([0.95, 0.9, 0.8, 0.7, 0.1, 0.2, 0.3], [0, 1, 1, 1, 0, 0, 0]);
    expect(tprAtFpr(ranked, 0.01)).toBe(0); // the top real must be flagged before any fake is caught
    expect(tprAtFpr(swapClasses(ranked), 0.01)).toBe(0.75); // 3 of 4 reals accepted before any fake is
  });
});

describe('invalid input', () => {
  it('a single-class test set is a SingleClassTestSet error, not NaN', () => {
    expect(() => rankScores([0.1, 0.9], [1, 1])).toThrow(SingleClassTestSet);
    expect(() => rankScores([0.1, 0.9], [0, 0])).toThrow(/all 2 items are real/);
    expect(() => rankScores([0.1, 0.9], [0, 0])).toThrow(InvalidConfig);
  });

  it('empty input, NaN or infinite scores, bad labels and length mismatches are InvalidConfig', () => {
    expect(() => rankScores([], [])).toThrow(/empty/);
    expect(() => rankScores([0.1, NaN], [0, 1])).toThrow(/item 1 is NaN/);
    expect(() => rankScores([0.1, Infinity], [0, 1])).toThrow(InvalidConfig);
    expect(() => rankScores([0.1, 0.2], [0, 2])).toThrow(/labels are 1 \(fake\) or 0 \(real\)/);
    expect(() => rankScores([0.1, 0.2], [0])).toThrow(/2 scores but 1 labels/);
    expect(() => tprAtFpr(rankScores([0.1, 0.2], [0, 1]), 1.5)).toThrow(InvalidConfig);
  });
});
