/**
 * Scores ranked by distinct value, and the ROC curve over them.
 *
 * Convention (fsfm-method.md §7): score = P(fake), label 1 = fake = the positive class. An item is called fake when
 * score >= threshold (as sklearn's roc_curve and the reference's `probs >= thr`).
 *
 * Every threshold metric walks one `RankedScores`: items with equal scores share one entry, so tied scores form one
 * step of the ROC (a diagonal segment when the tie mixes classes), never an order-dependent staircase.
 */
import { InvalidConfig, SingleClassTestSet } from '../errors.js';

/** Label of one item: 1 = fake (positive), 0 = real. */
export type BinaryLabel = 0 | 1;

export interface RankedScores {
  /** Distinct scores, highest first. */
  readonly thresholds: Float64Array;
  /** Fake items (or bootstrap weight of fake items) at each distinct score. */
  readonly fake: Float64Array;
  /** Real items (or bootstrap weight of real items) at each distinct score. */
  readonly real: Float64Array;
  readonly nFake: number;
  readonly nReal: number;
}

/**
 * ROC vertices, one per distinct score plus the origin. thresholds[0] = +Infinity (nothing called fake), as sklearn;
 * fpr and tpr are non-decreasing.
 */
export interface RocCurve {
  readonly fpr: number[];
  readonly tpr: number[];
  readonly thresholds: number[];
}

/** Checks scores and labels; `what` names the input in error messages. */
export function validateScoresAndLabels(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  what = 'scores',
): void {
  if (scores.length !== labels.length) {
    throw new InvalidConfig(`${what}: ${scores.length} scores but ${labels.length} labels`);
  }
  if (scores.length === 0) throw new InvalidConfig(`${what}: no items to evaluate (empty input)`);
  let nFake = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new InvalidConfig(`${what}: score of item ${i} is ${scores[i]}; every score must be a finite number`);
    }
    const label = labels[i];
    if (label !== 0 && label !== 1) {
      throw new InvalidConfig(`${what}: label of item ${i} is ${label}; labels are 1 (fake) or 0 (real)`);
    }
    nFake += label;
  }
  const nReal = scores.length - nFake;
  if (nFake === 0 || nReal === 0) {
    throw new SingleClassTestSet(
      `${what}: all ${scores.length} items are ${nFake === 0 ? 'real' : 'fake'}; ` +
        'AUC, EER and AP need at least one real and one fake item',
    );
  }
}

/** Index of each item's distinct score in `thresholds` (highest score first), shared by the bootstrap. */
export interface ScoreIndex {
  readonly thresholds: Float64Array;
  /** groupOf[i] = position of scores[i] in thresholds. */
  readonly groupOf: Int32Array;
}

export function indexScores(scores: ArrayLike<number>): ScoreIndex {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const groupOf = new Int32Array(scores.length);
  const distinct: number[] = [];
  for (const i of order) {
    // -0 and 0 are one score: compare with ===, not Object.is.
    if (distinct.length === 0 || distinct[distinct.length - 1] !== scores[i]) distinct.push(scores[i]);
    groupOf[i] = distinct.length - 1;
  }
  return { thresholds: Float64Array.from(distinct), groupOf };
}

/** Groups items by distinct score. Throws InvalidConfig / SingleClassTestSet on unusable input, never returns NaN-prone data. */
export function rankScores(scores: ArrayLike<number>, labels: ArrayLike<number>, what = 'scores'): RankedScores {
  validateScoresAndLabels(scores, labels, what);
  const { thresholds, groupOf } = indexScores(scores);
  const fake = new Float64Array(thresholds.length);
  const real = new Float64Array(thresholds.length);
  let nFake = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] === 1) {
      fake[groupOf[i]] += 1;
      nFake += 1;
    } else {
      real[groupOf[i]] += 1;
    }
  }
  return { thresholds, fake, real, nFake, nReal: scores.length - nFake };
}

/** ROC vertices in threshold order (descending); entries with zero weight (possible in a bootstrap) add no vertex. */
export function rocCurve(ranked: RankedScores): RocCurve {
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Number.POSITIVE_INFINITY];
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < ranked.thresholds.length; g++) {
    if (ranked.fake[g] === 0 && ranked.real[g] === 0) continue;
    tp += ranked.fake[g];
    fp += ranked.real[g];
    fpr.push(fp / ranked.nReal);
    tpr.push(tp / ranked.nFake);
    thresholds.push(ranked.thresholds[g]);
  }
  return { fpr, tpr, thresholds };
}

/** A ROC point for reports; threshold null stands for +Infinity (JSON has no Infinity). */
export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number | null;
}

/**
 * Thins a ROC to at most `maxPoints` vertices for drawing: collinear middle vertices go first (they change nothing),
 * then vertices are kept evenly along the curve's length (|dFPR| + |dTPR|). The first and last vertices always stay.
 */
export function downsampleRoc(roc: RocCurve, maxPoints: number): RocPoint[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new InvalidConfig(`maxPoints must be an integer >= 2, got ${maxPoints}`);
  const n = roc.fpr.length;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && i < n - 1) {
      const cross =
        (roc.fpr[i] - roc.fpr[keep[keep.length - 1]]) * (roc.tpr[i + 1] - roc.tpr[i]) -
        (roc.tpr[i] - roc.tpr[keep[keep.length - 1]]) * (roc.fpr[i + 1] - roc.fpr[i]);
      if (Math.abs(cross) < 1e-15) continue;
    }
    keep.push(i);
  }
  let chosen = keep;
  if (keep.length > maxPoints) {
    const cumulative = [0];
    for (let k = 1; k < keep.length; k++) {
      const a = keep[k - 1];
      const b = keep[k];
      cumulative.push(cumulative[k - 1] + Math.abs(roc.fpr[b] - roc.fpr[a]) + Math.abs(roc.tpr[b] - roc.tpr[a]));
    }
    const total = cumulative[cumulative.length - 1];
    chosen = [keep[0]];
    let k = 1;
    for (let s = 1; s < maxPoints - 1; s++) {
      const target = (total * s) / (maxPoints - 1);
      while (k < keep.length - 1 && cumulative[k] < target) k++;
      if (k < keep.length - 1 && keep[k] !== chosen[chosen.length - 1]) chosen.push(keep[k]);
    }
    chosen.push(keep[keep.length - 1]);
  }
  return chosen.map((i) => ({
    fpr: roc.fpr[i],
    tpr: roc.tpr[i],
    threshold: Number.isFinite(roc.thresholds[i]) ? roc.thresholds[i] : null,
  }));
}
