import { isCancellation, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { GpuActivities } from '../activities';
import type { FinetuneEpoch, FinetuneInput, FinetuneResult } from '../lib/config/finetune';
import { applyTrainingReport, etaSeconds, markStage, progressQuery, trainingActivityOptions, trainingProgressSignal, validated } from './common';
import { FsfmModel } from './search-attributes';

/**
 * Finetuning for one task (DfD, DiFF or FAS) as a chain of long activities on fsfm-gpu, like Pretrain: each trains
 * up to `stepsPerActivity` optimizer steps from the newest committed checkpoint, so a dead worker costs at most the
 * steps since the last checkpoint. The selected model (lowest source-validation loss) is what Evaluate scores.
 */
export async function Finetune(rawInput: FinetuneInput): Promise<FinetuneResult> {
  const state = { stage: 'finetune', status: 'running', runId: '', step: 0, totalSteps: 0, loss: null as number | null, bestKey: null as string | null, bestValLoss: null as number | null, etaS: null as number | null, history: [] as FinetuneEpoch[] };
  setHandler(progressQuery, () => ({ ...state }));
  const input = await validated<FinetuneInput>('Finetune', rawInput);
  state.runId = input.runId ?? workflowInfo().workflowId;
  const preset = (input.config.model as { preset?: unknown }).preset;
  upsertSearchAttributes([{ key: FsfmModel, value: `${input.config.task}-${typeof preset === 'string' ? preset : 'base'}` }]);

  const { finetuneChunk } = proxyActivities<GpuActivities>(trainingActivityOptions(input.heartbeatTimeoutS));

  const limit = input.config.maxSteps;
  // Live step/loss/ETA between chunk results come from the running activity's reports (lib/config/signals.ts).
  setHandler(trainingProgressSignal, (report) => applyTrainingReport(state, report, limit));
  const startedMs = Date.now();
  let firstStep: number | null = null;
  let r: Awaited<ReturnType<typeof finetuneChunk>> | undefined;
  markStage('finetune', 'running', `finetuning ${input.config.task} run ${state.runId}`);
  try {
    for (;;) {
      const untilStep = Math.min(limit ?? Number.MAX_SAFE_INTEGER, state.step + input.stepsPerActivity);
      r = await finetuneChunk({ runId: state.runId, config: input.config, untilStep, progressIntervalS: input.progressIntervalS });
      firstStep ??= r.resumedFromStep ?? 0;
      state.step = r.step;
      state.totalSteps = limit ? Math.min(limit, r.totalSteps) : r.totalSteps;
      state.bestKey = r.bestKey;
      state.bestValLoss = r.bestValLoss;
      state.history = r.history;
      state.etaS = etaSeconds(state.step, firstStep, state.totalSteps, startedMs);
      markStage('finetune', 'running', `step ${state.step}/${state.totalSteps}, best val loss ${state.bestValLoss?.toFixed(4) ?? '-'}`);
      if (r.status === 'completed' || state.step >= state.totalSteps) break;
    }
  } catch (err) {
    state.status = isCancellation(err) ? 'cancelled' : 'failed';
    markStage('finetune', 'failed', `${state.status} at step ${state.step}: ${(err as Error).message}`);
    throw err;
  }
  state.status = 'completed';
  state.etaS = 0;
  markStage('finetune', 'completed', `done: step ${state.step}, best ${state.bestKey ?? '-'} (val loss ${state.bestValLoss?.toFixed(4) ?? '-'})`);
  return {
    runId: state.runId,
    task: input.config.task,
    bestKey: r!.bestKey,
    bestValLoss: r!.bestValLoss,
    bestEpoch: r!.bestEpoch,
    ...(r!.bestByDomain ? { bestByDomain: r!.bestByDomain } : {}),
    selection: input.config.selection,
    lastKey: r!.lastKey,
    step: state.step,
    totalSteps: state.totalSteps,
    resumedFromStep: r!.resumedFromStep,
    backend: r!.backend,
    history: r!.history,
  };
}
