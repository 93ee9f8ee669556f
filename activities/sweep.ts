import type { AttentionSummary } from '../lib/analysis';
import type { EvalMetrics } from '../lib/eval';
import type { FsfmSweepInput, SweepMetricsKind, SweepPointResult, SweepTableRow } from '../lib/config/sweep';
import { InvalidConfig } from '../lib/errors';
import type { ArtifactStore } from '../lib/store';
import { gridAxes, planSweep, sweepTable, withLeaveOneOut, writeSweepReport, type SweepPlan } from '../lib/sweep';

export function makeSweepActivities(store: ArtifactStore) {
  return {
    /** The sweep's points (each an FsfmPipeline input) and the distinct prepare jobs they share. */
    async planSweep(input: FsfmSweepInput): Promise<SweepPlan> {
      const plan = planSweep(input);
      if (plan.problems.length) throw new InvalidConfig(`invalid FsfmSweep input: ${plan.problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
      return plan;
    },

    /** Reads every completed point's metrics (and the analysis), builds the table and commits runs/<runId>/sweep/. */
    async reportSweep(args: {
      runId: string;
      input: FsfmSweepInput;
      points: SweepPointResult[];
      metrics: SweepMetricsKind;
      testSets: string[] | null;
      analysisSummaryKey?: string;
      analysisNote?: string;
    }): Promise<{ summaryKey: string; reportHtmlKey: string; reportMarkdownKey: string; table: SweepTableRow[] }> {
      const metricsOf = new Map<number, Record<string, EvalMetrics>>();
      for (const p of args.points) {
        if (p.status !== 'completed' || !p.metricsKeys) continue;
        const sets: Record<string, EvalMetrics> = {};
        for (const [testSet, key] of Object.entries(p.metricsKeys)) {
          if (args.testSets && !args.testSets.includes(testSet)) continue;
          sets[testSet] = JSON.parse((await store.get(key)).toString('utf8')) as EvalMetrics;
        }
        metricsOf.set(p.index, sets);
      }
      const confidence = args.input.report.confidence;
      const table = sweepTable(args.points, metricsOf, args.metrics, { testSets: args.testSets, confidence, average: args.input.leaveOneOut !== undefined });
      const summaries = args.analysisSummaryKey ? (JSON.parse((await store.get(args.analysisSummaryKey)).toString('utf8')) as { summaries: AttentionSummary[] }).summaries : [];
      const { grid } = withLeaveOneOut(args.input);
      const axes: Record<string, unknown[]> = Object.fromEntries(gridAxes(grid).map((a) => [a.name, a.values]));
      axes.seed = grid.seeds;
      const written = await writeSweepReport(store, args.runId, {
        title: `FSFM sweep: ${args.runId}`,
        generatedAt: new Date().toISOString(),
        axes,
        seedScope: args.input.seedScope,
        kind: args.metrics,
        confidence,
        rows: table,
        points: args.points,
        analysis: { summaries, note: args.analysisNote },
      });
      return { summaryKey: written.summaryKey, reportHtmlKey: written.reportHtmlKey, reportMarkdownKey: written.reportMarkdownKey, table };
    },
  };
}
