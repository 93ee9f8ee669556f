import { Context } from '@temporalio/activity';
import type { EvaluateInput, EvaluateResult } from '../lib/config/finetune';
import { evaluateTestSetInChild } from '../lib/eval/child-runner';
import { writeReport } from '../lib/eval/write-report';
import { METRICS_NAME, EVAL_SET_KIND, type EvalSetMeta, type TestSetEvaluation } from '../lib/eval/score';
import { reportedRule } from '../lib/eval/report';
import type { EvalMetrics } from '../lib/eval';
import { joinKey, readMember, readSet, type ArtifactStore, type SetManifest } from '../lib/store';
import { superviseChild } from './train';

type TestSetSummary = EvaluateResult['testSets'][number];

export function makeEvaluateActivities(store: ArtifactStore) {
  return {
    /** Scores one test set in a child process and commits scores.jsonl + metrics.json; returns a small summary. */
    async evaluateTestSet(args: { runId: string; model: string; testSet: EvaluateInput['testSets'][number]; batchSize: number }): Promise<TestSetSummary> {
      const ctx = Context.current();
      let last = { done: 0, total: 0 };
      const child = evaluateTestSetInChild({
        storeUri: store.uri,
        runId: args.runId,
        testSet: args.testSet.name,
        model: args.model,
        prepared: args.testSet.prepared,
        split: args.testSet.split,
        ...(args.testSet.domain !== undefined ? { domain: args.testSet.domain } : {}),
        batchSize: args.batchSize,
        onProgress: (p) => {
          last = p;
          ctx.heartbeat(p);
        },
      });
      const r: TestSetEvaluation = await superviseChild(child, () => last);
      return { ...summarize(args.testSet.name, r.scoresKey, r.metricsKey, r.rows, r.metrics), model: r.meta.model, selection: r.meta.selection, ...(args.testSet.domain !== undefined ? { domain: args.testSet.domain } : {}) };
    },

    /** Reads each test set's committed metrics and writes the run's Markdown and HTML reports. */
    async writeEvaluationReport(args: {
      runId: string;
      modelName: string;
      selection: EvaluateInput['selection'];
      task: EvaluateInput['task'];
      testSets: string[];
      /** Test sets scored with their domain's own model (modelsByDomain). */
      perDomain?: string[];
      training?: EvaluateInput['training'];
    }): Promise<{ markdownKey: string; htmlKey: string }> {
      const entries = [];
      for (const name of args.testSets) {
        const prefix = joinKey('runs', args.runId, 'eval', name);
        const set = await readSet(store, prefix);
        if (!set || set.kind !== EVAL_SET_KIND) continue;
        const metrics = JSON.parse((await readMember(store, set as SetManifest<unknown>, METRICS_NAME)).toString('utf8')) as EvalMetrics;
        entries.push({ model: args.modelName, testSet: name, metrics, selection: reportedRule(args.selection, (set.meta as EvalSetMeta).selection, args.perDomain?.includes(name) ?? false), task: args.task });
      }
      return writeReport(store, args.runId, entries, { generatedAt: new Date().toISOString(), training: args.training });
    },
  };
}

function summarize(name: string, scoresKey: string, metricsKey: string, faces: number, m: EvalMetrics): TestSetSummary {
  return { name, scoresKey, metricsKey, faces, frameAuc: m.frame.auc, videoAuc: m.video.auc, eer: m.video.eer, hter: m.fas?.hter ?? null, videoAucCi: m.video.ci?.auc ?? null, frameAucCi: m.frame.ci?.auc ?? null };
}

