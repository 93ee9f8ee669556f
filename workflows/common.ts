import { ApplicationFailure, defineQuery, defineSignal, type ActivityOptions, proxyLocalActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CpuActivities } from '../activities';
import { TRAINING_PROGRESS_SIGNAL, type TrainingProgressReport } from '../lib/config/signals';
import { FsfmStage, FsfmStatus } from './search-attributes';

import { TASK_QUEUE_CPU, TASK_QUEUE_GPU } from './task-queues';

export { TASK_QUEUE_CPU, TASK_QUEUE_GPU };

/** The GPU queue that pairs with the queue this workflow runs on (keeps a test queue's suffix). Call inside a workflow. */
export function gpuQueue(): string {
  const q = workflowInfo().taskQueue;
  return q.startsWith(TASK_QUEUE_CPU) ? TASK_QUEUE_GPU + q.slice(TASK_QUEUE_CPU.length) : TASK_QUEUE_GPU;
}

const { validateInput } = proxyLocalActivities<Pick<CpuActivities, 'validateInput'>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
});

/** Validates the raw input (schema + defaults) before any work; an invalid input fails the workflow here. */
export async function validated<T>(workflow: string, raw: unknown): Promise<T> {
  try {
    return (await validateInput(workflow, raw)) as T;
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause;
    throw ApplicationFailure.nonRetryable(cause?.message ?? (err as Error).message, 'InvalidConfig');
  }
}

export function markStage(stage: string, status: 'running' | 'completed' | 'failed', details?: string): void {
  upsertSearchAttributes([
    { key: FsfmStage, value: stage },
    { key: FsfmStatus, value: status },
  ]);
  if (details !== undefined) setCurrentDetails(details);
}

export const progressQuery = defineQuery<Record<string, unknown>>('progress');

/** The running training activity's reports (activities/train.ts progressRelay); see TrainingProgressReport. */
export const trainingProgressSignal = defineSignal<[TrainingProgressReport]>(TRAINING_PROGRESS_SIGNAL);

/**
 * Applies a live report to a training workflow's progress state: step, loss, checkpoint and ETA (at the reported
 * rate). Reports never move the state backwards: one older than what is shown (a late signal, or a retried
 * attempt that resumed from an earlier checkpoint and has not caught up yet) is ignored.
 */
export function applyTrainingReport(
  state: { status: string; step: number; totalSteps: number; loss: number | null; etaS: number | null; checkpointKey?: string | null },
  report: TrainingProgressReport,
  stepLimit: number | null | undefined,
): void {
  if (state.status !== 'running' || report.step < state.step) return;
  state.step = report.step;
  state.totalSteps = stepLimit ? Math.min(stepLimit, report.totalSteps) : report.totalSteps;
  if (report.loss !== null) state.loss = report.loss;
  if ('checkpointKey' in state && report.checkpointKey) state.checkpointKey = report.checkpointKey;
  if (report.secondsPerStep !== null) state.etaS = Math.max(0, Math.round((state.totalSteps - report.step) * report.secondsPerStep));
}

/**
 * Options of a chunked training activity (Pretrain, Finetune): long, heartbeating, on the paired GPU queue; a worker
 * silent for `heartbeatTimeoutS` is presumed dead and the retry resumes from the newest committed checkpoint.
 */
export function trainingActivityOptions(heartbeatTimeoutS: number): ActivityOptions {
  return {
    taskQueue: gpuQueue(),
    startToCloseTimeout: '30 days',
    heartbeatTimeout: `${heartbeatTimeoutS} seconds`,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 50, nonRetryableErrorTypes: ['InvalidConfig', 'TrainingDiverged', 'NotFound', 'IntegrityError'] },
  };
}

/** Seconds left at the rate of the steps done since `startedMs` (null until there is a rate). Call inside a workflow. */
export function etaSeconds(step: number, firstStep: number, totalSteps: number, startedMs: number): number | null {
  const rate = (step - firstStep) / Math.max(1, (Date.now() - startedMs) / 1000);
  return rate > 0 ? Math.round((totalSteps - step) / rate) : null;
}
