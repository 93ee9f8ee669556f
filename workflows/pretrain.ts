import { ApplicationFailure, isCancellation, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { GpuActivities } from '../activities';
import type { LossPoint, PretrainInput, PretrainProgressState, PretrainResult } from '../lib/config/pretrain';
import { applyTrainingReport, etaSeconds, markStage, progressQuery, trainingActivityOptions, trainingProgressSignal, validated } from './common';
import { FsfmModel } from './search-attributes';

const MAX_HISTORY = 2000;

/**
 * FSFM pretraining as a chain of long activities on the fsfm-gpu queue, each training up to `stepsPerActivity`
 * optimizer steps from the newest committed checkpoint. A dead worker's activity times out on its heartbeat and
 * is retried on another worker, which resumes from the last checkpoint; the loss history lives here, queryable.
 */
export async function Pretrain(rawInput: PretrainInput): Promise<PretrainResult> {
  const state: PretrainProgressState = { stage: 'pretrain', status: 'running', runId: '', step: 0, totalSteps: 0, loss: null, checkpointKey: null, etaS: null, lossHistory: [] };
  setHandler(progressQuery, () => ({ ...state, lossHistory: state.lossHistory }));
  const input = await validated<PretrainInput>('Pretrain', rawInput);
  state.runId = input.runId ?? workflowInfo().workflowId;
  const preset = input.config.model.preset;
  upsertSearchAttributes([{ key: FsfmModel, value: typeof preset === 'string' ? preset : 'custom' }]);

  const { pretrainChunk } = proxyActivities<GpuActivities>(trainingActivityOptions(input.heartbeatTimeoutS));

  const limit = input.config.maxSteps;
  // Live step/loss/ETA between chunk results come from the running activity's reports (lib/config/signals.ts).
  setHandler(trainingProgressSignal, (report) => applyTrainingReport(state, report, limit));
  const startedMs = Date.now();
  let startStep: number | null = null;
  let chunks = 0;
  let result: Awaited<ReturnType<typeof pretrainChunk>> | undefined;
  markStage('pretrain', 'running', `pretraining run ${state.runId}`);
  try {
    for (;;) {
      const untilStep = Math.min(limit ?? Number.MAX_SAFE_INTEGER, state.step + input.stepsPerActivity);
      result = await pretrainChunk({ runId: state.runId, config: input.config, untilStep, progressIntervalS: input.progressIntervalS });
      chunks++;
      startStep ??= result.resumedFromStep ?? 0;
      state.step = result.step;
      state.totalSteps = limit ? Math.min(limit, result.totalSteps) : result.totalSteps;
      state.checkpointKey = result.checkpointKey;
      state.lossHistory = appendHistory(state.lossHistory, result.history);
      state.loss = state.lossHistory.at(-1)?.loss ?? null;
      state.etaS = etaSeconds(state.step, startStep, state.totalSteps, startedMs);
      markStage('pretrain', 'running', `step ${state.step}/${state.totalSteps}, loss ${state.loss?.toFixed(4) ?? '-'}, checkpoint ${state.checkpointKey ?? '-'}`);
      if (result.status === 'completed' || state.step >= state.totalSteps) break;
    }
  } catch (err) {
    state.status = isCancellation(err) ? 'cancelled' : 'failed';
    markStage('pretrain', 'failed', `${state.status} at step ${state.step}: ${(err as Error).message}`);
    throw err;
  }
  if (!result) throw ApplicationFailure.nonRetryable('pretraining ran no step', 'InvalidConfig');
  state.status = 'completed';
  state.etaS = 0;
  markStage('pretrain', 'completed', `done: step ${state.step}, checkpoint ${state.checkpointKey}`);
  return {
    runId: state.runId,
    checkpointKey: state.checkpointKey,
    step: state.step,
    totalSteps: state.totalSteps,
    backend: result.backend,
    normalization: result.normalization,
    chunks,
    resumedFromStep: result.resumedFromStep,
    lossHistory: state.lossHistory,
  };
}

function appendHistory(history: LossPoint[], more: LossPoint[]): LossPoint[] {
  const merged = [...history.filter((h) => h.step < (more[0]?.step ?? Infinity)), ...more];
  if (merged.length <= MAX_HISTORY) return merged;
  // Thin the older half so the recent curve keeps its detail.
  const half = Math.floor(merged.length / 2);
  return [...merged.slice(0, half).filter((_, i) => i % 2 === 0), ...merged.slice(half)];
}
