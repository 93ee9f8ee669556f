/**
 * The sweep's paper-style table: one row per (point without its seed, test set), each metric as the mean over the
 * seeds that completed ± the half-width of Student's t interval of that mean (none with one seed).
 */
import type { SweepMetricsKind, SweepPointResult, SweepTableCell, SweepTableRow } from '../config/sweep';
import type { EvalMetrics } from '../eval/evaluate.js';

export interface SweepMetric {
  key: string;
  label: string;
  /** Lower is better (HTER, EER). */
  lowerIsBetter: boolean;
  read: (m: EvalMetrics) => number;
}

export const SWEEP_METRICS: Record<SweepMetricsKind, SweepMetric[]> = {
  deepfake: [
    { key: 'videoAuc', label: 'video AUC', lowerIsBetter: false, read: (m) => m.video.auc },
    { key: 'frameAuc', label: 'frame AUC', lowerIsBetter: false, read: (m) => m.frame.auc },
    { key: 'eer', label: 'video EER', lowerIsBetter: true, read: (m) => m.video.eer },
  ],
  fas: [
    { key: 'hter', label: 'HTER', lowerIsBetter: true, read: (m) => m.fas.hter },
    { key: 'auc', label: 'AUC', lowerIsBetter: false, read: (m) => m.fas.auc },
    { key: 'tprAtFpr1pct', label: 'TPR@FPR=1%', lowerIsBetter: false, read: (m) => m.fas.liveTprAtAttackFpr1pct },
  ],
};

/** The row that averages every group per seed (the MCIO protocols' "Avg."). */
export const AVERAGE_GROUP = 'average';

/** Mean and t-interval half-width of values (independent seeds). */
export function meanCi(values: readonly number[], confidence: number): SweepTableCell {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, n);
  if (n < 2) return { mean, halfWidth: null, n, values: [...values] };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, halfWidth: studentTQuantile(1 - (1 - confidence) / 2, n - 1) * (sd / Math.sqrt(n)), n, values: [...values] };
}

/**
 * Table rows from the completed points' metrics (point index -> test set -> metrics). Rows keep the points' order;
 * `average` adds, per test set, a row whose value for each seed is the mean over the groups (only seeds every
 * group completed count).
 */
export function sweepTable(
  points: readonly SweepPointResult[],
  metricsOf: ReadonlyMap<number, Readonly<Record<string, EvalMetrics>>>,
  kind: SweepMetricsKind,
  options: { testSets: readonly string[] | null; confidence: number; average: boolean },
): SweepTableRow[] {
  const metrics = SWEEP_METRICS[kind];
  const rows = new Map<string, { group: string; testSet: string; bySeed: Map<number, EvalMetrics>; failed: number }>();
  const groups: string[] = [];
  const testSets: string[] = [];
  // A failed point counts against every test set the others were scored on (or the requested ones).
  const known = options.testSets ?? [...new Set(points.flatMap((p) => (p.status === 'completed' ? Object.keys(metricsOf.get(p.index) ?? {}) : [])))];
  for (const p of points) {
    if (!groups.includes(p.group)) groups.push(p.group);
    const sets = metricsOf.get(p.index) ?? {};
    const names = p.status === 'completed' ? Object.keys(sets) : known;
    for (const t of names) {
      if (options.testSets && !options.testSets.includes(t)) continue;
      if (!testSets.includes(t)) testSets.push(t);
      const id = JSON.stringify([p.group, t]);
      const row = rows.get(id) ?? { group: p.group, testSet: t, bySeed: new Map(), failed: 0 };
      rows.set(id, row);
      if (p.status === 'completed' && sets[t]) row.bySeed.set(p.seed, sets[t]);
      else row.failed++;
    }
  }
  const cellsOf = (bySeed: Map<number, EvalMetrics>) => Object.fromEntries(metrics.map((m) => [m.key, meanCi([...bySeed.values()].map(m.read), options.confidence)]));
  const out: SweepTableRow[] = [];
  for (const t of testSets) {
    for (const g of groups) {
      const row = rows.get(JSON.stringify([g, t]));
      if (row) out.push({ group: g, testSet: t, seeds: [...row.bySeed.keys()], failed: row.failed, cells: cellsOf(row.bySeed) });
    }
    if (options.average && groups.length > 1) {
      const ofSet = groups.map((g) => rows.get(JSON.stringify([g, t]))).filter((r) => r !== undefined);
      const seeds = [...new Set(ofSet.flatMap((r) => [...r.bySeed.keys()]))].filter((s) => ofSet.length === groups.length && ofSet.every((r) => r.bySeed.has(s)));
      const cells = Object.fromEntries(
        metrics.map((m) => [m.key, meanCi(seeds.map((s) => ofSet.reduce((a, r) => a + m.read(r.bySeed.get(s)!), 0) / ofSet.length), options.confidence)]),
      );
      out.push({ group: AVERAGE_GROUP, testSet: t, seeds, failed: ofSet.reduce((a, r) => a + r.failed, 0), cells });
    }
  }
  return out;
}

/** `12.34 ± 5.67` in percent (± omitted with one seed; `-` with none). */
export function cellText(c: SweepTableCell | undefined): string {
  if (!c || c.n === 0) return '-';
  return `${(c.mean * 100).toFixed(2)}${c.halfWidth === null ? '' : ` ± ${(c.halfWidth * 100).toFixed(2)}`}`;
}

/** Markdown table of the rows. */
export function sweepMarkdown(rows: readonly SweepTableRow[], kind: SweepMetricsKind, confidence: number): string {
  const metrics = SWEEP_METRICS[kind];
  const lines = [
    `| point | test set | ${metrics.map((m) => `${m.label} (%)`).join(' | ')} | seeds | failed |`,
    `|---|---|${metrics.map(() => '---|').join('')}---|---|`,
    ...rows.map((r) => `| ${r.group} | ${r.testSet} | ${metrics.map((m) => cellText(r.cells[m.key])).join(' | ')} | ${r.seeds.join(', ') || '-'} | ${r.failed} |`),
    '',
    `Mean over seeds ± half-width of the ${Math.round(confidence * 100)}% Student t interval of the mean (no interval with one seed).`,
  ];
  return `${lines.join('\n')}\n`;
}

// ---- Student's t quantile (two-sided intervals need t_{1-α/2, n-1}).

/** ln Γ(x) (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0];
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised incomplete beta I_x(a, b) by its continued fraction (Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x)) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 300; i++) {
    const m = Math.floor(i / 2);
    const num = i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-14) break;
  }
  return front * (f - 1);
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with df degrees of freedom (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`t quantile needs 0 < p < 1 and df > 0 (p ${p}, df ${df})`);
  let lo = -1e4;
  let hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
