import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import {
  escapeHtml,
  evaluateScores,
  renderHtmlReport,
  renderMarkdownTable,
  renderTrainingMarkdown,
  type EvalMetrics,
  type ReportEntry,
  type ScoreRow,
} from '../../../lib/eval/index.js';

/**
 * Two real and two fake videos of two frames. `shift` moves fake frames up: the video AUC is 1 for shift >= 0.2.
 */
function metricsFor(shift: number): EvalMetrics {
  const rows: ScoreRow[] = [
    { id: 'r1/0', group: 'r1', label: 'real', score: 0.1 },
    { id: 'r1/1', group: 'r1', label: 'real', score: 0.5 },
    { id: 'r2/0', group: 'r2', label: 'real', score: 0.2 },
    { id: 'r2/1', group: 'r2', label: 'real', score: 0.6 },
    { id: 'f1/0', group: 'f1', label: 'fake', score: 0.25 + shift },
    { id: 'f1/1', group: 'f1', label: 'fake', score: 0.35 + shift },
    { id: 'f2/0', group: 'f2', label: 'fake', score: 0.15 + shift },
    { id: 'f2/1', group: 'f2', label: 'fake', score: 0.45 + shift },
  ];
  return evaluateScores(rows, { bootstrap: { replicates: 50, seed: 1 } });
}

const strong = metricsFor(0.4); // frames: fakes 0.65, 0.75, 0.55, 0.85 vs reals 0.1, 0.5, 0.2, 0.6
const weak = metricsFor(0.0); // video means: fakes 0.3, 0.3 vs reals 0.3, 0.4

const ENTRIES: ReportEntry[] = [
  { model: 'FSFM ViT-B', testSet: 'CDFv2', metrics: strong, selection: 'source-val-loss' },
  { model: 'FSFM ViT-B', testSet: 'DFDC', metrics: weak, selection: 'source-val-loss' },
  { model: 'MAE ViT-B', testSet: 'CDFv2', metrics: weak, selection: 'source-val-loss' },
];

describe('renderMarkdownTable', () => {
  it('puts models in rows, test sets in columns, and "video AUC / frame AUC" in percent in each cell', () => {
    const md = renderMarkdownTable(ENTRIES);
    const lines = md.split('\n');
    expect(lines).toContain('| Model | CDFv2 | DFDC |');
    // strong: video AUC 1; frames: fake 0.55 loses to 0.6 only -> 15/16 = 93.75%.
    expect(strong.frame.auc).toBe(15 / 16);
    const weakCell = `${(weak.video.auc * 100).toFixed(2)} / ${(weak.frame.auc * 100).toFixed(2)} (not better than chance)`;
    expect(lines).toContain(`| FSFM ViT-B | 100.00 / 93.75 | ${weakCell} |`);
    expect(lines).toContain(`| MAE ViT-B | ${weakCell} | – |`);
  });

  it('flags a cell whose video AUC interval includes 50% as "not better than chance", and only those', () => {
    expect(strong.video.ci!.auc.low).toBeGreaterThan(0.5);
    expect(weak.video.ci!.auc.low).toBeLessThanOrEqual(0.5);
    const md = renderMarkdownTable(ENTRIES);
    expect(md.match(/not better than chance\)/g)).toHaveLength(2);
    expect(md).toContain('| FSFM ViT-B | 100.00 / 93.75 |');
    expect(md).toContain('bootstrap interval of that cell');
    expect(renderMarkdownTable([ENTRIES[0]])).not.toContain('chance');
    expect(renderHtmlReport(ENTRIES)).toContain('<span class="chance">(not better than chance)</span>');
    expect(renderHtmlReport([ENTRIES[0]])).not.toContain('not better than chance');
  });

  it('states the label convention and the selection rule', () => {
    const md = renderMarkdownTable(ENTRIES);
    expect(md).toContain('score = P(fake), fake = 1');
    expect(md).toContain('Checkpoint selection: source-val-loss');
    expect(md).not.toContain('†');
  });

  it('shows FAS test sets as HTER / AUC and marks target-selected cells when rules are mixed', () => {
    const md = renderMarkdownTable([
      ...ENTRIES,
      { model: 'FSFM ViT-B', testSet: 'MCIO→O', metrics: weak, selection: 'target', task: 'fas' },
    ]);
    expect(md).toContain('| Model | CDFv2 | DFDC | MCIO→O |');
    expect(md).toContain(`${(weak.fas.hter * 100).toFixed(2)} / ${(weak.fas.auc * 100).toFixed(2)} (not better than chance) †`);
    expect(md).toContain('HTER % / AUC %');
    expect(md).toContain('Checkpoint selection target (cells marked †)');
  });

  it('names source-side rules other than the lowest val loss as what they are, never as target selection', () => {
    for (const rule of ['source-hter', 'last', 'checkpoint'] as const) {
      const md = renderMarkdownTable([{ ...ENTRIES[0], selection: rule }]);
      expect(md).toContain(`Checkpoint selection: ${rule}: `);
      expect(md).not.toMatch(/lowest loss on source-domain validation|TARGET-DOMAIN|†/);
      expect(renderHtmlReport([{ ...ENTRIES[0], selection: rule }])).toContain('<p class="selection-rule">');
    }
  });

  it('escapes pipes in names so the table keeps its columns', () => {
    const md = renderMarkdownTable([{ model: 'a|b', testSet: 'x', metrics: strong, selection: 'source-val-loss' }]);
    expect(md).toContain('| a\\|b | 100.00 / 93.75 |');
  });

  it('refuses no entries, a duplicate (model, test set) pair and an unknown selection rule', () => {
    expect(() => renderMarkdownTable([])).toThrow(InvalidConfig);
    expect(() => renderMarkdownTable([ENTRIES[0], ENTRIES[0]])).toThrow(/appears twice/);
    expect(() =>
      renderMarkdownTable([{ ...ENTRIES[0], selection: 'best-test' as unknown as ReportEntry['selection'] }]),
    ).toThrow(/unknown selection rule/);
  });
});

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(ENTRIES, { title: 'Cross-dataset', generatedAt: '2025-01-01' });

  it('draws one ROC chart per test set holding one ROC path per model', () => {
    const charts = [...html.matchAll(/<svg class="roc-chart" data-testset="([^"]*)"[\s\S]*?<\/svg>/g)];
    expect(charts.map((c) => c[1])).toEqual(['CDFv2', 'DFDC']);
    const pathsIn = (svg: string) => [...svg.matchAll(/<path class="roc-curve" data-model="([^"]*)"[^>]* d="(M[^"]+)"/g)];
    expect(pathsIn(charts[0][0]).map((p) => p[1])).toEqual(['FSFM ViT-B', 'MAE ViT-B']);
    expect(pathsIn(charts[1][0]).map((p) => p[1])).toEqual(['FSFM ViT-B']);
    // A path has one vertex command per thinned ROC point.
    const d = pathsIn(charts[1][0])[0][2];
    expect(d.split(' ')).toHaveLength(weak.video.roc.length);
  });

  it('with one model, has exactly one ROC path per test set', () => {
    const one = renderHtmlReport(ENTRIES.filter((e) => e.model === 'FSFM ViT-B'));
    expect(one.match(/<path class="roc-curve"/g)).toHaveLength(2);
  });

  it('draws a real-vs-fake score histogram per (model, test set)', () => {
    const hists = [...html.matchAll(/<svg class="score-histogram" data-testset="([^"]*)" data-model="([^"]*)"[\s\S]*?<\/svg>/g)];
    expect(hists.map((h) => `${h[1]}:${h[2]}`)).toEqual(['CDFv2:FSFM ViT-B', 'CDFv2:MAE ViT-B', 'DFDC:FSFM ViT-B']);
    const bins = strong.video.histogram.real.length;
    expect(hists[0][0].match(/class="hist-bar hist-real"/g)).toHaveLength(bins);
    expect(hists[0][0].match(/class="hist-bar hist-fake"/g)).toHaveLength(bins);
  });

  it('is self-contained: no http(s) URLs, no scripts, no external stylesheets', () => {
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).toContain('<style>');
  });

  it('states the label convention and the selection rule, and prints the summary cells', () => {
    expect(html).toContain('Label convention: score = P(fake), fake = 1.');
    expect(html).toMatch(/Checkpoint selection: <strong>source-val-loss<\/strong>/);
    expect(html).toContain('<td data-testset="CDFv2" data-model="FSFM ViT-B">100.00 / 93.75</td>');
    expect(html).toContain('Generated 2025-01-01');
    expect(html).toContain('bootstrap intervals (50 replicates, seed 1');
  });

  it('escapes every user string', () => {
    const evil = '<img src=x onerror="alert(1)">&\'';
    const page = renderHtmlReport([
      { model: evil, testSet: `${evil}set`, metrics: strong, selection: 'source-val-loss' },
    ], { title: evil, generatedAt: evil });
    expect(page).not.toContain('<img');
    expect(page).not.toContain('onerror="');
    expect(page).toContain(escapeHtml(evil));
    expect(page).toContain(`data-testset="${escapeHtml(`${evil}set`)}"`);
  });

  it('renders FAS sections with HTER and the live-positive TPR', () => {
    const page = renderHtmlReport([
      { model: 'FSFM ViT-B', testSet: 'MCIO→O', metrics: weak, selection: 'target', task: 'fas' },
    ]);
    expect(page).toContain('(face anti-spoofing)');
    expect(page).toContain('TPR@FPR=1% (live)');
    expect(page).toContain('<strong>target</strong>');
    expect(page.match(/<path class="roc-curve"/g)).toHaveLength(1);
  });

  it('is deterministic: equal input gives equal bytes', () => {
    expect(renderHtmlReport(ENTRIES, { title: 'Cross-dataset', generatedAt: '2025-01-01' })).toBe(html);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });
});

describe('training curves in the report', () => {
  const training = {
    pretrain: [1, 2, 3, 4].map((step) => ({ step, loss: 2 - step / 4, lRec: 1 - step / 8, lFr: 1, lCl: -step / 10 })),
    finetune: [
      { epoch: 0, step: 10, trainLoss: 0.69, valLoss: 0.7 },
      { epoch: 1, step: 20, trainLoss: 0.3, valLoss: 0.35 },
    ],
  };

  it('lists the pretraining losses by component and the finetuning train and validation loss per epoch', () => {
    const md = renderTrainingMarkdown(training).join('\n');
    expect(md).toContain('## Training curves');
    expect(md).toContain('steps | loss | L_rec | L_fr | L_cl');
    expect(md).toContain('1-1 | 1.7500 | 0.8750 | 1.0000 | -0.1000');
    expect(md).toContain('1 (20) | 0.3000 | 0.3500');
    const html = renderHtmlReport(ENTRIES, { training });
    expect(html).toContain('<section class="training"><h2>Training curves</h2>');
    expect(html).toContain('0 (10) | 0.6900 | 0.7000');
  });

  it('has no training section without curves', () => {
    expect(renderTrainingMarkdown(undefined)).toEqual([]);
    expect(renderHtmlReport(ENTRIES)).not.toContain('Training curves');
  });
});
