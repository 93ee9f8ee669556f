import { Context } from '@temporalio/activity';
import { analyzeCheckpoint, mean, writeAnalysis, type AttentionSummary } from '../lib/analysis';
import type { AnalyzeInput, AnalyzeResult } from '../lib/config/analyze';
import type { ArtifactStore } from '../lib/store';

export function makeAnalyzeActivities(store: ArtifactStore) {
  return {
    /**
     * The attention analysis of every checkpoint, then one committed report set. Runs in the worker process: the
     * forward passes are a few batches of faces and the analysis yields to the event loop between batches, so
     * heartbeats and cancellation get through.
     */
    async analyzeCheckpoints(args: { runId: string; input: AnalyzeInput }): Promise<AnalyzeResult> {
      const ctx = Context.current();
      const { input } = args;
      const summaries: (AttentionSummary & { kind: 'pretrained' | 'finetuned' })[] = [];
      for (const [i, c] of input.checkpoints.entries()) {
        ctx.heartbeat({ checkpoint: i, of: input.checkpoints.length });
        summaries.push(
          await analyzeCheckpoint({
            store,
            checkpoint: c.checkpoint,
            label: c.label,
            branch: c.branch,
            prepared: input.prepared,
            split: input.split,
            faces: input.faces,
            mapFaces: input.mapFaces,
            reconstructionFaces: input.reconstructionFaces,
            batchSize: input.batchSize,
            signal: ctx.cancellationSignal,
          }),
        );
      }
      const written = await writeAnalysis(store, args.runId, summaries, new Date().toISOString());
      return {
        runId: args.runId,
        summaryKey: written.summaryKey,
        reportHtmlKey: written.reportHtmlKey,
        reportMarkdownKey: written.reportMarkdownKey,
        checkpoints: summaries.map((s) => ({
          label: s.label,
          kind: s.kind,
          faces: s.faces,
          lastBlockDistancePx: mean(s.meanDistancePx.at(-1) ?? []),
          lastBlockKl: mean(s.klPerHead.at(-1) ?? []),
        })),
      };
    },
  };
}
