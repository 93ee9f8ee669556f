/**
 * Step bookkeeping and the learning-rate schedule (the reference's util/lr_sched.adjust_learning_rate):
 *   epoch < warmup:  lr = peak · epoch / warmup
 *   otherwise:       lr = min + (peak − min) · (1 + cos(π · (epoch − warmup) / (epochs − warmup))) / 2
 * where `epoch` is fractional: set at the first forward pass of every optimizer step to
 * epoch + batchInEpoch / batchesPerEpoch (a per-iteration, not per-epoch, schedule).
 */
import { InvalidConfig } from '../errors.js';

export interface LrSchedule {
  peakLr: number;
  minLr: number;
  warmupEpochs: number;
  epochs: number;
}

/** lr at a fractional epoch. */
export function learningRate(epoch: number, s: LrSchedule): number {
  if (epoch < s.warmupEpochs) return (s.peakLr * epoch) / s.warmupEpochs;
  const progress = (epoch - s.warmupEpochs) / (s.epochs - s.warmupEpochs);
  return s.minLr + ((s.peakLr - s.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/**
 * How a run's data order maps to optimizer steps. Batches are whole (the reference's drop_last); an epoch
 * uses only whole accumulation cycles, so the last `batchesPerEpoch % accumIter` batches of an epoch are
 * skipped rather than carried into the next epoch's first step.
 */
export interface StepPlan {
  numFaces: number;
  batchSize: number;
  accumIter: number;
  batchesPerEpoch: number;
  stepsPerEpoch: number;
  epochs: number;
  totalSteps: number;
}

export function stepPlan(numFaces: number, o: { batchSize: number; accumIter: number; epochs: number }): StepPlan {
  const batchesPerEpoch = Math.floor(numFaces / o.batchSize);
  const stepsPerEpoch = Math.floor(batchesPerEpoch / o.accumIter);
  if (stepsPerEpoch < 1) {
    throw new InvalidConfig(
      `${numFaces} pretraining faces make no optimizer step: one needs batchSize × accumIter = ${o.batchSize * o.accumIter} faces`,
    );
  }
  return { numFaces, batchSize: o.batchSize, accumIter: o.accumIter, batchesPerEpoch, stepsPerEpoch, epochs: o.epochs, totalSteps: stepsPerEpoch * o.epochs };
}

/** Where optimizer step `step` (0-based) starts in the data order, and its fractional epoch for the lr. */
export function stepPosition(plan: StepPlan, step: number): { epoch: number; batchInEpoch: number; epochFloat: number } {
  const epoch = Math.floor(step / plan.stepsPerEpoch);
  const batchInEpoch = (step % plan.stepsPerEpoch) * plan.accumIter;
  return { epoch, batchInEpoch, epochFloat: epoch + batchInEpoch / plan.batchesPerEpoch };
}
