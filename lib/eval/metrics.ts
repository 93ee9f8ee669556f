/**
 * Threshold-free and threshold metrics over a `RankedScores` (see roc.ts for the convention: score = P(fake),
 * fake = 1 = positive, an item is called fake when score >= threshold).
 *
 * Error rates in FAS terms, for that convention:
 *   FAR (false acceptance) = attacks/fakes accepted as real = fakes with score <  t, over fakes  (= FNR = 1 - TPR)
 *   FRR (false rejection)  = real faces rejected as fake    = reals with score >= t, over reals (= FPR)
 *   HTER = (FAR + FRR) / 2 = 1 - balanced accuracy at t.
 * The reference (P(real), real = 1, accept when P(real) >= t) defines FAR/FRR the same way; only its tie rule at the
 * exact threshold value differs (a score equal to t counts as real there, as fake here).
 */
import { InvalidConfig } from '../errors.js';
import { TARGET_FPR } from './options.js';
import type { RankedScores } from './roc.js';

/**
 * ROC AUC, exact: the Mann-Whitney U statistic over (fake, real) pairs with ties counting 1/2, divided by
 * nFake * nReal. Equals the trapezoidal area under `rocCurve` (tied scores form one diagonal step).
 */
export function rocAuc(ranked: RankedScores): number {
  let fakeAbove = 0;
  let pairsWon = 0;
  for (let g = 0; g < ranked.thresholds.length; g++) {
    pairsWon += ranked.real[g] * (fakeAbove + ranked.fake[g] / 2);
    fakeAbove += ranked.fake[g];
  }
  return pairsWon / (ranked.nFake * ranked.nReal);
}

/**
 * Average precision as sklearn's average_precision_score: sum over distinct thresholds (highest first) of
 * (recall_k - recall_{k-1}) * precision_k, a step-wise sum with no interpolation; tied scores are one step.
 */
export function averagePrecision(ranked: RankedScores): number {
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (let g = 0; g < ranked.thresholds.length; g++) {
    tp += ranked.fake[g];
    fp += ranked.real[g];
    // Summing fake * precision and dividing once keeps a perfect ranking at exactly 1.
    if (ranked.fake[g] > 0) ap += ranked.fake[g] * (tp / (tp + fp));
  }
  return ap / ranked.nFake;
}

export interface EqualErrorRate {
  /** The rate where FPR = FNR, linearly interpolated on the ROC segment that crosses FPR = FNR (as the reference's brentq on interp1d). */
  eer: number;
  /**
   * A score that realises the operating point nearest the crossing: the ROC vertex with the smallest |FPR - FNR|
   * (ties: the higher threshold, as the reference's grid search). Always one of the scores, never +Infinity;
   * thresholding at it gives `fpr` and `fnr`. An interpolated point of the ROC is not reachable by any threshold,
   * so this is the threshold that HTER "at the EER threshold" uses.
   */
  threshold: number;
  /** FPR (= FRR) at `threshold`. */
  fpr: number;
  /** FNR (= FAR) at `threshold`. */
  fnr: number;
}

export function equalErrorRate(ranked: RankedScores): EqualErrorRate {
  // d = FPR - FNR = FPR + TPR - 1 rises strictly from -1 (origin) to +1 (all called fake) along the ROC.
  let prevFpr = 0;
  let prevTpr = 0;
  let prevThreshold = Number.POSITIVE_INFINITY;
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < ranked.thresholds.length; g++) {
    if (ranked.fake[g] === 0 && ranked.real[g] === 0) continue;
    tp += ranked.fake[g];
    fp += ranked.real[g];
    const fpr = fp / ranked.nReal;
    const tpr = tp / ranked.nFake;
    const d = fpr + tpr - 1;
    if (d >= 0) {
      const prevD = prevFpr + prevTpr - 1;
      const along = d === 0 ? 1 : -prevD / (d - prevD);
      const eer = prevFpr + along * (fpr - prevFpr);
      const takePrev = Number.isFinite(prevThreshold) && d !== 0 && -prevD <= d;
      return takePrev
        ? { eer, threshold: prevThreshold, fpr: prevFpr, fnr: 1 - prevTpr }
        : { eer, threshold: ranked.thresholds[g], fpr, fnr: 1 - tpr };
    }
    prevFpr = fpr;
    prevTpr = tpr;
    prevThreshold = ranked.thresholds[g];
  }
  // Unreachable for a valid ranking: the last vertex is (1, 1), where d = 1.
  throw new InvalidConfig('equalErrorRate: the ROC never reaches FPR = FNR (ranking has no real or no fake items)');
}

/** Rates when items with score >= threshold are called fake. */
export interface ThresholdRates {
  threshold: number;
  /** Fakes called fake / fakes. */
  tpr: number;
  /** Reals called fake / reals (= FRR). */
  fpr: number;
}

export function ratesAtThreshold(ranked: RankedScores, threshold: number): ThresholdRates {
  if (Number.isNaN(threshold)) throw new InvalidConfig('threshold is NaN');
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < ranked.thresholds.length && ranked.thresholds[g] >= threshold; g++) {
    tp += ranked.fake[g];
    fp += ranked.real[g];
  }
  return { threshold, tpr: tp / ranked.nFake, fpr: fp / ranked.nReal };
}

/** (TPR + TNR) / 2 with items of score >= threshold called fake; the paper reads it at 0.5. */
export function balancedAccuracy(ranked: RankedScores, threshold = 0.5): number {
  const { tpr, fpr } = ratesAtThreshold(ranked, threshold);
  return (tpr + (1 - fpr)) / 2;
}

export interface HalfTotalErrorRate {
  hter: number;
  /** Fakes (attacks) accepted as real: score < threshold. */
  far: number;
  /** Real faces rejected as fake: score >= threshold. */
  frr: number;
  threshold: number;
}

/** HTER = (FAR + FRR) / 2 at a threshold on P(fake); see the file comment for FAR/FRR in this convention. */
export function halfTotalErrorRate(ranked: RankedScores, threshold: number): HalfTotalErrorRate {
  const { tpr, fpr } = ratesAtThreshold(ranked, threshold);
  const far = 1 - tpr;
  const frr = fpr;
  return { hter: (far + frr) / 2, far, frr, threshold };
}

/** HTER at the EER threshold of the same scores, as the FAS protocol (and the reference) reports it. */
export function hterAtEer(ranked: RankedScores): HalfTotalErrorRate {
  const { threshold } = equalErrorRate(ranked);
  return halfTotalErrorRate(ranked, threshold);
}

/**
 * TPR at FPR = targetFpr.
 * - 'step' (default, conservative; the reference's `tpr[fpr <= 0.01][-1]`): the best TPR among ROC vertices with
 *   FPR <= target, i.e. what an actual threshold achieves without exceeding the FPR budget.
 * - 'interpolated': the ROC read by linear interpolation at FPR = target (>= the step value).
 */
export function tprAtFpr(ranked: RankedScores, targetFpr = TARGET_FPR, mode: 'step' | 'interpolated' = 'step'): number {
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new InvalidConfig(`targetFpr must be in [0, 1], got ${targetFpr}`);
  let tp = 0;
  let fp = 0;
  let bestTpr = 0;
  let bestFpr = 0;
  for (let g = 0; g < ranked.thresholds.length; g++) {
    if (ranked.fake[g] === 0 && ranked.real[g] === 0) continue;
    tp += ranked.fake[g];
    fp += ranked.real[g];
    const fpr = fp / ranked.nReal;
    const tpr = tp / ranked.nFake;
    if (fpr <= targetFpr) {
      bestTpr = tpr;
      bestFpr = fpr;
      continue;
    }
    if (mode === 'step') return bestTpr;
    return bestTpr + ((targetFpr - bestFpr) / (fpr - bestFpr)) * (tpr - bestTpr);
  }
  return bestTpr;
}

/**
 * The same items with the classes' roles swapped: real = positive, ranked by -score (= by P(real)). Gives the FAS
 * literature's TPR@FPR (live faces accepted at a given rate of attacks accepted) from P(fake) scores.
 */
export function swapClasses(ranked: RankedScores): RankedScores {
  const n = ranked.thresholds.length;
  const thresholds = new Float64Array(n);
  const fake = new Float64Array(n);
  const real = new Float64Array(n);
  for (let g = 0; g < n; g++) {
    thresholds[g] = -ranked.thresholds[n - 1 - g];
    fake[g] = ranked.real[n - 1 - g];
    real[g] = ranked.fake[n - 1 - g];
  }
  return { thresholds, fake, real, nFake: ranked.nReal, nReal: ranked.nFake };
}

/** The metrics reported per level (frame, video); every one is in [0, 1]. */
export interface BinaryMetrics {
  auc: number;
  eer: number;
  eerThreshold: number;
  ap: number;
  balancedAccuracy: number;
  /** Fake = positive: share of fakes caught when at most 1% of reals are flagged (step value). */
  tprAtFpr1pct: number;
  /** HTER at `eerThreshold`. */
  hterAtEer: number;
}

export function binaryMetrics(ranked: RankedScores, accuracyThreshold = 0.5): BinaryMetrics {
  const eer = equalErrorRate(ranked);
  return {
    auc: rocAuc(ranked),
    eer: eer.eer,
    eerThreshold: eer.threshold,
    ap: averagePrecision(ranked),
    balancedAccuracy: balancedAccuracy(ranked, accuracyThreshold),
    tprAtFpr1pct: tprAtFpr(ranked, TARGET_FPR, 'step'),
    hterAtEer: (eer.fpr + eer.fnr) / 2,
  };
}
