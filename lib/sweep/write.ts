/**
 * The sweep's outputs as one committed set under runs/<runId>/sweep/: summary.json (every number of the table and
 * every point's outcome), report.md and report.html (self-contained).
 */
import { SetWriter } from '../store/sets.js';
import type { ArtifactStore } from '../store/types.js';
import { renderSweepHtml, renderSweepMarkdown, type SweepReportInput } from './report.js';

export const SWEEP_SET_KIND = 'fsfm-sweep';

export function sweepPrefix(runId: string): string {
  return `runs/${runId}/sweep`;
}

export async function writeSweepReport(store: ArtifactStore, runId: string, report: SweepReportInput): Promise<{ prefix: string; summaryKey: string; reportHtmlKey: string; reportMarkdownKey: string }> {
  const prefix = sweepPrefix(runId);
  const writer = new SetWriter(store, prefix);
  const { analysis, ...numbers } = report;
  await writer.put('summary.json', JSON.stringify({ format: 'fsfm-sweep/1', ...numbers, analysis: { note: analysis.note, checkpoints: analysis.summaries.map((s) => s.label) } }), { contentType: 'application/json' });
  await writer.put('report.md', renderSweepMarkdown(report), { contentType: 'text/markdown; charset=utf-8' });
  await writer.put('report.html', renderSweepHtml(report), { contentType: 'text/html; charset=utf-8' });
  await writer.commit(SWEEP_SET_KIND, { runId, points: report.points.length, failed: report.points.filter((p) => p.status === 'failed').length });
  return { prefix, summaryKey: `${prefix}/summary.json`, reportHtmlKey: `${prefix}/report.html`, reportMarkdownKey: `${prefix}/report.md` };
}
