/** The sweep table: mean ± Student t interval over seeds (hand-computed), failed points, the leave-one-out average. */
import { describe, expect, it } from 'vitest';
import type { SweepPointResult } from '../../../lib/config';
import type { EvalMetrics } from '../../../lib/eval';
import { meanCi, renderSweepHtml, studentTQuantile, sweepMarkdown, sweepTable } from '../../../lib/sweep';

/** Metrics with just what the table reads. */
const m = (auc: number, hter: number, tpr: number) => ({ video: { auc, eer: hter }, frame: { auc: auc - 0.1 }, fas: { hter, auc, liveTprAtAttackFpr1pct: tpr } }) as unknown as EvalMetrics;
const point = (index: number, group: string, seed: number, status: 'completed' | 'failed' = 'completed'): SweepPointResult => ({
  index, group, seed, label: `${group} seed=${seed}`, values: {}, workflowId: `w-p${index}`, status, ...(status === 'failed' ? { error: 'finetune: no faces in split nosuch' } : {}),
});

describe('sweep table', () => {
  it("Student t quantiles match the printed table (df 1, 2, 10, 30 at 97.5%)", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0423, 3);
    expect(studentTQuantile(0.95, 4)).toBeCloseTo(2.1318, 3);
  });

  it('a cell is the mean over seeds ± t(0.975, n-1) · sd / sqrt(n); one seed has no interval', () => {
    const c = meanCi([0.8, 0.9], 0.95);
    expect(c.mean).toBeCloseTo(0.85, 12);
    // sd = 0.0707107, sd/sqrt(2) = 0.05, × 12.7062
    expect(c.halfWidth!).toBeCloseTo(0.635310, 5);
    const three = meanCi([0.6, 0.7, 0.95], 0.95);
    // mean 0.75, sd 0.180278, /sqrt(3) = 0.104083, × 4.302653
    expect(three.halfWidth!).toBeCloseTo(0.447834, 5);
    expect(meanCi([0.7], 0.95)).toEqual({ mean: 0.7, halfWidth: null, n: 1, values: [0.7] });
  });

  it('averages each group over its completed seeds, counts failed points, and adds the per-seed average row', () => {
    const points = [point(0, 'target=casia', 0), point(1, 'target=msu', 0), point(2, 'target=casia', 1), point(3, 'target=msu', 1, 'failed')];
    const metrics = new Map([
      [0, { target: m(0.9, 0.1, 0.5) }],
      [1, { target: m(0.7, 0.3, 0.2) }],
      [2, { target: m(0.8, 0.2, 0.4) }],
    ]);
    const rows = sweepTable(points, metrics, 'fas', { testSets: ['target'], confidence: 0.95, average: true });
    expect(rows.map((r) => [r.group, r.seeds, r.failed])).toEqual([
      ['target=casia', [0, 1], 0],
      ['target=msu', [0], 1],
      ['average', [0], 1],
    ]);
    expect(rows[0].cells.hter.mean).toBeCloseTo(0.15, 12);
    expect(rows[0].cells.hter.halfWidth!).toBeCloseTo(12.7062 * 0.05, 3);
    expect(rows[1].cells.auc).toMatchObject({ mean: 0.7, halfWidth: null, n: 1 });
    // Seed 0 is the only seed both protocols completed: (0.1 + 0.3) / 2.
    expect(rows[2].cells.hter.mean).toBeCloseTo(0.2, 12);
    expect(rows[2].cells.tprAtFpr1pct.mean).toBeCloseTo(0.35, 12);
    const md = sweepMarkdown(rows, 'fas', 0.95);
    expect(md).toContain('| target=casia | target | 15.00 ± 63.53 | 85.00 ± 63.53 | 45.00 ± 63.53 | 0, 1 | 0 |');
    expect(md).toContain('| HTER (%) | AUC (%) | TPR@FPR=1% (%) |');
  });

  it('renders a self-contained page: the table, a chart per metric, the failed point with its cause', () => {
    const points = [point(0, 'strategy=random', 0), point(1, 'strategy=crfr-p', 0, 'failed')];
    const rows = sweepTable(points, new Map([[0, { 'sample-test': m(0.6, 0.4, 0.1) }]]), 'deepfake', { testSets: null, confidence: 0.95, average: false });
    const html = renderSweepHtml({ title: 'sweep t', axes: { strategy: ['random', 'crfr-p'], seed: [0] }, seedScope: 'all', kind: 'deepfake', confidence: 0.95, rows, points, analysis: { summaries: [], note: 'disabled' } });
    expect(html).toContain('<tr class="sweep-row" data-group="strategy=random" data-testset="sample-test">');
    expect(html.match(/<svg class="sweep-chart"/g)).toHaveLength(3);
    expect(html).toContain('failed: finetune: no faces in split nosuch');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toMatch(/<script|<link/);
  });
});
