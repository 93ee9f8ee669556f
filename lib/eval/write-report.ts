/**
 * A run's report in the store: runs/<runId>/report.md (the paper-style table with its legend) and
 * runs/<runId>/report.html (self-contained: inline CSS and SVG, nothing fetched), from lib/eval's renderers.
 */
import { InvalidConfig } from '../errors.js';
import type { ArtifactStore } from '../store/types.js';
import { type HtmlReportOptions, renderHtmlReport, renderMarkdownTable, renderTrainingMarkdown, type ReportEntry } from './report.js';

export interface WrittenReport {
  markdownKey: string;
  htmlKey: string;
}

export function reportKeys(runId: string): WrittenReport {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) throw new InvalidConfig(`run id ${JSON.stringify(runId)} must be letters, digits, '.', '_' or '-'`);
  return { markdownKey: `runs/${runId}/report.md`, htmlKey: `runs/${runId}/report.html` };
}

/** Renders both reports (InvalidConfig for no entries or duplicate pairs) and writes them; returns their keys. */
export async function writeReport(store: ArtifactStore, runId: string, entries: readonly ReportEntry[], options: HtmlReportOptions = {}): Promise<WrittenReport> {
  const keys = reportKeys(runId);
  const title = options.title ?? `FSFM evaluation report: ${runId}`;
  const markdown = `# ${title}\n\n${options.generatedAt ? `Generated ${options.generatedAt}\n\n` : ''}${renderMarkdownTable(entries)}${['', ...renderTrainingMarkdown(options.training)].join('\n')}`;
  const html = renderHtmlReport(entries, { ...options, title });
  await store.put(keys.markdownKey, markdown, { contentType: 'text/markdown; charset=utf-8' });
  await store.put(keys.htmlKey, html, { contentType: 'text/html; charset=utf-8' });
  return keys;
}
