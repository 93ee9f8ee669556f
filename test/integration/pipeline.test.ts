import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { FsfmPipelineResult, FsfmSweepResult } from '../../lib/config';
import { FileStore } from '../../lib/store';
import { repoRoot } from '../../infra/paths';
import { generateMcioSample, generateSampleDataset } from '../../samples';
import { TASK_QUEUE_CPU } from '../../workflows/common';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const run = promisify(execFile);
const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-pipe-'));
const suffix = `-pipe-${crypto.randomBytes(3).toString('hex')}`;
const storeDir = path.join(dir, 'store');
const env = { TEMPORAL_ADDRESS: temporal.address, FSFM_TASK_QUEUE_SUFFIX: suffix, FSFM_STORE: `file://${storeDir}` };
let worker: WorkerProcess | undefined;
let connection: Connection;
let client: Client;
let root: string;

beforeAll(async () => {
  root = (await generateSampleDataset({ out: path.join(dir, 'ffpp'), identities: 6, seconds: 1, fps: 8 })).root;
  worker = await startWorkerProcess(env);
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
});

afterAll(async () => {
  await worker?.kill();
  await connection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const config = (finetuneEpochs = 1) => ({
  preset: 'demo',
  datasets: {
    pretrain: [{ name: 'sample', dataset: { root, format: 'ffpp', methods: ['Deepfakes'] }, prepare: { framesPerRealVideo: 4, face: { upsample: 0 } } }],
    train: { name: 'sample', dataset: { root, format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] }, prepare: { framesPerRealVideo: 4, framesPerFakeVideo: 2, face: { upsample: 0 } } },
  },
  pretrain: { config: { maxSteps: 6, checkpointEverySteps: 2 }, heartbeatTimeoutS: 8 },
  finetune: { config: { epochs: finetuneEpochs, warmupEpochs: 0.5 } },
});

async function cli(args: string[], input: object, command = ['run', 'FsfmPipeline']): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, `pipeline-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  return run(path.join(repoRoot, 'cli', 'fsfm.cjs'), [...command, '--input', file, ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

const statuses = (r: FsfmPipelineResult) => ({
  prepare: r.stages.prepare.map((s) => s.status),
  pretrain: r.stages.pretrain.status,
  finetune: r.stages.finetune.status,
  evaluate: r.stages.evaluate.status,
});

describe('FsfmPipeline', () => {
  it('runs every stage, survives a worker killed mid-pretrain, then skips unchanged stages and re-runs only what changed', async () => {
    const started = await cli(['--json'], config());
    expect(started.code).toBe(0);
    const handle = client.workflow.getHandle((JSON.parse(started.stdout) as { workflowId: string }).workflowId);
    const store = new FileStore(storeDir);
    const deadline = Date.now() + 300_000;
    while (!(await store.list('runs/')).some((o) => /\/pretrain\/ckpt\/0+[2-9]\/_MANIFEST\.json$/.test(o.key))) {
      if (Date.now() > deadline) throw new Error(`no pretraining checkpoint in time:\n${worker!.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await worker!.kill('SIGKILL');
    worker = await startWorkerProcess(env);
    const first = (await handle.result()) as FsfmPipelineResult;
    expect(statuses(first)).toEqual({ prepare: ['ran', 'ran'], pretrain: 'ran', finetune: 'ran', evaluate: 'ran' });
    expect(first.metrics.map((m) => m.testSet)).toEqual(['sample-test']);
    expect(first.metrics[0].faces).toBeGreaterThan(0);
    expect((await store.get(first.reportMarkdownKey!)).toString()).toContain('sample-test');

    const second = await cli(['--wait', '--json'], config());
    expect(second.code).toBe(0);
    const again = (JSON.parse(second.stdout) as { result: FsfmPipelineResult }).result;
    expect(statuses(again)).toEqual({ prepare: ['cached', 'cached'], pretrain: 'cached', finetune: 'cached', evaluate: 'cached' });
    expect(again.reportHtmlKey).toBe(first.reportHtmlKey);

    const third = await cli(['--wait', '--json'], config(2));
    expect(third.code).toBe(0);
    const changed = (JSON.parse(third.stdout) as { result: FsfmPipelineResult }).result;
    expect(statuses(changed)).toEqual({ prepare: ['cached', 'cached'], pretrain: 'cached', finetune: 'ran', evaluate: 'ran' });
    expect(changed.stages.pretrain.checkpointKey).toBe(first.stages.pretrain.checkpointKey);
  });

  it('rejects an invalid config before any activity runs, with a readable message', async () => {
    const bad = { ...config(), finetune: { config: { epochs: 0 } } };
    const viaCli = await cli(['--wait'], bad);
    expect(viaCli.code).toBe(2);
    expect(viaCli.stderr).toMatch(/finetune.*epochs/);

    // Started without the CLI's check (as from the UI): the workflow fails at validation, with no activity scheduled.
    const h = await client.workflow.start('FsfmPipeline', { taskQueue: TASK_QUEUE_CPU + suffix, workflowId: `bad-pipeline-${Date.now()}`, args: [bad] });
    await expect(h.result()).rejects.toThrow();
    const events = (await h.fetchHistory()).events ?? [];
    expect(events.some((e) => e.activityTaskScheduledEventAttributes || e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    const failure = events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
    expect(failure?.message).toMatch(/finetune.*epochs/);
  });
});

// Reuses this file's worker and store: the sweep's base is the pipeline above, so its faces are already prepared.
describe('FsfmSweep', () => {
  const sweepInput = (seeds: number[], extra: Record<string, unknown> = {}) => ({
    base: config(),
    grid: { strategy: ['crfr-p', 'random'], seeds },
    seedScope: 'finetune',
    analyze: { faces: 4, mapFaces: 1 },
    ...extra,
  });
  const sweep = async (input: object): Promise<FsfmSweepResult> => {
    const r = await cli(['--wait', '--json'], input, ['sweep']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { result: FsfmSweepResult }).result;
  };
  const stages = (r: FsfmSweepResult) => r.points.map((p) => [p.label, p.stages && [p.stages.pretrain, p.stages.finetune, p.stages.evaluate]]);
  /** Committed sets under runs/ (every trainer, evaluation and analysis commits one), less the sweeps' own reports. */
  const runSets = async () => (await new FileStore(storeDir).list('runs/')).map((o) => o.key).filter((k) => k.endsWith('_MANIFEST.json') && !k.includes('/sweep/')).sort();

  it('runs a grid with shared stages and reports it; an identical sweep runs nothing; an added seed runs only its points; the report draws offline', async () => {
    const first = await sweep(sweepInput([0]));
    expect(first.completed).toBe(2);
    expect(stages(first)).toEqual([
      ['strategy=crfr-p seed=0', ['ran', 'ran', 'ran']],
      ['strategy=random seed=0', ['ran', 'ran', 'ran']],
    ]);
    expect(first.points.every((p) => p.stages!.prepare.every((s) => s === 'cached'))).toBe(true);
    expect(first.analysis.status).toBe('ran');
    expect(first.table.map((r) => [r.group, r.testSet, r.seeds])).toEqual([
      ['strategy=crfr-p', 'sample-test', [0]],
      ['strategy=random', 'sample-test', [0]],
    ]);
    const setsAfterFirst = await runSets();

    const again = await sweep(sweepInput([0]));
    expect(again.stageCounts.ran).toBe(0);
    expect(stages(again)).toEqual(stages(first).map(([label]) => [label, ['cached', 'cached', 'cached']]));
    expect(again.analysis.status).toBe('cached');
    expect(again.table).toEqual(first.table);
    expect(await runSets()).toEqual(setsAfterFirst);

    const seeded = await sweep(sweepInput([0, 1]));
    expect(stages(seeded)).toEqual([
      ['strategy=crfr-p seed=0', ['cached', 'cached', 'cached']],
      ['strategy=random seed=0', ['cached', 'cached', 'cached']],
      ['strategy=crfr-p seed=1', ['cached', 'ran', 'ran']],
      ['strategy=random seed=1', ['cached', 'ran', 'ran']],
    ]);
    expect(seeded.stageCounts.ran).toBe(4);
    expect(seeded.analysis.status).toBe('cached');
    expect(seeded.table.map((r) => [r.group, r.seeds, r.cells.videoAuc.n, r.cells.videoAuc.halfWidth === null])).toEqual([
      ['strategy=crfr-p', [0, 1], 2, false],
      ['strategy=random', [0, 1], 2, false],
    ]);

    // The report opens offline in headless Chromium with the table, the metric charts and the attention plots drawn.
    const html = (await new FileStore(storeDir).get(seeded.reportHtmlKey)).toString('utf8');
    const browser = await chromium.launch({ executablePath: process.env.FSFM_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const file = path.join(dir, 'sweep-report.html');
      fs.writeFileSync(file, html);
      await page.goto(`file://${file}`);
      expect(requests.filter((u) => u !== `file://${file}` && !u.startsWith('data:'))).toEqual([]);
      expect(await page.locator('table.sweep-table tr.sweep-row').count()).toBe(2);
      const drawn = async (selector: string) => (await page.locator(selector).evaluateAll((els) => els.filter((e) => e.getBoundingClientRect().width > 0).length));
      expect(await drawn('svg.sweep-chart circle.sweep-mean')).toBe(6);
      expect(await drawn('svg.attention-distance-chart')).toBe(2);
      expect(await drawn('svg.attention-distance-chart circle.head-dot')).toBeGreaterThan(0);
      expect(await drawn('svg.kl-divergence-chart polyline.kl-line')).toBe(2);
      expect(await drawn('svg.attention-overlay rect.attention-cell')).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  });

  it('finishes the other points when one fails, and names the cause', async () => {
    // The first value adds nothing to the base (it has no test sets), so that point is the first sweep's: all cached.
    const missing = path.join(dir, 'no-such-dataset');
    const tests = { name: 'tests', paths: ['datasets.test'], values: [[], [{ name: 'gone', dataset: { root: missing, format: 'ffpp' } }]] };
    const r = await sweep(sweepInput([0], { grid: { strategy: ['crfr-p'], seeds: [0], axes: [tests] }, analyze: { enabled: false } }));
    expect(r.points.map((p) => [p.status, p.stages && [p.stages.pretrain, p.stages.finetune, p.stages.evaluate]])).toEqual([
      ['completed', ['cached', 'cached', 'cached']],
      ['failed', undefined],
    ]);
    expect(r.points[1].error).toContain(missing);
    expect(r.completed).toBe(1);
    expect(r.table.map((t) => [t.group, t.seeds, t.failed])).toEqual([
      ['strategy=crfr-p tests=[]', [0], 0],
      [`strategy=crfr-p tests=${JSON.stringify(tests.values[1])}`, [], 1],
    ]);
    const md = (await new FileStore(storeDir).get(r.reportMarkdownKey)).toString('utf8');
    expect(md).toContain(`Failed points:\n- ${r.points[1].label}: ${r.points[1].error}`);
  });

  it('runs MCIO leave-one-out protocols from one input (targets x seeds) and reports HTER, AUC, TPR@FPR=1% per protocol and on average', async () => {
    const mcio = await generateMcioSample({ outDir: path.join(dir, 'mcio'), sizePx: 160, identities: 6 });
    const set = { name: 'mcio', dataset: { root: mcio.root, format: 'mcio' } };
    // Pretraining as the first test's pipeline (cached); the fas recipe shrunk to 2 iterations of 2 + 2 faces per domain.
    const r = await sweep({
      base: { preset: 'demo', datasets: { pretrain: config().datasets.pretrain }, pretrain: config().pretrain, finetune: { config: { epochs: 1, checkpointEverySteps: 2, data: { iterationsPerEpoch: 2, perDomain: { real: 2, fake: 2 } } } } },
      leaveOneOut: { dataset: set, targets: ['casia', 'oulu'] },
      grid: { seeds: [0, 1] },
      seedScope: 'finetune',
      analyze: { enabled: false },
    });
    expect(r.metrics).toBe('fas');
    expect(r.points.map((p) => [p.label, p.status, p.stages?.pretrain])).toEqual([
      ['target=casia seed=0', 'completed', 'cached'],
      ['target=oulu seed=0', 'completed', 'cached'],
      ['target=casia seed=1', 'completed', 'cached'],
      ['target=oulu seed=1', 'completed', 'cached'],
    ]);
    expect(r.table.map((t) => [t.group, t.testSet, t.seeds])).toEqual([
      ['target=casia', 'target', [0, 1]],
      ['target=oulu', 'target', [0, 1]],
      ['average', 'target', [0, 1]],
    ]);
    for (const key of ['hter', 'auc', 'tprAtFpr1pct']) {
      for (const row of r.table) {
        expect(row.cells[key].n).toBe(2);
        expect(row.cells[key].halfWidth).not.toBeNull();
        for (const v of row.cells[key].values) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
      }
      // The average row per seed is the mean of the two protocols' values of that seed.
      const [casia, oulu, average] = r.table;
      average.cells[key].values.forEach((v, s) => expect(v).toBeCloseTo((casia.cells[key].values[s] + oulu.cells[key].values[s]) / 2, 12));
    }
    // Each protocol scored its target domain's test faces only: 2 identities x (real + attack) videos of that domain.
    const store = new FileStore(storeDir);
    const target = JSON.parse((await store.get(r.points[1].metricsKeys!.target)).toString('utf8')) as { video: { nReal: number; nFake: number } };
    expect(target.video).toMatchObject({ nReal: mcio.counts.oulu.test.real / 2, nFake: mcio.counts.oulu.test.fake / 2 });
    const md = (await store.get(r.reportMarkdownKey)).toString('utf8');
    expect(md).toContain('| point | test set | HTER (%) | AUC (%) | TPR@FPR=1% (%) | seeds | failed |');
    expect(md).toMatch(/\| average \| target \| \d+\.\d\d ± \d+\.\d\d \|/);
  });
});
