import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CpuActivities } from '../activities';
import type { EvaluateInput, EvaluateResult } from '../lib/config/finetune';
import { markStage, progressQuery, validated } from './common';

const { evaluateTestSet, writeEvaluationReport } = proxyActivities<CpuActivities>({
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 5, initialInterval: '5 seconds', nonRetryableErrorTypes: ['InvalidConfig', 'SingleClassTestSet', 'NotFound', 'IntegrityError'] },
});

/**
 * Scores one finetuned model on every test set in parallel (one activity each, on any fsfm-cpu worker), then writes
 * the paper-style Markdown table and the self-contained HTML report. A test set that cannot be scored (e.g. a
 * single-class set) is reported with its reason; the others still complete.
 */
export async function Evaluate(rawInput: EvaluateInput): Promise<EvaluateResult> {
  const state = { stage: 'evaluate', status: 'running', done: 0, failed: 0, total: 0 };
  setHandler(progressQuery, () => ({ ...state }));
  const input = await validated<EvaluateInput>('Evaluate', rawInput);
  const runId = input.runId ?? workflowInfo().workflowId;
  state.total = input.testSets.length;
  markStage('evaluate', 'running', `scoring ${input.testSets.length} test sets`);

  const outcomes = await Promise.all(
    input.testSets.map((testSet) =>
      evaluateTestSet({ runId, model: modelFor(input, testSet), testSet, batchSize: input.batchSize }).then(
        (summary) => {
          state.done++;
          return { ok: true as const, summary };
        },
        (err: Error) => {
          state.failed++;
          const cause = (err as { cause?: { message?: string } }).cause?.message;
          return { ok: false as const, name: testSet.name, error: cause ?? err.message };
        },
      ),
    ),
  );
  const testSets = outcomes.flatMap((o) => (o.ok ? [o.summary] : []));
  const failed = outcomes.flatMap((o) => (o.ok ? [] : [{ name: o.name, error: o.error }]));
  if (testSets.length === 0) {
    markStage('evaluate', 'failed', `no test set could be scored: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
    throw new Error(`no test set could be scored: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
  }
  const perDomain = perDomainTestSets(input);
  const report = await writeEvaluationReport({ runId, modelName: input.modelName, selection: input.selection, task: input.task, testSets: testSets.map((t) => t.name), perDomain, training: input.training });
  state.status = 'completed';
  markStage('evaluate', 'completed', testSets.map((t) => `${t.name}: video AUC ${(t.videoAuc * 100).toFixed(2)}%`).join(', '));
  return { runId, reportMarkdownKey: report.markdownKey, reportHtmlKey: report.htmlKey, testSets, failed };
}

/**
 * The test sets scored with their domain's own model (modelsByDomain names their domain), reported as per-subset
 * target selection. Decided by the input, not by comparing keys: a subset whose selected epoch is also the run's
 * best has the run's model key, and is still a per-subset selection.
 */
export function perDomainTestSets(input: EvaluateInput): string[] {
  return input.testSets.filter((t) => t.domain !== undefined && input.modelsByDomain?.[t.domain] !== undefined).map((t) => t.name);
}

/** The model a test set is scored with: its domain's own model when modelsByDomain names one (DiFF per subset). */
export function modelFor(input: EvaluateInput, testSet: EvaluateInput['testSets'][number]): string {
  return (testSet.domain !== undefined && input.modelsByDomain?.[testSet.domain]) || input.model;
}
