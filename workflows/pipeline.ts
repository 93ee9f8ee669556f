import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, log, patched, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CpuActivities } from '../activities';
import type { EvaluateResult, FinetuneResult } from '../lib/config/finetune';
import type { DatasetSpec, FsfmPipelineInput, FsfmPipelineResult, PipelineStage, StageRecord } from '../lib/config/pipeline';
import type { PrepareDatasetResult } from '../lib/config/prepare';
import type { PretrainResult } from '../lib/config/pretrain';
import { markStage, progressQuery, validated } from './common';
import { FsfmDataset, FsfmModel } from './search-attributes';

// Store outages are ridden out inside the activity (lib/store/retry.ts, heartbeating while it waits).
const { lookupStage, recordStage } = proxyActivities<CpuActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 10, initialInterval: '2 seconds' },
});

type Purpose = 'pretrain' | 'finetune' | 'test';

/**
 * The whole method from one JSON object: prepare every dataset (in parallel), pretrain on real faces, finetune on
 * the source dataset, evaluate on its test split and on every unseen test set, each stage a child workflow.
 * A stage whose cache key (its config and its inputs' digests) has a record is skipped; `force` re-runs stages.
 */
export async function FsfmPipeline(rawInput: FsfmPipelineInput): Promise<FsfmPipelineResult> {
  const wf = workflowInfo();
  const progress: { stage: string; status: string; stages: Record<string, string>; children: string[] } = { stage: 'validate', status: 'running', stages: {}, children: [] };
  setHandler(progressQuery, () => ({ ...progress }));
  const input = await validated<FsfmPipelineInput>('FsfmPipeline', rawInput);
  const runId = input.runId ?? wf.workflowId;
  const force = new Set<PipelineStage>(input.force);
  upsertSearchAttributes([{ key: FsfmDataset, value: input.datasets.train.name }, { key: FsfmModel, value: input.preset }]);
  // Prepare children are named after this run; stage children after their stage key (see cachedStage).
  const child = <R>(type: string, suffix: string, arg: unknown, sharedId?: string): Promise<R> => {
    const workflowId = sharedId ?? `${wf.workflowId}-${suffix}`;
    progress.children.push(workflowId);
    return executeChild(type, { workflowId, args: [arg] }).finally(() => {
      progress.children = progress.children.filter((c) => c !== workflowId);
    }) as Promise<R>;
  };
  const enter = (stage: PipelineStage, details: string) => {
    progress.stage = stage;
    progress.stages[stage] = 'running';
    markStage(stage, 'running', details);
  };

  try {
    // ---- prepare: one child per (dataset, purpose), all at once
    enter('prepare', 'preparing datasets');
    const jobs: Array<{ spec: DatasetSpec; purpose: Purpose }> = [
      ...input.datasets.pretrain.map((spec) => ({ spec, purpose: 'pretrain' as const })),
      { spec: input.datasets.train, purpose: 'finetune' as const },
      ...input.datasets.test.map((spec) => ({ spec, purpose: 'test' as const })),
    ];
    const prepared = await Promise.all(
      jobs.map(({ spec, purpose }) =>
        child<PrepareDatasetResult>('PrepareDataset', `prepare-${spec.name}-${purpose}`, {
          dataset: spec.dataset,
          prepare: { ...spec.prepare, purpose },
          maxVideos: spec.maxVideos,
          parallelism: input.prepare.parallelism,
          force: force.has('prepare'),
        }),
      ),
    );
    const prepareStages = prepared.map((r, i) => ({ stage: 'prepare' as const, key: r.prefix, status: r.reused ? ('cached' as const) : ('ran' as const), name: jobs[i].spec.name, purpose: jobs[i].purpose, prefix: r.prefix }));
    progress.stages.prepare = prepareStages.every((s) => s.status === 'cached') ? 'cached' : 'ran';
    const prefixesOf = (purpose: Purpose) => prepared.filter((_, i) => jobs[i].purpose === purpose).map((r) => r.prefix);
    const trainPrefix = prefixesOf('finetune')[0];

    // ---- pretrain
    enter('pretrain', 'pretraining');
    let pretrainStage: FsfmPipelineResult['stages']['pretrain'];
    if (input.pretrain.checkpoint) {
      pretrainStage = { stage: 'pretrain', key: '', status: 'skipped', checkpointKey: input.pretrain.checkpoint };
    } else {
      const config = { ...input.pretrain.config, data: { ...((input.pretrain.config.data as object) ?? {}), prepared: prefixesOf('pretrain') } };
      pretrainStage = await cachedStage('pretrain', { preset: input.preset, config }, prefixesOf('pretrain'), force, async (key, sharedId) => {
        const r = await child<PretrainResult>('Pretrain', 'pretrain', { runId: stageRunId('pretrain', key), preset: input.preset, config, stepsPerActivity: input.pretrain.stepsPerActivity, heartbeatTimeoutS: input.pretrain.heartbeatTimeoutS }, sharedId);
        return { result: r, extra: { checkpointKey: r.checkpointKey } };
      });
    }
    progress.stages.pretrain = pretrainStage.status;
    const checkpoint = pretrainStage.checkpointKey!;

    // ---- finetune
    enter('finetune', 'finetuning');
    const ftConfig = { init: { from: 'fsfm', checkpoint }, ...input.finetune.config, data: { ...((input.finetune.config.data as object) ?? {}), prepared: [trainPrefix] } };
    const ftPreset = input.finetune.preset ?? (input.preset === 'demo' ? 'demo' : 'paper');
    const finetuneStage = await cachedStage('finetune', { preset: ftPreset, config: ftConfig }, [checkpoint, trainPrefix], force, async (key, sharedId) => {
      const r = await child<FinetuneResult>('Finetune', 'finetune', { runId: stageRunId('finetune', key), preset: ftPreset, config: ftConfig, stepsPerActivity: input.finetune.stepsPerActivity, heartbeatTimeoutS: input.finetune.heartbeatTimeoutS }, sharedId);
      return { result: r, extra: { bestKey: r.bestKey } };
    });
    progress.stages.finetune = finetuneStage.status;

    // ---- evaluate: the source's own test split plus every unseen test set
    enter('evaluate', 'evaluating');
    const { testSets, modelsByDomain } = evaluationPlan({
      trainName: input.datasets.train.name,
      trainPrefix,
      trainTestSplit: input.evaluate.trainTestSplit,
      unseen: input.datasets.test.map((spec, i) => ({ name: spec.name, prepared: prefixesOf('test')[i] })),
      bestByDomain: (finetuneStage.result as FinetuneResult | undefined)?.bestByDomain,
    });
    const training = {
      pretrain: (pretrainStage.result as PretrainResult | undefined)?.lossHistory,
      finetune: (finetuneStage.result as FinetuneResult | undefined)?.history,
    };
    // The report names the task and a target-domain selection; added only when not the defaults (unchanged keys).
    const ftTask = (input.finetune.config.task as string | undefined) ?? (ftPreset === 'fas' ? 'fas' : 'dfd');
    const ftSelection = (input.finetune.config.selection as string | undefined) ?? (ftPreset === 'fas' ? 'source-hter' : 'source-val-loss');
    const labels = { ...(ftTask === 'fas' ? { task: 'fas' as const } : {}), ...(ftSelection.startsWith('target-') ? { selection: 'target' as const } : {}) };
    const evalArgs = { model: finetuneStage.bestKey, modelName: input.evaluate.modelName, batchSize: input.evaluate.batchSize, testSets, ...(modelsByDomain ? { modelsByDomain } : {}), training, ...labels };
    const evaluateStage = await cachedStage('evaluate', evalArgs, [finetuneStage.bestKey ?? ''], force, async (key, sharedId) => {
      const r = await child<EvaluateResult>('Evaluate', 'evaluate', { runId: stageRunId('eval', key), ...evalArgs }, sharedId);
      return { result: r, extra: { reportMarkdownKey: r.reportMarkdownKey, reportHtmlKey: r.reportHtmlKey } };
    });
    progress.stages.evaluate = evaluateStage.status;
    const evaluation = evaluateStage.result as EvaluateResult;

    progress.stage = 'done';
    progress.status = 'completed';
    markStage('done', 'completed', evaluation.testSets.map((t) => `${t.name}: video AUC ${(t.videoAuc * 100).toFixed(2)}%`).join(', '));
    return {
      runId,
      stages: { prepare: prepareStages, pretrain: pretrainStage, finetune: finetuneStage, evaluate: evaluateStage },
      metrics: evaluation.testSets.map((t) => ({ testSet: t.name, faces: t.faces, videoAuc: t.videoAuc, frameAuc: t.frameAuc, eer: t.eer, videoAucCi: t.videoAucCi ?? null, frameAucCi: t.frameAucCi ?? null })),
      reportMarkdownKey: evaluation.reportMarkdownKey,
      reportHtmlKey: evaluation.reportHtmlKey,
    };
  } catch (err) {
    progress.status = 'failed';
    progress.stages[progress.stage] = 'failed';
    markStage(progress.stage, 'failed', (err as Error).message);
    throw err;
  }
}

type PlannedTestSet = { name: string; prepared: string; split?: string; domain?: string };

/**
 * What Evaluate scores: the source's own test split (unless turned off) and every unseen test set. When the finetune
 * kept one model per domain (selection 'target-val-loss-per-domain', the DiFF protocol), the source's test split is
 * scored per domain instead, `<train>-test-<domain>` with that domain's own model (modelsByDomain), one row each.
 */
export function evaluationPlan(o: {
  trainName: string;
  trainPrefix: string;
  trainTestSplit: boolean;
  unseen: { name: string; prepared: string }[];
  bestByDomain?: Record<string, { key: string }> | null;
}): { testSets: PlannedTestSet[]; modelsByDomain?: Record<string, string> } {
  const domains = Object.keys(o.bestByDomain ?? {}).sort();
  if (!o.trainTestSplit) return { testSets: [...o.unseen] };
  if (domains.length === 0) return { testSets: [{ name: `${o.trainName}-test`, prepared: o.trainPrefix, split: 'test' }, ...o.unseen] };
  const perDomain = domains.map((domain) => ({ name: `${o.trainName}-test-${domain.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 64), prepared: o.trainPrefix, split: 'test', domain }));
  return { testSets: [...perDomain, ...o.unseen], modelsByDomain: Object.fromEntries(domains.map((d) => [d, o.bestByDomain![d].key])) };
}

/**
 * Runs a stage unless its key has a record (and it is not forced); records it when it completes.
 * Runs with the same config share the work: the stage's child workflow ID is derived from its key (and the task
 * queue), so Temporal lets only one run it at a time. A pipeline that finds its stage already running elsewhere
 * waits (backing off from 5 s to 5 min) until that run has recorded the stage and uses its record, or, if that run
 * failed or was cancelled, starts the stage itself. Two trainers never share a run's checkpoint folder. A waiting
 * run that starts the child just after the other's finished (before that run recorded the stage) only resumes the
 * finished work, and reports the stage as cached when the other run's record has appeared meanwhile.
 */
export async function cachedStage<R, E extends Record<string, unknown>>(
  stage: PipelineStage,
  config: unknown,
  inputs: string[],
  force: Set<PipelineStage>,
  run: (key: string, sharedId: string) => Promise<{ result: R; extra: E }>,
): Promise<StageRecord<R> & E> {
  const { key, record } = await lookupStage({ stage, config, inputs });
  if (record && !force.has(stage)) return { ...(record as StageRecord<R> & E), status: 'cached' };
  const sharedId = `${workflowInfo().taskQueue}-${stage}-${key.slice(0, 16)}`;
  const before = JSON.stringify(record ?? null);
  const recordedElsewhere = async () => {
    const again = await lookupStage({ stage, config, inputs });
    return again.record && JSON.stringify(again.record) !== before ? { ...(again.record as StageRecord<R> & E), status: 'cached' as const } : null;
  };
  for (let waitS = 5, waited = false; ; waitS = Math.min(300, waitS * 2), waited = true) {
    try {
      const { result, extra } = await run(key, sharedId);
      // Having waited, this run can start its child in the moment between the other run's child finishing and
      // that run recording the stage: the child then only resumes finished work (a pretraining at its last step).
      // The other run did the work; say so and keep its record (seen in the chaos test of two identical pipelines).
      const other = waited && patched('stage-recorded-while-waiting') ? await recordedElsewhere() : null;
      if (other) {
        log.info(`${stage}: recorded by another run while this one waited; its child only resumed that run's work`, { stage, key });
        return other;
      }
      const done = { stage, key, status: 'ran' as const, workflowId: sharedId, result, ...extra };
      await recordStage(done);
      return done;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError || (err as Error).name === 'WorkflowExecutionAlreadyStartedError')) throw err;
    }
    await sleep(waitS * 1000);
    const other = await recordedElsewhere();
    if (other) return other;
  }
}

/**
 * Where a pipeline stage's outputs live: runs/<stage>-<first 16 hex digits of its cache key>/ (README "Where outputs
 * live"). Keyed by content, not by the pipeline's runId, so that a cached stage is found by every pipeline.
 */
export function stageRunId(stage: 'pretrain' | 'finetune' | 'eval', cacheKey: string): string {
  return `${stage}-${cacheKey.slice(0, 16)}`;
}
