/**
 * The sweep's report as one self-contained HTML page (inline CSS and SVG; no script, font or link to fetch): the
 * paper-style table, one mean ± CI chart per metric, every point with its stages or its failure, and the attention
 * analysis of each pretraining (lib/analysis figures).
 *
 * Stable hooks for browser tests: `table.sweep-table` with `tr.sweep-row[data-group][data-testset]`,
 * `svg.sweep-chart[data-metric]` holding one `circle.sweep-mean[data-group]` per row with values, and the analysis
 * hooks of lib/analysis/figures.ts (`svg.attention-distance-chart`, `svg.kl-divergence-chart`, `svg.attention-overlay`).
 */
import type { SweepMetricsKind, SweepPointResult, SweepTableRow } from '../config/sweep';
import { analysisSectionHtml, ANALYSIS_CSS } from '../analysis/figures.js';
import type { AttentionSummary } from '../analysis/summary.js';
import { escapeHtml, type Frame } from '../eval/report.js';
import { LABEL_CONVENTION } from '../eval/options.js';
import { cellText, SWEEP_METRICS, sweepMarkdown, type SweepMetric } from './table.js';

export interface SweepReportInput {
  title: string;
  generatedAt?: string;
  /** Axis name -> values, seeds included: what was swept. */
  axes: Record<string, unknown[]>;
  seedScope: string;
  kind: SweepMetricsKind;
  confidence: number;
  rows: SweepTableRow[];
  points: SweepPointResult[];
  analysis: { summaries: AttentionSummary[]; note?: string };
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.75rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child,td.text{text-align:left}thead th{background:#f3f3f3}.note{color:#444}
.failed{color:#b00}.charts{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}figure{margin:0}
figcaption{font-size:.85rem;color:#444;max-width:420px}.errbar{stroke:#333;stroke-width:1.5}.sweep-mean{fill:#1f77b4}
${ANALYSIS_CSS}`;

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

function tableHtml(rows: readonly SweepTableRow[], metrics: readonly SweepMetric[]): string {
  const head = ['point', 'test set', ...metrics.map((m) => `${m.label} (%)`), 'seeds', 'failed'];
  const body = rows.map(
    (r) =>
      `<tr class="sweep-row" data-group="${escapeHtml(r.group)}" data-testset="${escapeHtml(r.testSet)}"><td>${escapeHtml(r.group)}</td><td class="text">${escapeHtml(r.testSet)}</td>` +
      metrics.map((m) => `<td data-metric="${m.key}">${escapeHtml(cellText(r.cells[m.key]))}</td>`).join('') +
      `<td>${escapeHtml(r.seeds.join(', ') || '-')}</td><td${r.failed ? ' class="failed"' : ''}>${r.failed}</td></tr>`,
  );
  return `<table class="sweep-table"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/** One metric: a dot per row at its mean with its t interval as a bar; rows along x, the rate (0–100%) up. */
function metricChart(rows: readonly SweepTableRow[], metric: SweepMetric): string {
  const shown = rows.filter((r) => (r.cells[metric.key]?.n ?? 0) > 0);
  const f: Frame = { width: Math.max(260, 60 + 46 * shown.length), height: 300, left: 46, top: 14, plotW: Math.max(200, 46 * shown.length), plotH: 200 };
  const x = (i: number) => f.left + ((i + 0.5) / Math.max(1, shown.length)) * f.plotW;
  const y = (v: number) => f.top + f.plotH - Math.min(1, Math.max(0, v)) * f.plotH;
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = k / 4;
    parts.push(`<line class="grid" x1="${f.left}" y1="${fmt(y(v))}" x2="${f.left + f.plotW}" y2="${fmt(y(v))}"/><text x="${f.left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${v * 100}</text>`);
  }
  parts.push(`<line class="axis" x1="${f.left}" y1="${f.top + f.plotH}" x2="${f.left + f.plotW}" y2="${f.top + f.plotH}"/><line class="axis" x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.top + f.plotH}"/>`);
  shown.forEach((r, i) => {
    const c = r.cells[metric.key];
    const label = r.testSet === shown[0].testSet ? r.group : `${r.group} · ${r.testSet}`;
    if (c.halfWidth !== null) parts.push(`<line class="errbar" x1="${fmt(x(i))}" y1="${fmt(y(c.mean - c.halfWidth))}" x2="${fmt(x(i))}" y2="${fmt(y(c.mean + c.halfWidth))}"/>`);
    for (const v of c.values) parts.push(`<circle class="sweep-seed" cx="${fmt(x(i) + 7)}" cy="${fmt(y(v))}" r="2" fill="#999"/>`);
    parts.push(
      `<circle class="sweep-mean" data-group="${escapeHtml(r.group)}" data-testset="${escapeHtml(r.testSet)}" cx="${fmt(x(i))}" cy="${fmt(y(c.mean))}" r="4"><title>${escapeHtml(`${label}: ${cellText(c)} %`)}</title></circle>`,
      `<text x="${fmt(x(i))}" y="${f.top + f.plotH + 12}" text-anchor="end" transform="rotate(-35 ${fmt(x(i))} ${f.top + f.plotH + 12})">${escapeHtml(label.length > 28 ? `${label.slice(0, 27)}…` : label)}</text>`,
    );
  });
  const cy = fmt(f.top + f.plotH / 2);
  parts.push(`<text x="12" y="${cy}" text-anchor="middle" transform="rotate(-90 12 ${cy})">${escapeHtml(`${metric.label} (%)`)}</text>`);
  return `<svg class="sweep-chart" data-metric="${metric.key}" xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeHtml(metric.label)} per point">${parts.join('')}</svg>`;
}

function pointsHtml(points: readonly SweepPointResult[]): string {
  const rows = points.map((p) => {
    const stages = p.stages ? `prepare ${p.stages.prepare.join('/')}, pretrain ${p.stages.pretrain}, finetune ${p.stages.finetune}, evaluate ${p.stages.evaluate}` : '';
    const outcome = p.status === 'failed' ? `<span class="failed">failed: ${escapeHtml(p.error ?? 'unknown cause')}</span>` : escapeHtml(stages);
    return `<tr class="sweep-point" data-status="${p.status}"><td>${p.index}</td><td class="text">${escapeHtml(p.label)}</td><td class="text">${escapeHtml(p.workflowId)}</td><td class="text">${outcome}</td><td class="text">${escapeHtml(p.reportHtmlKey ?? '')}</td></tr>`;
  });
  return `<table class="sweep-points"><thead><tr><th>#</th><th>point</th><th>child workflow</th><th>stages (ran / cached) or failure</th><th>its report</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderSweepHtml(r: SweepReportInput): string {
  const metrics = SWEEP_METRICS[r.kind];
  const failed = r.points.filter((p) => p.status === 'failed').length;
  const axes = Object.entries(r.axes).map(([k, v]) => `<li><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', '))}</li>`);
  const charts = metrics.map((m) => `<figure>${metricChart(r.rows, m)}<figcaption>${escapeHtml(m.label)}${m.lowerIsBetter ? ' (lower is better)' : ''}: mean over seeds (dot), ${Math.round(r.confidence * 100)}% t interval (bar), each seed (grey).</figcaption></figure>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(r.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(r.title)}</h1>`,
    r.generatedAt ? `<p class="note">Generated ${escapeHtml(r.generatedAt)}</p>` : '',
    `<p class="note">${r.points.length} points, ${r.points.length - failed} completed, <span${failed ? ' class="failed"' : ''}>${failed} failed</span>. Seeds seed ${escapeHtml(r.seedScope === 'all' ? 'pretraining and finetuning' : 'finetuning only (the seeds of a point share its pretraining)')}.</p>`,
    `<ul class="note">${axes.join('')}</ul>`,
    '<h2>Results</h2>',
    tableHtml(r.rows, metrics),
    `<p class="note">Mean over the seeds that completed ± half-width of the ${Math.round(r.confidence * 100)}% Student t interval of that mean (none with one seed), in %. ${
      r.kind === 'fas'
        ? 'FAS metrics at video level: HTER at the EER threshold of the test set, AUC, and TPR@FPR=1% with live faces as the positive class (real faces accepted when at most 1% of attacks are).'
        : `Label convention: ${escapeHtml(LABEL_CONVENTION)}.`
    }${r.rows.some((x) => x.group === 'average') ? ' The average row: for each seed, the mean over the points, then mean ± t interval over seeds.' : ''}</p>`,
    `<div class="charts">${charts.join('')}</div>`,
    '<h2>Points</h2>',
    pointsHtml(r.points),
    r.analysis.summaries.length
      ? analysisSectionHtml(r.analysis.summaries, 'Attention analysis of each pretraining')
      : `<section class="attention-analysis"><h2>Attention analysis</h2><p class="note">${escapeHtml(r.analysis.note ?? 'not run')}</p></section>`,
    r.analysis.summaries.length && r.analysis.note ? `<p class="note">${escapeHtml(r.analysis.note)}</p>` : '',
    '</body></html>',
    '',
  ].join('\n');
}

export function renderSweepMarkdown(r: SweepReportInput): string {
  const lines = [`# ${r.title}`, '', r.generatedAt ? `Generated ${r.generatedAt}\n` : '', ...Object.entries(r.axes).map(([k, v]) => `- ${k}: ${v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')}`), '', sweepMarkdown(r.rows, r.kind, r.confidence)];
  const failed = r.points.filter((p) => p.status === 'failed');
  if (failed.length) lines.push('Failed points:', ...failed.map((p) => `- ${p.label}: ${p.error ?? 'unknown cause'}`), '');
  return lines.join('\n');
}

