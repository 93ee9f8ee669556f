/**
 * The Analyze outputs as one committed set under runs/<runId>/analysis/: summary.json (every number the figures
 * draw), report.md (block means) and report.html (self-contained figures).
 */
import { SetWriter } from '../store/sets.js';
import type { ArtifactStore } from '../store/types.js';
import { mean } from './attention-metrics.js';
import { renderAnalysisHtml, renderAnalysisMarkdown } from './figures.js';
import type { AttentionSummary } from './summary.js';

export const ANALYSIS_SET_KIND = 'fsfm-analysis';

export interface WrittenAnalysis {
  prefix: string;
  summaryKey: string;
  reportHtmlKey: string;
  reportMarkdownKey: string;
}

export function analysisPrefix(runId: string): string {
  return `runs/${runId}/analysis`;
}

export async function writeAnalysis(store: ArtifactStore, runId: string, summaries: readonly AttentionSummary[], generatedAt?: string): Promise<WrittenAnalysis> {
  const prefix = analysisPrefix(runId);
  const title = `FSFM attention analysis: ${runId}`;
  const writer = new SetWriter(store, prefix);
  await writer.put('summary.json', JSON.stringify({ format: 'fsfm-analysis/1', summaries }), { contentType: 'application/json' });
  await writer.put('report.md', `# ${title}\n\n${generatedAt ? `Generated ${generatedAt}\n\n` : ''}${renderAnalysisMarkdown(summaries)}`, { contentType: 'text/markdown; charset=utf-8' });
  await writer.put('report.html', renderAnalysisHtml(summaries, title), { contentType: 'text/html; charset=utf-8' });
  await writer.commit(ANALYSIS_SET_KIND, {
    runId,
    checkpoints: summaries.map((s) => ({ label: s.label, faces: s.faces, lastBlockDistancePx: mean(s.meanDistancePx.at(-1) ?? []), lastBlockKl: mean(s.klPerHead.at(-1) ?? []) })),
  });
  return { prefix, summaryKey: `${prefix}/summary.json`, reportHtmlKey: `${prefix}/report.html`, reportMarkdownKey: `${prefix}/report.md` };
}
