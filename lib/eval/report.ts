/**
 * Reports over evaluated (model, test set) pairs: a paper-style Markdown table and a self-contained HTML page
 * (inline CSS and SVG drawn here; no scripts, fonts or links to fetch, so it opens offline).
 *
 * Stable hooks for browser tests: `svg.roc-chart[data-testset]` holding one `path.roc-curve[data-model]` per model,
 * `svg.score-histogram[data-testset][data-model]` holding `rect.hist-bar.hist-real` / `rect.hist-bar.hist-fake`.
 */
import { InvalidConfig } from '../errors.js';
import { selectsOnTarget } from '../finetune/selection.js';
import { CHANCE_FLAG, notBetterThanChance, type ConfidenceInterval } from './bootstrap.js';
import { finetuneCurve, pretrainCurve, type TrainingCurves } from './curves.js';
import type { EvalMetrics, ScoreHistogram } from './evaluate.js';
import { LABEL_CONVENTION } from './options.js';
import type { RocPoint } from './roc.js';

export type SelectionRule = 'source-val-loss' | 'source-hter' | 'last' | 'checkpoint' | 'target' | 'target-per-domain';

/** What each checkpoint-selection rule means, as the report states it. */
export const SELECTION_RULES: Record<SelectionRule, string> = {
  'source-val-loss':
    'checkpoint with the lowest loss on source-domain validation data, no target-domain data used; this project\'s default',
  'source-hter':
    'checkpoint with the lowest HTER on source-domain validation data (ties go to the later epoch), no target-domain data used; the fas preset\'s default',
  last: 'the final weights of the finetuning run, no checkpoint selection',
  checkpoint: 'a checkpoint given by key, scored as it is: no selection rule is recorded with it',
  target:
    'TARGET-DOMAIN SELECTION: checkpoint picked on target-domain data, as the reference does for DiFF and FAS; optimistic for cross-domain claims',
  'target-per-domain':
    'TARGET-DOMAIN SELECTION, per test subset: each subset is scored with the checkpoint that had the lowest loss on that subset\'s own validation faces (the reference\'s DiFF protocol); optimistic for cross-domain claims',
};

/** Source-side rules a model's record can carry, reported under their own names. */
const RECORDED_SOURCE_RULES: ReadonlySet<string> = new Set<SelectionRule>(['source-val-loss', 'source-hter', 'last', 'checkpoint']);

/**
 * The rule a report states for one test set: the scored model's own record wins over the caller's label, so a model
 * picked on target-domain data is never reported as source-selected, per-subset models say so, and a model kept by
 * another source rule (HTER, the last weights, a checkpoint given by key) is not described as the lowest val loss.
 */
export function reportedRule(stated: 'source-val-loss' | 'target', modelSelection: string, perDomain: boolean): SelectionRule {
  if (perDomain) return 'target-per-domain';
  if (stated === 'target' || selectsOnTarget(modelSelection)) return 'target';
  return RECORDED_SOURCE_RULES.has(modelSelection) ? (modelSelection as SelectionRule) : 'source-val-loss';
}

/** Whether a rule picked the checkpoint on target-domain data. */
export function isTargetRule(rule: SelectionRule): boolean {
  return rule === 'target' || rule === 'target-per-domain';
}

export interface ReportEntry {
  model: string;
  testSet: string;
  metrics: EvalMetrics;
  selection: SelectionRule;
  /** 'fas' cells show HTER / AUC (video level); default 'deepfake' cells show video AUC / frame AUC. */
  task?: 'deepfake' | 'fas';
}

export interface HtmlReportOptions {
  title?: string;
  /** Printed as given (the caller's clock); rendering itself reads no clock, so equal input gives equal bytes. */
  generatedAt?: string;
  /** The model's training curves, shown in their own section. */
  training?: TrainingCurves;
}

/** The training-curve section as Markdown lines (none when there are no curves). */
export function renderTrainingMarkdown(training: TrainingCurves | undefined): string[] {
  const lines = [...pretrainCurve(training?.pretrain ?? []), ...finetuneCurve(training?.finetune ?? [])];
  if (lines.length === 0) return [];
  return ['## Training curves', '', '```', ...lines.map((l) => l.replace(/^  /, '')), '```', ''];
}

interface Table {
  models: string[];
  testSets: string[];
  cell: Map<string, ReportEntry>;
  fasTestSets: Set<string>;
  rules: SelectionRule[];
}

const key = (model: string, testSet: string) => JSON.stringify([model, testSet]);

function tabulate(entries: readonly ReportEntry[]): Table {
  if (entries.length === 0) throw new InvalidConfig('report: no evaluated entries to report');
  const models: string[] = [];
  const testSets: string[] = [];
  const cell = new Map<string, ReportEntry>();
  const fasTestSets = new Set<string>();
  const rules: SelectionRule[] = [];
  for (const entry of entries) {
    if (!(entry.selection in SELECTION_RULES)) {
      throw new InvalidConfig(`report: unknown selection rule ${JSON.stringify(entry.selection)} for ${entry.model} on ${entry.testSet}`);
    }
    const k = key(entry.model, entry.testSet);
    if (cell.has(k)) throw new InvalidConfig(`report: model ${JSON.stringify(entry.model)} appears twice for test set ${JSON.stringify(entry.testSet)}`);
    cell.set(k, entry);
    if (!models.includes(entry.model)) models.push(entry.model);
    if (!testSets.includes(entry.testSet)) testSets.push(entry.testSet);
    if (!rules.includes(entry.selection)) rules.push(entry.selection);
    if (entry.task === 'fas') fasTestSets.add(entry.testSet);
  }
  for (const entry of entries) {
    if (fasTestSets.has(entry.testSet) && entry.task !== 'fas') {
      throw new InvalidConfig(`report: test set ${JSON.stringify(entry.testSet)} is FAS for some models and not for ${JSON.stringify(entry.model)}`);
    }
  }
  return { models, testSets, cell, fasTestSets, rules };
}

/** A rate in [0, 1] as a percentage with two decimals, as the paper prints them. */
export function pct(rate: number): string {
  return (rate * 100).toFixed(2);
}

function cellText(entry: ReportEntry): string {
  const m = entry.metrics;
  const text = entry.task === 'fas' ? `${pct(m.fas.hter)} / ${pct(m.fas.auc)}` : `${pct(m.video.auc)} / ${pct(m.frame.auc)}`;
  return chance(entry) ? `${text} (${CHANCE_FLAG})` : text;
}

/** The test set's headline AUC (video; FAS: its AUC) has a CI that includes 0.5. */
function chance(entry: ReportEntry): boolean {
  const m = entry.metrics;
  return notBetterThanChance(entry.task === 'fas' ? m.fas.ci?.auc : m.video.ci?.auc);
}

/** A target-selected cell is marked when rules are mixed, so no optimistic number passes as a source-selected one. */
const TARGET_MARK = '†';

function legendLines(table: Table): string[] {
  const lines: string[] = [];
  const hasDfd = table.testSets.some((t) => !table.fasTestSets.has(t));
  if (hasDfd) lines.push('Deepfake test sets: video AUC % / frame AUC % (video score = mean of its frame scores).');
  // Image datasets (DiFF, WildDeepfake frames as images): every group holds one face, so both levels are image level.
  const imageLevel = table.testSets.filter((t) => !table.fasTestSets.has(t) && [...table.cell.values()].every((e) => e.testSet !== t || e.metrics.video.n === e.metrics.frame.n));
  if (imageLevel.length) lines.push(`Image level (one image per group, so video = frame figures): ${imageLevel.join(', ')}.`);
  if (table.fasTestSets.size > 0) {
    lines.push('FAS test sets: HTER % / AUC %, video level, HTER at the test set\'s EER threshold.');
  }
  lines.push(`Label convention: ${LABEL_CONVENTION} (the reference scores P(real); AUC is unchanged by the flip).`);
  if (table.cell.size > 0 && [...table.cell.values()].some(chance)) {
    lines.push(`"${CHANCE_FLAG}": the bootstrap interval of that cell's video AUC (FAS: AUC) includes 50%, so the detector is not shown to beat a coin there.`);
  }
  if (table.rules.length === 1) {
    lines.push(`Checkpoint selection: ${table.rules[0]}: ${SELECTION_RULES[table.rules[0]]}.`);
  } else {
    for (const rule of table.rules) {
      const mark = isTargetRule(rule) ? ` (cells marked ${TARGET_MARK})` : '';
      lines.push(`Checkpoint selection ${rule}${mark}: ${SELECTION_RULES[rule]}.`);
    }
  }
  return lines;
}

function escapeMarkdownCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

/** Rows = models, columns = test sets, in order of first appearance; a missing pair prints as "–". */
export function renderMarkdownTable(entries: readonly ReportEntry[]): string {
  const table = tabulate(entries);
  const mixed = table.rules.length > 1;
  const header = `| Model | ${table.testSets.map(escapeMarkdownCell).join(' | ')} |`;
  const rule = `|---|${table.testSets.map(() => '---:').join('|')}|`;
  const rows = table.models.map((model) => {
    const cells = table.testSets.map((testSet) => {
      const entry = table.cell.get(key(model, testSet));
      if (!entry) return '–';
      return cellText(entry) + (mixed && isTargetRule(entry.selection) ? ` ${TARGET_MARK}` : '');
    });
    return `| ${escapeMarkdownCell(model)} | ${cells.join(' | ')} |`;
  });
  return [...legendLines(table), '', header, rule, ...rows, ''].join('\n');
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const REAL_COLOUR = '#2b8cbe';
const FAKE_COLOUR = '#e34a33';

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.75rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f3f3f3}
.ci{color:#666;font-size:.8em}.chance{color:#b00;font-weight:600}.target-selection{color:#b00;font-weight:600;border:2px solid #b00;padding:.4rem .6rem}.note{color:#444}.convention{font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
figure{margin:0}figcaption{font-size:.85rem;color:#444;max-width:420px}
svg text{font-size:11px;fill:#333}.axis{stroke:#333;stroke-width:1}.grid{stroke:#e5e5e5;stroke-width:1}
.chance{stroke:#999;stroke-dasharray:4 3;fill:none}.roc-curve{fill:none;stroke-width:2}
.hist-real{fill:${REAL_COLOUR};fill-opacity:.55}.hist-fake{fill:${FAKE_COLOUR};fill-opacity:.55}
`;

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

function ciText(ci: ConfidenceInterval | undefined): string {
  return ci ? ` <span class="ci">[${pct(ci.low)}, ${pct(ci.high)}]</span>` : '';
}

/** A chart's size and its plot area inside it, in px (shared by the report and the analysis figures). */
export interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  plotW: number;
  plotH: number;
}

const CHART: Frame = { width: 420, height: 380, left: 48, top: 16, plotW: 340, plotH: 320 };

/** Axes, grid and ticks over the unit square; `x`/`y` map rates in [0, 1] to pixels. */
function axes(frame: Frame, xLabel: string, yLabel: string, yMax = 1): { svg: string; x: (v: number) => number; y: (v: number) => number } {
  const x = (v: number) => frame.left + v * frame.plotW;
  const y = (v: number) => frame.top + frame.plotH - (v / yMax) * frame.plotH;
  const parts: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const v = k / 5;
    parts.push(`<line class="grid" x1="${fmt(x(v))}" y1="${fmt(frame.top)}" x2="${fmt(x(v))}" y2="${fmt(frame.top + frame.plotH)}"/>`);
    parts.push(`<line class="grid" x1="${fmt(frame.left)}" y1="${fmt(y(v * yMax))}" x2="${fmt(frame.left + frame.plotW)}" y2="${fmt(y(v * yMax))}"/>`);
    parts.push(`<text x="${fmt(x(v))}" y="${fmt(frame.top + frame.plotH + 14)}" text-anchor="middle">${v.toFixed(1)}</text>`);
    const yTick = v * yMax;
    parts.push(`<text x="${fmt(frame.left - 6)}" y="${fmt(y(yTick) + 4)}" text-anchor="end">${yMax === 1 ? yTick.toFixed(1) : yTick.toFixed(2)}</text>`);
  }
  parts.push(`<line class="axis" x1="${frame.left}" y1="${frame.top + frame.plotH}" x2="${frame.left + frame.plotW}" y2="${frame.top + frame.plotH}"/>`);
  parts.push(`<line class="axis" x1="${frame.left}" y1="${frame.top}" x2="${frame.left}" y2="${frame.top + frame.plotH}"/>`);
  parts.push(`<text x="${fmt(frame.left + frame.plotW / 2)}" y="${fmt(frame.height - 4)}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  parts.push(
    `<text x="12" y="${fmt(frame.top + frame.plotH / 2)}" text-anchor="middle" transform="rotate(-90 12 ${fmt(frame.top + frame.plotH / 2)})">${escapeHtml(yLabel)}</text>`,
  );
  return { svg: parts.join(''), x, y };
}

/** SVG path of a ROC given as points (fpr, tpr). */
export function rocPathData(points: readonly RocPoint[], x: (v: number) => number, y: (v: number) => number): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(x(p.fpr))},${fmt(y(p.tpr))}`).join(' ');
}

function rocChart(testSet: string, entries: readonly ReportEntry[], colourOf: (model: string) => string): string {
  const { svg: grid, x, y } = axes(CHART, 'False positive rate (real called fake)', 'True positive rate (fake caught)');
  const curves = entries.map((e) => {
    const colour = colourOf(e.model);
    return (
      `<path class="roc-curve" data-model="${escapeHtml(e.model)}" data-level="video" stroke="${colour}" d="${rocPathData(e.metrics.video.roc, x, y)}">` +
      `<title>${escapeHtml(e.model)}: video AUC ${pct(e.metrics.video.auc)}%</title></path>`
    );
  });
  const legend = entries.map((e, i) => {
    const ly = CHART.top + CHART.plotH - 12 - (entries.length - 1 - i) * 15;
    const lx = x(0.45);
    return (
      `<line x1="${fmt(lx)}" y1="${fmt(ly - 4)}" x2="${fmt(lx + 18)}" y2="${fmt(ly - 4)}" stroke="${colourOf(e.model)}" stroke-width="2"/>` +
      `<text x="${fmt(lx + 22)}" y="${fmt(ly)}">${escapeHtml(e.model)} (AUC ${pct(e.metrics.video.auc)})</text>`
    );
  });
  return (
    `<svg class="roc-chart" data-testset="${escapeHtml(testSet)}" width="${CHART.width}" height="${CHART.height}" viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-label="${escapeHtml(`ROC curves on ${testSet}`)}">` +
    grid +
    `<line class="chance" x1="${fmt(x(0))}" y1="${fmt(y(0))}" x2="${fmt(x(1))}" y2="${fmt(y(1))}"/>` +
    curves.join('') +
    legend.join('') +
    '</svg>'
  );
}

const HIST: Frame = { width: 420, height: 260, left: 48, top: 16, plotW: 340, plotH: 200 };

/** Bars are each class's share per bin, so a small class stays visible next to a large one. */
function histogramChart(testSet: string, model: string, histogram: ScoreHistogram): string {
  const totalReal = histogram.real.reduce((a, b) => a + b, 0);
  const totalFake = histogram.fake.reduce((a, b) => a + b, 0);
  const realShare = histogram.real.map((c) => (totalReal > 0 ? c / totalReal : 0));
  const fakeShare = histogram.fake.map((c) => (totalFake > 0 ? c / totalFake : 0));
  const peak = Math.max(...realShare, ...fakeShare, 1e-9);
  const yMax = Math.min(1, Math.ceil(peak * 10) / 10);
  const { svg: grid, x, y } = axes(HIST, 'Score = P(fake)', 'Share of class', yMax);
  const bars: string[] = [];
  const bins = histogram.real.length;
  for (let k = 0; k < bins; k++) {
    const x0 = x(histogram.binEdges[k]);
    const w = x(histogram.binEdges[k + 1]) - x0;
    const half = w / 2;
    const bar = (cls: 'real' | 'fake', share: number, count: number, offset: number) =>
      `<rect class="hist-bar hist-${cls}" data-bin="${k}" x="${fmt(x0 + offset)}" y="${fmt(y(share))}" width="${fmt(Math.max(half - 0.5, 0.5))}" height="${fmt(y(0) - y(share))}">` +
      `<title>${cls}: ${count} in [${histogram.binEdges[k].toFixed(2)}, ${histogram.binEdges[k + 1].toFixed(2)}${k === bins - 1 ? ']' : ')'}</title></rect>`;
    bars.push(bar('real', realShare[k], histogram.real[k], 0), bar('fake', fakeShare[k], histogram.fake[k], half));
  }
  const legend =
    `<rect class="hist-real" x="${fmt(x(0.62))}" y="${HIST.top + 4}" width="12" height="10"/><text x="${fmt(x(0.62) + 16)}" y="${HIST.top + 13}">real (n=${totalReal})</text>` +
    `<rect class="hist-fake" x="${fmt(x(0.62))}" y="${HIST.top + 20}" width="12" height="10"/><text x="${fmt(x(0.62) + 16)}" y="${HIST.top + 29}">fake (n=${totalFake})</text>`;
  return (
    `<svg class="score-histogram" data-testset="${escapeHtml(testSet)}" data-model="${escapeHtml(model)}" width="${HIST.width}" height="${HIST.height}" viewBox="0 0 ${HIST.width} ${HIST.height}" role="img" aria-label="${escapeHtml(`Video score histogram of ${model} on ${testSet}`)}">` +
    grid +
    bars.join('') +
    legend +
    '</svg>'
  );
}

function summaryTableHtml(table: Table): string {
  const mixed = table.rules.length > 1;
  const head = `<tr><th>Model</th>${table.testSets.map((t) => `<th>${escapeHtml(t)}</th>`).join('')}</tr>`;
  const rows = table.models.map((model) => {
    const cells = table.testSets.map((testSet) => {
      const entry = table.cell.get(key(model, testSet));
      if (!entry) return '<td>–</td>';
      const mark = mixed && isTargetRule(entry.selection) ? ` ${TARGET_MARK}` : '';
      return `<td data-testset="${escapeHtml(testSet)}" data-model="${escapeHtml(model)}">${cellText(entry)}${mark}</td>`;
    });
    return `<tr><th>${escapeHtml(model)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="summary"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function detailTableHtml(entries: readonly ReportEntry[], fas: boolean): string {
  const head = fas
    ? ['Model', 'Selection', 'HTER %', 'AUC %', 'EER %', 'TPR@FPR=1% (live)', 'Threshold', 'Videos (real/fake)']
    : ['Model', 'Selection', 'Video AUC %', 'Frame AUC %', 'Video EER %', 'Frame EER %', 'Video AP %', 'Video bal. acc. %', 'Video TPR@FPR=1%', 'Videos (real/fake)', 'Frames'];
  const rows = entries.map((e) => {
    const m = e.metrics;
    const cells = fas
      ? [
          pct(m.fas.hter) + ciText(m.fas.ci?.hter),
          pct(m.fas.auc) + ciText(m.fas.ci?.auc),
          pct(m.fas.eer),
          pct(m.fas.liveTprAtAttackFpr1pct) + ciText(m.fas.ci?.liveTprAtAttackFpr1pct),
          m.fas.hterThreshold.toFixed(4),
          `${m.video.nReal}/${m.video.nFake}`,
        ]
      : [
          pct(m.video.auc) + ciText(m.video.ci?.auc),
          pct(m.frame.auc) + ciText(m.frame.ci?.auc),
          pct(m.video.eer) + ciText(m.video.ci?.eer),
          pct(m.frame.eer) + ciText(m.frame.ci?.eer),
          pct(m.video.ap) + ciText(m.video.ci?.ap),
          pct(m.video.balancedAccuracy),
          pct(m.video.tprAtFpr1pct),
          `${m.video.nReal}/${m.video.nFake}`,
          String(m.frame.n),
        ];
    const flag = chance(e) ? ` <span class="chance">(${CHANCE_FLAG})</span>` : '';
    return `<tr><th>${escapeHtml(e.model)}${flag}</th><td>${escapeHtml(e.selection)}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="metrics"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function trainingHtml(training: TrainingCurves | undefined): string {
  const lines = [...pretrainCurve(training?.pretrain ?? []), ...finetuneCurve(training?.finetune ?? [])];
  if (lines.length === 0) return '';
  return `<section class="training"><h2>Training curves</h2><pre>${escapeHtml(lines.map((l) => l.replace(/^  /, '')).join('\n'))}</pre></section>`;
}

/** One page: summary table, then per test set its metrics (with bootstrap CIs), ROC chart and score histograms. */
export function renderHtmlReport(entries: readonly ReportEntry[], options: HtmlReportOptions = {}): string {
  const table = tabulate(entries);
  const title = options.title ?? 'FSFM evaluation report';
  const colourOf = (model: string) => PALETTE[table.models.indexOf(model) % PALETTE.length];
  const bootstrap = entries.find((e) => e.metrics.bootstrap.replicates > 0)?.metrics.bootstrap;

  const sections = table.testSets.map((testSet) => {
    const rows = table.models.map((m) => table.cell.get(key(m, testSet))).filter((e): e is ReportEntry => e !== undefined);
    const fas = table.fasTestSets.has(testSet);
    const histograms = rows.map(
      (e) =>
        `<figure>${histogramChart(testSet, e.model, e.metrics.video.histogram)}<figcaption>${escapeHtml(e.model)}: video scores (mean of frame scores), share of each class per bin.</figcaption></figure>`,
    );
    return (
      `<section class="testset" data-testset="${escapeHtml(testSet)}"><h2>${escapeHtml(testSet)}${fas ? ' (face anti-spoofing)' : ''}</h2>` +
      detailTableHtml(rows, fas) +
      `<div class="charts"><figure>${rocChart(testSet, rows, colourOf)}<figcaption>Video-level ROC; the dashed line is chance. Positive class: fake.</figcaption></figure>` +
      histograms.join('') +
      '</div></section>'
    );
  });

  const notes = legendLines(table).map((line) => `<li>${escapeHtml(line)}</li>`);
  if (bootstrap) {
    notes.push(
      `<li>${escapeHtml(`Bracketed ranges: ${Math.round(bootstrap.confidence * 100)}% bootstrap intervals (${bootstrap.replicates} replicates, seed ${bootstrap.seed}; ${bootstrap.method}).`)}</li>`,
    );
  }
  const tprNote =
    'TPR@FPR=1% counts fakes caught with at most 1% of real videos flagged' +
    (table.fasTestSets.size > 0
      ? '; the FAS column "(live)" counts real faces accepted with at most 1% of attacks accepted, as the FAS literature reports it'
      : '') +
    '. Step values: the best an actual threshold achieves, no interpolation.';
  notes.push(`<li>${escapeHtml(tprNote)}</li>`);

  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    options.generatedAt ? `<p class="note">Generated ${escapeHtml(options.generatedAt)}</p>` : '',
    `<p class="convention label-convention">Label convention: ${escapeHtml(LABEL_CONVENTION)}.</p>`,
    `<p class="selection-rule${table.rules.some(isTargetRule) ? ' target-selection' : ''}">Checkpoint selection: ${table.rules.map((r) => `<strong>${escapeHtml(r)}</strong> (${escapeHtml(SELECTION_RULES[r])})`).join('; ')}.</p>`,
    '<h2>Summary</h2>',
    summaryTableHtml(table),
    `<ul class="note">${notes.join('')}</ul>`,
    ...sections,
    trainingHtml(options.training),
    '</body></html>',
    '',
  ].join('\n');
}
