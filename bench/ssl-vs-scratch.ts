/**
 * bench/ssl-vs-scratch: does FSFM pretraining make a better detector than no pretraining, and than plain MAE?
 * The same finetune recipe (the pipeline's, preset `demo` by default) from three starting points, over several
 * seeds, evaluated on the held-out test split of the dataset (identities and photos unseen by both stages):
 *
 *   fsfm     CRFR-P masking, L_rec + λ_fr·L_fr + λ_cl·L_cl (the product's pretraining), then finetune
 *   mae      random masking, L_rec only (λ_fr = λ_cl = 0): the paper's MAE baseline, same model and steps
 *   scratch  finetune from random initialisation
 *
 *   npx tsx bench/ssl-vs-scratch.ts [--seeds 0,1,2] [--arms fsfm,mae,scratch] [--dataset DIR] [--preset demo|paper]
 *                                   [--pretrain-epochs N] [--finetune-epochs N] [--replicates 2000] [--out FILE.md]
 *
 * --dataset: an FF++-layout folder (default: the demo's sample set, generated into .state/demo like `make demo`).
 * Each (arm, seed) is one FsfmPipeline run on the embedded stack (Temporal dev server + a worker in this process,
 * store FSFM_STORE or .artifacts); prepare is shared, and scratch reuses fsfm's cached pretraining stage.
 * Reported: video and frame AUC per arm (mean over seeds; per-seed values), a 95% bootstrap CI of the seed-mean
 * video AUC (test videos resampled within each class, the same draw for every arm and seed), and the paired
 * differences between arms with their CI and the share of replicates where the difference is ≤ 0.
 *
 * Bigger machines: --preset paper with --pretrain-epochs/--finetune-epochs, more --seeds, a larger --dataset, and
 * FSFM_STORE / TEMPORAL_ADDRESS pointing at shared services with several workers (arms of one seed run one after
 * the other here; separate seeds can run as separate bench processes on separate workers).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { demoPipelineInput, demoSource } from '../cli/demo-input';
import type { EvaluateResult, FsfmPipelineResult } from '../lib/config';
import { aggregateByVideo, parseScoreRows } from '../lib/eval/aggregate';
import { createRng, percentileInterval } from '../lib/eval/bootstrap';
import { rocAuc } from '../lib/eval/metrics';
import { rankScores } from '../lib/eval/roc';
import { defaultStoreUri, openStore } from '../lib/store';
import { stateDir } from '../infra/paths';
import { startTemporal, stopService } from '../infra/services';
import { generateSampleDataset } from '../samples';
import { createWorkers } from '../workers/worker';
import { TASK_QUEUE_CPU } from '../workflows/common';

const ARMS = ['fsfm', 'mae', 'scratch'] as const;
type Arm = (typeof ARMS)[number];

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    arms: { type: 'string', default: ARMS.join(',') },
    dataset: { type: 'string' },
    preset: { type: 'string', default: 'demo' },
    'pretrain-epochs': { type: 'string' },
    'finetune-epochs': { type: 'string' },
    replicates: { type: 'string', default: '2000' },
    out: { type: 'string' },
  },
});

const seeds = values.seeds.split(',').map(Number);
const arms = values.arms.split(',') as Arm[];
for (const a of arms) if (!ARMS.includes(a)) throw new Error(`unknown arm ${a} (arms: ${ARMS.join(', ')})`);
const optionalInt = (v: string | undefined) => (v === undefined ? {} : { epochs: Number(v) });

/** The pipeline input of one (arm, seed): the demo's datasets (or --dataset), only the source's own test split. */
function armInput(arm: Arm, seed: number, root: string) {
  const base = demoPipelineInput(root, root);
  const pretrainConfig: Record<string, unknown> = { seed, model: { seed }, ...optionalInt(values['pretrain-epochs']) };
  if (arm === 'mae') {
    pretrainConfig.masking = { strategy: 'random' };
    pretrainConfig.model = { seed, lambdaFr: 0, lambdaCl: 0 };
  }
  const finetuneConfig: Record<string, unknown> = { seed, model: { seed }, ...optionalInt(values['finetune-epochs']) };
  if (arm === 'scratch') finetuneConfig.init = { from: 'scratch' };
  return {
    ...base,
    runId: `ssl-vs-scratch-${arm}-s${seed}`,
    preset: values.preset,
    datasets: { ...base.datasets, test: [] },
    pretrain: { config: pretrainConfig },
    finetune: { config: finetuneConfig },
    evaluate: { modelName: `${arm} seed ${seed}` },
  };
}

interface ArmRun {
  arm: Arm;
  seed: number;
  videoAuc: number;
  frameAuc: number;
  /** Video score by video id (mean of its frames' P(fake)). */
  videos: Map<string, { label: 0 | 1; score: number }>;
  seconds: number;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const t0 = Date.now();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const temporal = await startTemporal();
  const store = openStore(defaultStoreUri());
  const root = values.dataset ? path.resolve(values.dataset) : (await generateSampleDataset(demoSource(path.join(stateDir(), 'demo')))).root;
  const nativeConnection = await NativeConnection.connect({ address: temporal.info.address });
  const workers = await createWorkers({ queues: ['cpu', 'gpu'], store, connection: nativeConnection, namespace: 'default' });
  const running = workers.map((w) => w.run());
  const connection = await Connection.connect({ address: temporal.info.address });
  const runs: ArmRun[] = [];
  try {
    const client = new Client({ connection });
    for (const seed of seeds) {
      for (const arm of arms) {
        const started = Date.now();
        const input = armInput(arm, seed, root);
        const workflowId = `${input.runId}-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`;
        console.log(`[bench] ${arm} seed ${seed}: FsfmPipeline ${workflowId}`);
        const result = (await client.workflow.execute('FsfmPipeline', { taskQueue: TASK_QUEUE_CPU, workflowId, args: [input] })) as FsfmPipelineResult;
        const evaluation = result.stages.evaluate.result as EvaluateResult;
        const testSet = evaluation.testSets[0];
        const rows = parseScoreRows((await store.get(testSet.scoresKey)).toString('utf8'));
        const videos = new Map(aggregateByVideo(rows).map((v) => [v.group, { label: (v.label === 'fake' ? 1 : 0) as 0 | 1, score: v.score }]));
        const run = { arm, seed, videoAuc: testSet.videoAuc, frameAuc: testSet.frameAuc, videos, seconds: (Date.now() - started) / 1000 };
        runs.push(run);
        console.log(`[bench] ${arm} seed ${seed}: video AUC ${pct(run.videoAuc)}, frame AUC ${pct(run.frameAuc)} (${run.seconds.toFixed(0)} s)`);
      }
    }
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.allSettled(running);
    await connection.close();
    await nativeConnection.close();
    if (temporal.started) await stopService('temporal');
  }
  const table = summarize(runs, Number(values.replicates));
  const header = [
    `bench/ssl-vs-scratch, ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}`,
    `dataset ${values.dataset ?? 'the demo sample set'}, preset ${values.preset}, seeds ${seeds.join(',')}, wall ${((Date.now() - t0) / 60000).toFixed(1)} min`,
    '',
  ];
  const text = [...header, ...table].join('\n');
  console.log(`\n${text}`);
  if (values.out) await writeFile(values.out, `${text}\n`);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}`;
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Video AUC of `runs` (one per seed) averaged over seeds, on the videos `pick` resamples. */
function seedMeanAuc(runs: readonly ArmRun[], ids: readonly string[]): number {
  return mean(
    runs.map((r) => {
      const scores = ids.map((id) => r.videos.get(id)!.score);
      const labels = ids.map((id) => r.videos.get(id)!.label);
      return rocAuc(rankScores(scores, labels));
    }),
  );
}

/** The Markdown table: per arm, then per pair of arms, with stratified paired bootstrap CIs over test videos. */
export function summarize(runs: readonly ArmRun[], replicates: number): string[] {
  const byArm = new Map<Arm, ArmRun[]>();
  for (const r of runs) byArm.set(r.arm, [...(byArm.get(r.arm) ?? []), r]);
  const present = ARMS.filter((a) => byArm.has(a));
  const ids = [...runs[0].videos.keys()].filter((id) => runs.every((r) => r.videos.has(id)));
  const real = ids.filter((id) => runs[0].videos.get(id)!.label === 0);
  const fake = ids.filter((id) => runs[0].videos.get(id)!.label === 1);
  const rng = createRng(20261129);
  const draw = (xs: string[]) => xs.map(() => xs[Math.floor(rng() * xs.length)]);
  const boot = new Map<Arm, number[]>(present.map((a) => [a, []]));
  for (let b = 0; b < replicates; b++) {
    const sample = [...draw(real), ...draw(fake)];
    for (const a of present) boot.get(a)!.push(seedMeanAuc(byArm.get(a)!, sample));
  }
  const lines = [
    `Test: ${real.length} real + ${fake.length} fake held-out videos; 95% CIs from ${replicates} stratified bootstrap draws of the test videos (the same draws for every arm).`,
    '',
    '| arm | video AUC, mean over seeds [95% CI] | per seed | frame AUC, mean | verdict |',
    '|---|---|---|---|---|',
  ];
  for (const a of present) {
    const rs = byArm.get(a)!;
    const ci = percentileInterval(boot.get(a)!, 0.95);
    const verdict = ci.low <= 0.5 ? 'not better than chance' : 'better than chance';
    lines.push(`| ${a} | ${pct(mean(rs.map((r) => r.videoAuc)))} [${pct(ci.low)}, ${pct(ci.high)}] | ${rs.map((r) => `s${r.seed}: ${pct(r.videoAuc)}`).join(', ')} | ${pct(mean(rs.map((r) => r.frameAuc)))} | ${verdict} |`);
  }
  lines.push('', '| difference | video AUC points, mean over seeds [95% CI] | share of draws ≤ 0 |', '|---|---|---|');
  for (const [a, b] of [['fsfm', 'scratch'], ['fsfm', 'mae'], ['mae', 'scratch']] as const) {
    if (!byArm.has(a) || !byArm.has(b)) continue;
    const diffs = boot.get(a)!.map((x, i) => x - boot.get(b)![i]);
    const point = mean(byArm.get(a)!.map((r) => r.videoAuc)) - mean(byArm.get(b)!.map((r) => r.videoAuc));
    const ci = percentileInterval(diffs, 0.95);
    lines.push(`| ${a} − ${b} | ${pct(point)} [${pct(ci.low)}, ${pct(ci.high)}] | ${(diffs.filter((d) => d <= 0).length / diffs.length).toFixed(3)} |`);
  }
  return lines;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`[bench] ${(err as Error).message}`);
    process.exit(1);
  });
}
