/**
 * scores.jsonl rows -> the metrics object written to metrics.json and read by reports.
 */
import { aggregateByVideo, validateScoreRows, type ScoreRow } from './aggregate.js';
import { bootstrapIntervals, type ConfidenceInterval } from './bootstrap.js';
import { binaryMetrics, halfTotalErrorRate, swapClasses, tprAtFpr, type BinaryMetrics } from './metrics.js';
import { LABEL_CONVENTION, TARGET_FPR, evalOptionsSchema, type EvalOptionsInput } from './options.js';
import { downsampleRoc, rankScores, rocCurve, type RankedScores, type RocPoint } from './roc.js';

export interface ScoreHistogram {
  /** bins + 1 edges over [0, 1]; bin k holds edges[k] <= score < edges[k+1], the last bin also holds 1. */
  binEdges: number[];
  real: number[];
  fake: number[];
}

/** Metrics that get a confidence interval: every rate (a threshold is not a rate, so eerThreshold has none). */
export type CiMetric = Exclude<keyof BinaryMetrics, 'eerThreshold'>;

export interface LevelMetrics extends BinaryMetrics {
  n: number;
  nReal: number;
  nFake: number;
  /** The threshold on P(fake) used for balancedAccuracy. */
  accuracyThreshold: number;
  /** Percentile bootstrap CIs of the rates (stratified resampling of this level's items); null when replicates = 0. */
  ci: Record<CiMetric, ConfidenceInterval> | null;
  /** The ROC thinned for drawing (metrics above use the full curve). */
  roc: RocPoint[];
  histogram: ScoreHistogram;
}

/** Face anti-spoofing figures, at video level (the FAS protocol averages each video's frame scores). */
export interface FasMetrics {
  level: 'video';
  auc: number;
  /** HTER at the EER threshold of the same test set (the FAS protocol; the reference does the same). */
  hter: number;
  /** Threshold on P(fake) used for hter (score >= it = attack); equals video.eerThreshold. */
  hterThreshold: number;
  /** Attacks accepted as real at hterThreshold. */
  far: number;
  /** Real faces rejected at hterThreshold. */
  frr: number;
  eer: number;
  /**
   * TPR@FPR=1% as the FAS literature and the reference report it, i.e. with live (real) faces as the positive class:
   * share of real videos accepted when at most 1% of attack videos are accepted (step value). Not the same number as
   * video.tprAtFpr1pct, whose positive class is fake.
   */
  liveTprAtAttackFpr1pct: number;
  ci: { auc: ConfidenceInterval; hter: ConfidenceInterval; liveTprAtAttackFpr1pct: ConfidenceInterval } | null;
}

export interface EvalMetrics {
  labelConvention: typeof LABEL_CONVENTION;
  frame: LevelMetrics;
  video: LevelMetrics;
  fas: FasMetrics;
  bootstrap: { replicates: number; seed: number; confidence: number; method: string };
}

// Frame-level resampling treats frames as independent; frames of one video are correlated, so those intervals are
// narrower than a resampling of videos would give. Video-level intervals resample whole videos.
const BOOTSTRAP_METHOD =
  'percentile; resampling stratified by class; frames for frame level (treated as independent), videos for video level';

function histogram(scores: readonly number[], labels: readonly number[], bins: number): ScoreHistogram {
  const binEdges = Array.from({ length: bins + 1 }, (_, k) => k / bins);
  const real = new Array<number>(bins).fill(0);
  const fake = new Array<number>(bins).fill(0);
  scores.forEach((score, i) => {
    const bin = Math.min(Math.floor(score * bins), bins - 1);
    (labels[i] === 1 ? fake : real)[bin] += 1;
  });
  return { binEdges, real, fake };
}

function splitLive<T>({ liveTprAtAttackFpr1pct, ...binary }: Record<CiMetric | 'liveTprAtAttackFpr1pct', T>) {
  return { live: liveTprAtAttackFpr1pct, binary: binary as Record<CiMetric, T> };
}

function liveTprAtAttackFpr1pct(ranked: RankedScores): number {
  return tprAtFpr(swapClasses(ranked), TARGET_FPR, 'step');
}

/** All metrics of one test set. Throws InvalidConfig on empty/NaN/out-of-range input, SingleClassTestSet on one class. */
export function evaluateScores(rows: readonly ScoreRow[], options: EvalOptionsInput = {}): EvalMetrics {
  const opts = evalOptionsSchema.parse(options);
  validateScoreRows(rows);
  const withCi = opts.bootstrap.replicates > 0;

  const level = (scores: number[], labels: number[], what: string) => {
    const ranked = rankScores(scores, labels, what);
    // One bootstrap pass per level; the live-positive TPR rides along for the FAS block.
    const statistic = (r: RankedScores) => {
      const { eerThreshold: _threshold, ...rates } = binaryMetrics(r, opts.accuracyThreshold);
      return { ...rates, liveTprAtAttackFpr1pct: liveTprAtAttackFpr1pct(r) };
    };
    const point = binaryMetrics(ranked, opts.accuracyThreshold);
    const ci = withCi ? splitLive(bootstrapIntervals(scores, labels, statistic, opts.bootstrap)) : null;
    const metrics: LevelMetrics = {
      n: scores.length,
      nReal: ranked.nReal,
      nFake: ranked.nFake,
      ...point,
      accuracyThreshold: opts.accuracyThreshold,
      ci: ci?.binary ?? null,
      roc: downsampleRoc(rocCurve(ranked), opts.rocMaxPoints),
      histogram: histogram(scores, labels, opts.histogramBins),
    };
    return { ranked, metrics, liveTpr: liveTprAtAttackFpr1pct(ranked), liveTprCi: ci?.live ?? null };
  };

  const frame = level(
    rows.map((r) => r.score),
    rows.map((r) => (r.label === 'fake' ? 1 : 0)),
    'frame-level scores',
  );
  const videos = aggregateByVideo(rows);
  const video = level(
    videos.map((v) => v.score),
    videos.map((v) => (v.label === 'fake' ? 1 : 0)),
    'video-level scores',
  );

  const v = video.metrics;
  const { far, frr } = halfTotalErrorRate(video.ranked, v.eerThreshold);
  const fas: FasMetrics = {
    level: 'video',
    auc: v.auc,
    hter: v.hterAtEer,
    hterThreshold: v.eerThreshold,
    far,
    frr,
    eer: v.eer,
    liveTprAtAttackFpr1pct: video.liveTpr,
    ci:
      v.ci && video.liveTprCi
        ? { auc: v.ci.auc, hter: v.ci.hterAtEer, liveTprAtAttackFpr1pct: video.liveTprCi }
        : null,
  };

  return {
    labelConvention: LABEL_CONVENTION,
    frame: frame.metrics,
    video: v,
    fas,
    bootstrap: { ...opts.bootstrap, method: BOOTSTRAP_METHOD },
  };
}
