import { Context } from '@temporalio/activity';
import { mean, writeAnalysis, type AnalyzedCheckpoint } from '../lib/analysis';
import { analyzeCheckpointInChild } from '../lib/analysis/child-runner';
import type { AnalyzeInput, AnalyzeResult } from '../lib/config/analyze';
import type { ArtifactStore } from '../lib/store';
import { superviseChild } from './train';

export function makeAnalyzeActivities(store: ArtifactStore) {
  return {
    /**
     * The attention analysis of every checkpoint, each in a child process (its forward passes would block the
     * worker's event loop for seconds per batch: heartbeats and cancellation depend on it), then one committed
     * report set, written here.
     */
    async analyzeCheckpoints(args: { runId: string; input: AnalyzeInput }): Promise<AnalyzeResult> {
      const { input } = args;
      const summaries: AnalyzedCheckpoint[] = [];
      for (const [i, c] of input.checkpoints.entries()) {
        let faces = 0;
        const details = () => ({ checkpoint: i, of: input.checkpoints.length, faces });
        Context.current().heartbeat(details());
        const child = analyzeCheckpointInChild({
          storeUri: store.uri,
          checkpoint: c.checkpoint,
          label: c.label,
          branch: c.branch,
          prepared: input.prepared,
          split: input.split,
          faces: input.faces,
          mapFaces: input.mapFaces,
          reconstructionFaces: input.reconstructionFaces,
          batchSize: input.batchSize,
          onProgress: (p) => {
            faces = p.faces;
          },
        });
        summaries.push(await superviseChild(child, details));
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
