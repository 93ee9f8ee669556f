/**
 * Bootstrap confidence intervals for ranking metrics.
 *
 * Resampling is stratified by class (nFake fakes and nReal reals drawn with replacement from their own class), so no
 * replicate is single-class and every replicate has the test set's class balance; the interval is the percentile
 * interval of the replicate values. A resample is a multiset of the original items, so a replicate only re-weights
 * the distinct-score groups found once: O(n) per replicate, no sort.
 */
import { InvalidConfig } from '../errors.js';
import type { BootstrapOptions } from './options.js';
import { indexScores, validateScoresAndLabels, type RankedScores } from './roc.js';

/** mulberry32: a small, fast, seedable generator of uniform numbers in [0, 1); equal seeds give equal streams. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ConfidenceInterval {
  low: number;
  high: number;
}

/** Percentile interval with linear interpolation between order statistics (numpy's default quantile). */
export function percentileInterval(values: ArrayLike<number>, confidence: number): ConfidenceInterval {
  if (values.length === 0) throw new InvalidConfig('percentileInterval: no values');
  if (!(confidence > 0 && confidence < 1)) throw new InvalidConfig(`confidence must be in (0, 1), got ${confidence}`);
  const sorted = Float64Array.from(values).sort();
  const alpha = (1 - confidence) / 2;
  return { low: quantileSorted(sorted, alpha), high: quantileSorted(sorted, 1 - alpha) };
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/**
 * Percentile CIs of every number `statistic` returns, over `replicates` stratified resamples of the items
 * (items = frames for frame-level metrics; pass per-video scores to resample videos).
 */
export function bootstrapIntervals<K extends string>(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  statistic: (ranked: RankedScores) => Record<K, number>,
  options: BootstrapOptions,
): Record<K, ConfidenceInterval> {
  validateScoresAndLabels(scores, labels, 'bootstrap');
  if (options.replicates < 1) throw new InvalidConfig('bootstrap needs at least 1 replicate');
  const { thresholds, groupOf } = indexScores(scores);
  const fakeItems: number[] = [];
  const realItems: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? fakeItems : realItems).push(i);

  const rng = createRng(options.seed);
  const fake = new Float64Array(thresholds.length);
  const real = new Float64Array(thresholds.length);
  const ranked: RankedScores = { thresholds, fake, real, nFake: fakeItems.length, nReal: realItems.length };
  const samples = new Map<K, Float64Array>();
  for (let r = 0; r < options.replicates; r++) {
    fake.fill(0);
    real.fill(0);
    for (let j = 0; j < fakeItems.length; j++) fake[groupOf[fakeItems[Math.floor(rng() * fakeItems.length)]]] += 1;
    for (let j = 0; j < realItems.length; j++) real[groupOf[realItems[Math.floor(rng() * realItems.length)]]] += 1;
    const values = statistic(ranked);
    for (const key of Object.keys(values) as K[]) {
      let column = samples.get(key);
      if (!column) samples.set(key, (column = new Float64Array(options.replicates)));
      column[r] = values[key];
    }
  }
  const intervals = {} as Record<K, ConfidenceInterval>;
  for (const [key, column] of samples) intervals[key] = percentileInterval(column, options.confidence);
  return intervals;
}

/**
 * True when an AUC's confidence interval reaches down to 0.5 (or lower): the detector is not shown to be
 * better than chance on that test set, whatever its point estimate. The report and the CLI say so in words.
 */
export function notBetterThanChance(aucCi: ConfidenceInterval | null | undefined): boolean {
  return aucCi !== null && aucCi !== undefined && aucCi.low <= 0.5;
}

export const CHANCE_FLAG = 'not better than chance';
