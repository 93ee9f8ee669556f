import { executeChild, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CpuActivities } from '../activities';
import type { AnalyzeResult } from '../lib/config/analyze';
import type { EvaluateResult } from '../lib/config/finetune';
import type { FsfmPipelineResult, StageRecord } from '../lib/config/pipeline';
import type { PrepareDatasetResult } from '../lib/config/prepare';
import type { FsfmSweepInput, FsfmSweepResult, SweepPointResult } from '../lib/config/sweep';
import { markStage, progressQuery, validated } from './common';
import { FsfmModel } from './search-attributes';

const { planSweep, reportSweep, lookupStage, recordStage } = proxyActivities<CpuActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 10, initialInterval: '2 seconds', nonRetryableErrorTypes: ['InvalidConfig'] },
});

/** Analyze accepts at most this many checkpoints side by side. */
const MAX_ANALYZED = 16;

/**
 * An ablation grid as one workflow: the shared prepare jobs once, then one FsfmPipeline child per point, at most
 * `concurrency` at a time. Points share every identical stage through the stage cache (the pipelines' stage
 * children are named after their stage key), so a second identical sweep runs nothing new and an added seed runs
 * only its points. A failed point is reported with its cause; the others finish. Ends with the attention analysis
 * of each distinct pretraining (one cached Analyze child) and the report under runs/<runId>/sweep/.
 */
export async function FsfmSweep(rawInput: FsfmSweepInput): Promise<FsfmSweepResult> {
  const wf = workflowInfo();
  const progress = { stage: 'validate', status: 'running', points: 0, done: 0, failed: 0, running: [] as string[], children: [] as string[] };
  setHandler(progressQuery, () => ({ ...progress, running: [...progress.running], children: [...progress.children] }));
  const input = await validated<FsfmSweepInput>('FsfmSweep', rawInput);
  const runId = input.runId ?? wf.workflowId;
  const plan = await planSweep(input);
  progress.points = plan.points.length;
  const stageCounts = { ran: 0, cached: 0 };
  const count = (status: string) => {
    if (status === 'ran') stageCounts.ran++;
    else if (status === 'cached') stageCounts.cached++;
  };
  const child = <R>(type: string, workflowId: string, arg: unknown): Promise<R> => {
    progress.children.push(workflowId);
    return (executeChild(type, { workflowId, args: [arg] }) as Promise<R>).finally(() => {
      progress.children = progress.children.filter((c) => c !== workflowId);
    });
  };

  try {
    if (typeof input.base.preset === 'string') upsertSearchAttributes([{ key: FsfmModel, value: input.base.preset }]);
    // ---- shared prepare: every distinct dataset once, before the points, so that concurrent points find their faces
    // prepared instead of preparing them side by side. A failure here is left to the points that need the set.
    progress.stage = 'prepare';
    markStage('prepare', 'running', `preparing ${plan.prepareJobs.length} dataset(s) for ${plan.points.length} points`);
    const prepared = await Promise.allSettled(plan.prepareJobs.map((job, j) => child<PrepareDatasetResult>('PrepareDataset', `${wf.workflowId}-prepare-${j}`, job)));
    for (const r of prepared) if (r.status === 'fulfilled') count(r.value.reused ? 'cached' : 'ran');

    // ---- points: a sliding window of child pipelines
    progress.stage = 'points';
    markStage('points', 'running', `${plan.points.length} points, ${input.concurrency} at a time`);
    const results: SweepPointResult[] = new Array(plan.points.length);
    const inFlight = new Set<Promise<void>>();
    const launch = (i: number) => {
      const point = plan.points[i];
      const workflowId = `${wf.workflowId}-p${i}`;
      const base = { index: i, label: point.label, group: point.group, seed: point.seed, values: point.values, workflowId };
      progress.running.push(point.label);
      const p: Promise<void> = child<FsfmPipelineResult>('FsfmPipeline', workflowId, point.input)
        .then(
          (r) => {
            const statuses = [...r.stages.prepare.map((s) => s.status), r.stages.pretrain.status, r.stages.finetune.status, r.stages.evaluate.status];
            statuses.forEach(count);
            const evaluation = r.stages.evaluate.result as EvaluateResult | undefined;
            results[i] = {
              ...base,
              status: 'completed',
              stages: { prepare: r.stages.prepare.map((s) => s.status), pretrain: r.stages.pretrain.status, finetune: r.stages.finetune.status, evaluate: r.stages.evaluate.status },
              checkpointKey: r.stages.pretrain.checkpointKey ?? null,
              trainPrefix: r.stages.prepare.find((s) => s.purpose === 'finetune')?.prefix,
              metricsKeys: Object.fromEntries((evaluation?.testSets ?? []).map((t) => [t.name, t.metricsKey])),
              reportHtmlKey: r.reportHtmlKey,
            };
            progress.done++;
          },
          (err: unknown) => {
            results[i] = { ...base, status: 'failed', error: causeOf(err) };
            progress.failed++;
          },
        )
        .finally(() => {
          inFlight.delete(p);
          progress.running = progress.running.filter((l) => l !== point.label);
        });
      inFlight.add(p);
    };
    let next = 0;
    while (next < plan.points.length) {
      while (inFlight.size < input.concurrency && next < plan.points.length) launch(next++);
      await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const completed = results.filter((r) => r.status === 'completed');

    // ---- attention analysis of each distinct pretraining, cached like a pipeline stage
    progress.stage = 'analyze';
    markStage('analyze', 'running', 'attention analysis of each pretraining');
    const analysis = await analyzePretrainings(input, plan.points, completed, runId, child);
    if (analysis.status === 'ran' || analysis.status === 'cached') count(analysis.status);

    progress.stage = 'report';
    const report = await reportSweep({ runId, input, points: results, metrics: plan.metrics, testSets: plan.testSets, analysisSummaryKey: analysis.summaryKey, analysisNote: analysis.note });
    progress.stage = 'done';
    progress.status = completed.length ? 'completed' : 'failed';
    if (completed.length === 0) {
      const why = results.map((r) => `${r.label}: ${r.error}`).join('; ');
      markStage('done', 'failed', `every point failed: ${why}`);
      throw new Error(`every point of the sweep failed (report ${report.reportHtmlKey}): ${why}`);
    }
    markStage('done', 'completed', `${completed.length}/${results.length} points completed; ${report.reportHtmlKey}`);
    return {
      runId,
      points: results,
      completed: completed.length,
      failed: results.length - completed.length,
      stageCounts,
      analysis: { status: analysis.status, reportHtmlKey: analysis.reportHtmlKey, error: analysis.error },
      metrics: plan.metrics,
      confidence: input.report.confidence,
      table: report.table,
      reportHtmlKey: report.reportHtmlKey,
      reportMarkdownKey: report.reportMarkdownKey,
      summaryKey: report.summaryKey,
    };
  } catch (err) {
    progress.status = 'failed';
    markStage(progress.stage, 'failed', (err as Error).message);
    throw err;
  }
}

type AnalysisOutcome = { status: FsfmSweepResult['analysis']['status']; summaryKey?: string; reportHtmlKey?: string; error?: string; note?: string };

/** One Analyze child over the first checkpoint of each distinct pretraining, skipped when its stage record exists. */
async function analyzePretrainings(
  input: FsfmSweepInput,
  points: ReadonlyArray<{ index: number; pretrainLabel: string }>,
  completed: readonly SweepPointResult[],
  runId: string,
  child: <R>(type: string, workflowId: string, arg: unknown) => Promise<R>,
): Promise<AnalysisOutcome> {
  if (!input.analyze.enabled) return { status: 'skipped', note: 'disabled (analyze.enabled false)' };
  const checkpoints: Array<{ checkpoint: string; label: string }> = [];
  for (const p of completed) {
    const label = points[p.index].pretrainLabel;
    if (!p.checkpointKey || checkpoints.some((c) => c.checkpoint === p.checkpointKey || c.label === label)) continue;
    checkpoints.push({ checkpoint: p.checkpointKey, label });
  }
  const prepared = completed.find((p) => p.trainPrefix)?.trainPrefix;
  if (checkpoints.length === 0 || !prepared) return { status: 'skipped', note: 'no completed point with a pretraining checkpoint' };
  const note = checkpoints.length > MAX_ANALYZED ? `${checkpoints.length} pretrainings; the first ${MAX_ANALYZED} are analysed` : undefined;
  const analyzeInput = { checkpoints: checkpoints.slice(0, MAX_ANALYZED), prepared, split: input.analyze.split, faces: input.analyze.faces, mapFaces: input.analyze.mapFaces, reconstructionFaces: input.analyze.reconstructionFaces };
  try {
    const { key, record } = await lookupStage({ stage: 'analyze', config: analyzeInput, inputs: [prepared, ...analyzeInput.checkpoints.map((c) => c.checkpoint)] });
    let result = (record as StageRecord<AnalyzeResult> | null)?.result;
    const status = result ? 'cached' : 'ran';
    if (!result) {
      result = await child<AnalyzeResult>('Analyze', `${workflowInfo().workflowId}-analyze`, { runId: `analyze-${key.slice(0, 16)}`, ...analyzeInput });
      await recordStage({ stage: 'analyze', key, status: 'ran', result });
    }
    return { status, summaryKey: result.summaryKey, reportHtmlKey: result.reportHtmlKey, note };
  } catch (err) {
    const error = causeOf(err);
    return { status: 'failed', error, note: `the analysis failed: ${error} (${runId})` };
  }
}

/** The most specific message in a failure's cause chain: the innermost application failure of a named type. */
function causeOf(err: unknown): string {
  type Node = { message?: string; cause?: unknown; type?: string; name?: string };
  let e = err as Node | undefined;
  let domain: Node | undefined;
  while (e) {
    if (e.name === 'ApplicationFailure' && e.type && e.type !== 'Error') domain = e;
    if (!e.cause) break;
    e = e.cause as Node;
  }
  return ((domain ?? e)?.message ?? String(err)).trim().replace(/\s*\n\s*/g, '; ');
}
