/**
 * A sweep input -> what the FsfmSweep workflow runs: the points (each an FsfmPipeline input, validated), the
 * distinct PrepareDataset inputs every point's pipeline would start (run once, up front, so concurrent points find
 * their faces prepared), and how the report reads the metrics.
 */
import type { FsfmSweepInput, SweepMetricsKind } from '../config/sweep';
import { FsfmPipelineInput } from '../config/pipeline';
import { canonicalJson } from '../stage/keys.js';
import { duplicatePoints, expandGrid, formatValue, getPath, gridAxes, SEED_PATHS, type GridSpec, type SweepAxis, type SweepPoint } from './grid.js';

/** A point and what names its pretraining: the values of the axes that change it (the seed too, if it seeds it). */
export type SweepPlanPoint = SweepPoint & { pretrainLabel: string };

export interface SweepPlan {
  points: SweepPlanPoint[];
  /** PrepareDataset inputs, each once, in the order the pipelines would start them. */
  prepareJobs: Array<Record<string, unknown>>;
  metrics: SweepMetricsKind;
  /** Test sets the table shows; null: every test set of every point. */
  testSets: string[] | null;
  problems: Array<{ path: (string | number)[]; message: string }>;
}

/** The base and grid after `leaveOneOut` is spelled out as a base change and a linked axis named `target`. */
export function withLeaveOneOut(input: Pick<FsfmSweepInput, 'base' | 'grid' | 'leaveOneOut'>): { base: Record<string, unknown>; grid: GridSpec } {
  const lo = input.leaveOneOut;
  if (!lo) return { base: input.base, grid: input.grid };
  const base = structuredClone(input.base);
  const datasets = { ...((base.datasets ?? {}) as Record<string, unknown>) };
  const test = [...((datasets.test ?? []) as unknown[])];
  const k = test.length;
  // The target's test faces as a test set of their own: the same folder restricted to one domain's test split.
  test.push({ name: lo.testSetName, dataset: { ...lo.dataset.dataset, mcioDomains: [lo.targets[0]], splits: ['test'] }, prepare: lo.dataset.prepare, maxVideos: lo.dataset.maxVideos });
  datasets.train = lo.dataset;
  datasets.test = test;
  base.datasets = datasets;
  const finetune = { ...((base.finetune ?? {}) as Record<string, unknown>) };
  finetune.preset ??= 'fas';
  // The train set's own test split mixes the target's faces with the source faces the fas recipe selects on.
  base.evaluate = { trainTestSplit: false, ...((base.evaluate ?? {}) as object) };
  if (base.preset === 'demo' && finetune.preset !== 'demo') {
    // The fas preset's model is the paper's ViT; the demo pipeline pretrains the demo model.
    const config = { ...((finetune.config ?? {}) as Record<string, unknown>) };
    config.model = { preset: 'demo', ...((config.model ?? {}) as object) };
    finetune.config = config;
  }
  base.finetune = finetune;
  const target: SweepAxis = { name: 'target', paths: ['finetune.config.data.targetDomain', `datasets.test.${k}.dataset.mcioDomains.0`], values: lo.targets };
  return { base, grid: { ...input.grid, axes: [target, ...input.grid.axes] } };
}

export function planSweep(input: FsfmSweepInput): SweepPlan {
  const problems: SweepPlan['problems'] = [];
  const { base, grid } = withLeaveOneOut(input);
  const axes = gridAxes(grid);
  const paths = [...axes.flatMap((a) => a.paths.map((p) => ({ p, by: a.name }))), ...SEED_PATHS[input.seedScope].map((p) => ({ p, by: 'seed' }))];
  for (const [i, { p, by }] of paths.entries()) {
    const clash = paths.findIndex((o, j) => j !== i && (o.p === p || o.p.startsWith(`${p}.`) || p.startsWith(`${o.p}.`)));
    if (clash >= 0 && clash > i) problems.push({ path: ['grid'], message: `axes ${by} and ${paths[clash].by} both set ${p === paths[clash].p ? p : `${p} / ${paths[clash].p}`}` });
  }
  const pretrainAxes = axes.filter((a) => a.paths.some((p) => p.startsWith('pretrain.config.')));
  if (getPath(base, 'pretrain.checkpoint') !== undefined && (pretrainAxes.length || input.seedScope === 'all')) {
    const what = pretrainAxes.length ? `axis ${pretrainAxes[0].name}` : "seedScope 'all'";
    problems.push({ path: ['base', 'pretrain', 'checkpoint'], message: `base.pretrain.checkpoint skips pretraining, so ${what} would change nothing: drop the checkpoint or the axis (seedScope 'finetune' for seeds)` });
  }
  if (problems.length) return { points: [], prepareJobs: [], metrics: 'deepfake', testSets: null, problems };

  const pretrainNaming = axes.filter((a) => a.paths.some((p) => /^(pretrain\.|datasets\.pretrain|preset$)/.test(p)));
  const points = expandGrid(base, grid, input.seedScope).map((p) => {
    const parts = pretrainNaming.map((a) => `${a.name}=${formatValue(p.values[a.name])}`);
    if (input.seedScope === 'all') parts.push(`seed=${p.seed}`);
    return { ...p, pretrainLabel: parts.join(' ') || 'pretrained' };
  });
  const jobs = new Map<string, Record<string, unknown>>();
  for (const point of points) {
    const r = FsfmPipelineInput.safeParse(point.input);
    if (!r.success) {
      // One message per distinct problem, naming the first point that has it (every point shares the base).
      for (const issue of r.error.issues) {
        const message = `${issue.path.map(String).join('.')}: ${issue.message}`;
        if (!problems.some((p) => p.message.endsWith(message))) problems.push({ path: ['points', point.index], message: `${point.label}: ${message}` });
      }
      continue;
    }
    for (const job of prepareJobsOf(r.data)) jobs.set(canonicalJson(job), job);
  }
  for (const [a, b] of duplicatePoints(points)) {
    problems.push({ path: ['grid'], message: `points "${a.label}" and "${b.label}" are the same pipeline (an axis value changes nothing)` });
  }
  const finetunePreset = getPath(base, 'finetune.preset');
  const metrics: SweepMetricsKind = input.report.metrics === 'auto' ? (finetunePreset === 'fas' ? 'fas' : 'deepfake') : input.report.metrics;
  const testSets = input.report.testSets ?? (input.leaveOneOut ? [input.leaveOneOut.testSetName] : null);
  return { points, prepareJobs: [...jobs.values()], metrics, testSets, problems };
}

/**
 * The PrepareDataset inputs FsfmPipeline starts for a (validated) input: one per dataset and purpose. Keep in step
 * with workflows/pipeline.ts, which builds the same objects (a workflow cannot import this module).
 */
export function prepareJobsOf(input: FsfmPipelineInput): Array<Record<string, unknown>> {
  const jobs = [
    ...input.datasets.pretrain.map((spec) => ({ spec, purpose: 'pretrain' })),
    { spec: input.datasets.train, purpose: 'finetune' },
    ...input.datasets.test.map((spec) => ({ spec, purpose: 'test' })),
  ];
  return jobs.map(({ spec, purpose }) => ({
    dataset: spec.dataset,
    prepare: { ...spec.prepare, purpose },
    maxVideos: spec.maxVideos,
    parallelism: input.prepare.parallelism,
    force: input.force.includes('prepare'),
  }));
}

