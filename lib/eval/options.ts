import { z } from 'zod';

/** Label convention of every score this module reads or reports. The reference scores P(real); AUC is unchanged by the flip. */
export const LABEL_CONVENTION = 'score = P(fake), fake = 1' as const;

/** The FPR at which `tprAtFpr1pct` is read, as in the FAS literature (TPR@FPR=1%). */
export const TARGET_FPR = 0.01;

/** Bootstrap confidence intervals (percentile method, resampling stratified by class). */
export const bootstrapOptionsSchema = z.strictObject({
  /** Resamples per interval; 0 turns confidence intervals off. */
  replicates: z.number().int().min(0).max(100_000).default(1000),
  /** Seed of the resampling RNG: equal seeds give equal intervals. */
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  /** Two-sided coverage of each interval. */
  confidence: z.number().gt(0).lt(1).default(0.95),
});
export type BootstrapOptions = z.infer<typeof bootstrapOptionsSchema>;

/** Options of `evaluateScores`; defaults follow the paper's evaluation (fsfm-method.md §7). */
export const evalOptionsSchema = z.strictObject({
  /** Threshold on P(fake) for balanced accuracy: a score >= it is called fake. */
  accuracyThreshold: z.number().min(0).max(1).default(0.5),
  bootstrap: bootstrapOptionsSchema.prefault({}),
  /** The ROC kept in metrics for reports is thinned to at most this many points (metrics use the full curve). */
  rocMaxPoints: z.number().int().min(2).max(10_000).default(200),
  /** Equal-width bins over [0, 1] for the real/fake score histograms. */
  histogramBins: z.number().int().min(1).max(1000).default(20),
});
export type EvalOptions = z.infer<typeof evalOptionsSchema>;
export type EvalOptionsInput = z.input<typeof evalOptionsSchema>;
