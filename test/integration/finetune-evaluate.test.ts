import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AnalyzeResult, EvaluateResult, FinetuneResult, PrepareDatasetResult, PretrainResult } from '../../lib/config';
import { FileStore } from '../../lib/store';
import { repoRoot } from '../../infra/paths';
import { generateSampleDataset } from '../../samples';
import { TASK_QUEUE_CPU } from '../../workflows/common';
import { startTestWorkers, type TestWorkers } from '../helpers/workers';

const run = promisify(execFile);
const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-ft-'));
let workers: TestWorkers;
let store: FileStore;
let prepared: PrepareDatasetResult;
let pretrained: PretrainResult;
/** The detector finetuned from the pretraining checkpoint by the first test (Analyze draws it next to its encoder). */
let finetuned: FinetuneResult | undefined;

async function cli<T>(workflow: string, input: object): Promise<T> {
  const file = path.join(dir, `${workflow}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, FSFM_TASK_QUEUE_SUFFIX: workers.suffix };
  const out = await run(path.join(repoRoot, 'cli', 'fsfm.cjs'), ['run', workflow, '--input', file, '--wait', '--json'], { env });
  return (JSON.parse(out.stdout) as { result: T }).result;
}

beforeAll(async () => {
  // Six identities give train, val and test pairs; four real and two fake frames per video keep it small.
  const sample = await generateSampleDataset({ out: path.join(dir, 'ffpp'), identities: 6, seconds: 1, fps: 8 });
  store = new FileStore(path.join(dir, 'store'));
  workers = await startTestWorkers(temporal.address, store);
  const start = <T>(type: string, args: object) => workers.client.workflow.execute(type, { taskQueue: TASK_QUEUE_CPU + workers.suffix, workflowId: `${type}-${Date.now()}`, args: [args] }) as Promise<T>;
  prepared = await start<PrepareDatasetResult>('PrepareDataset', {
    dataset: { root: sample.root, format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] },
    prepare: { purpose: 'finetune', framesPerRealVideo: 4, framesPerFakeVideo: 2, face: { upsample: 0 } },
  });
  pretrained = await start<PretrainResult>('Pretrain', { preset: 'demo', config: { maxSteps: 2, data: { prepared: [prepared.prefix], splits: ['train'] } } });
});

afterAll(async () => {
  await workers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const finetuneInput = (init: object, extra: object = {}) => ({
  preset: 'demo',
  config: { init, epochs: 2, warmupEpochs: 0.5, data: { prepared: [prepared.prefix] }, ...extra },
});

describe('Finetune and Evaluate', () => {
  it('finetunes from the pretraining checkpoint and from scratch, evaluates on the held-out split, and writes reports whose charts draw in Chromium', async () => {
    expect(prepared.countsBySplit.test.real).toBeGreaterThan(0);
    expect(pretrained.checkpointKey).toBeTruthy();
    const fromFsfm = await cli<FinetuneResult>('Finetune', finetuneInput({ from: 'fsfm', checkpoint: pretrained.checkpointKey }));
    finetuned = fromFsfm;
    const fromScratch = await cli<FinetuneResult>('Finetune', finetuneInput({ from: 'scratch' }));
    for (const r of [fromFsfm, fromScratch]) {
      expect(r.step).toBe(r.totalSteps);
      expect(r.bestKey).toMatch(new RegExp(`^runs/${r.runId}/finetune/best/`));
      expect(r.history).toHaveLength(2);
      expect(r.history.every((h) => Number.isFinite(h.trainLoss) && Number.isFinite(h.valLoss))).toBe(true);
    }

    const evaluation = await cli<EvaluateResult>('Evaluate', {
      model: fromFsfm.bestKey,
      modelName: 'FSFM-demo',
      testSets: [
        { name: 'sample-test', prepared: prepared.prefix, split: 'test' },
        { name: 'sample-val', prepared: prepared.prefix, split: 'val' },
      ],
    });
    expect(evaluation.failed).toEqual([]);
    expect(evaluation.testSets.map((t) => t.name).sort()).toEqual(['sample-test', 'sample-val']);
    for (const t of evaluation.testSets) {
      expect(t.faces).toBeGreaterThan(0);
      expect(t.videoAuc).toBeGreaterThanOrEqual(0);
      expect(t.videoAuc).toBeLessThanOrEqual(1);
    }
    const scores = (await store.get(evaluation.testSets[0].scoresKey)).toString().trim().split('\n');
    expect(scores).toHaveLength(evaluation.testSets[0].faces);
    const markdown = (await store.get(evaluation.reportMarkdownKey)).toString();
    expect(markdown).toContain('FSFM-demo');
    expect(markdown).toContain('sample-test');

    const scratchEval = await cli<EvaluateResult>('Evaluate', { model: fromScratch.bestKey, modelName: 'scratch', testSets: [{ name: 'sample-test', prepared: prepared.prefix, split: 'test' }] });
    expect(scratchEval.testSets).toHaveLength(1);

    // The HTML report opens offline in headless Chromium and its ROC curves are drawn.
    const htmlFile = path.join(dir, 'report.html');
    fs.writeFileSync(htmlFile, await store.get(evaluation.reportHtmlKey));
    const browser = await chromium.launch({ executablePath: process.env.FSFM_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${htmlFile}`);
      expect(await page.locator('svg.roc-chart').count()).toBe(2);
      const curves = page.locator('svg.roc-chart path.roc-curve');
      expect(await curves.count()).toBe(2);
      for (let i = 0; i < 2; i++) {
        const box = await curves.nth(i).boundingBox();
        expect(box!.width).toBeGreaterThan(10);
        expect(box!.height).toBeGreaterThan(10);
      }
      expect(await page.locator('svg.score-histogram rect.hist-bar').count()).toBeGreaterThan(0);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('Analyze through the CLI: the pretrained encoder and its finetuned detector side by side, with attention plots, maps and reconstructions drawn in Chromium', async () => {
    expect(finetuned, 'the finetuned model of the first test').toBeDefined();
    const runId = `analyze-${Date.now()}`;
    const result = await cli<AnalyzeResult>('Analyze', {
      runId,
      checkpoints: [
        { checkpoint: pretrained.checkpointKey, label: 'pretrained' },
        { checkpoint: finetuned!.bestKey, label: 'finetuned' },
      ],
      prepared: prepared.prefix,
      split: 'test',
      faces: 4,
      mapFaces: 2,
      reconstructionFaces: 1,
      batchSize: 4,
    });
    expect(result.reportHtmlKey).toBe(`runs/${runId}/analysis/report.html`);
    expect(result.checkpoints.map((c) => [c.label, c.kind, c.faces])).toEqual([
      ['pretrained', 'pretrained', 4],
      ['finetuned', 'finetuned', 4],
    ]);
    // The demo model: 112 px faces, 8 px patches; a mean distance lies between 0 and the grid's diagonal.
    for (const c of result.checkpoints) {
      expect(c.lastBlockDistancePx).toBeGreaterThan(0);
      expect(c.lastBlockDistancePx).toBeLessThan(13 * 8 * Math.SQRT2);
      expect(c.lastBlockKl).toBeGreaterThanOrEqual(0);
    }
    const summary = JSON.parse((await store.get(result.summaryKey)).toString()) as { summaries: { label: string; reconstructions?: { strategies: { strategy: string; faces: unknown[] }[] } }[] };
    // The sample faces carry region maps, so every masking strategy is drawn for the pretrained checkpoint.
    expect(summary.summaries[0].reconstructions!.strategies.map((s) => [s.strategy, s.faces.length])).toEqual([
      ['crfr-p', 1], ['random', 1], ['frp', 1], ['crfr-r', 1], ['fasking-i', 1],
    ]);
    expect(summary.summaries[1].reconstructions).toBeUndefined();

    const htmlFile = path.join(dir, 'analysis.html');
    fs.writeFileSync(htmlFile, await store.get(result.reportHtmlKey));
    const browser = await chromium.launch({ executablePath: process.env.FSFM_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${htmlFile}`);
      expect(await page.locator('svg.attention-distance-chart').count()).toBe(2);
      expect(await page.locator('svg.attention-distance-chart circle.head-dot').count()).toBeGreaterThan(0);
      expect(await page.locator('svg.kl-divergence-chart polyline.kl-line').count()).toBe(2);
      const overlays = page.locator('svg.attention-overlay');
      expect(await overlays.count()).toBe(4);
      expect(await page.locator('svg.attention-overlay[data-model="finetuned"]').count()).toBe(2);
      expect(await page.locator('svg.reconstruction-panel[data-model="pretrained"]').count()).toBe(5);
      // Every embedded face decodes: the panels' images are drawn with their full size.
      for (const sel of ['svg.reconstruction-panel image.recon-output', 'svg.reconstruction-panel image.recon-masked', 'svg.attention-overlay image']) {
        const images = page.locator(sel);
        for (let i = 0; i < (await images.count()); i++) {
          const box = await images.nth(i).boundingBox();
          expect(box!.width).toBeGreaterThan(50);
        }
      }
      // In the page: decode every panel's data URI and report its pixel width.
      const decoded = (await page.evaluate(`Promise.all([...document.querySelectorAll('svg.reconstruction-panel image')].map((el) =>
        new Promise((resolve) => { const img = new Image(); img.onload = () => resolve(img.naturalWidth); img.onerror = () => resolve(0); img.src = el.getAttribute('href'); })))`)) as number[];
      expect(decoded).toHaveLength(15);
      expect(decoded.every((w) => w === 112)).toBe(true);
      expect(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('resumes an interrupted finetune from its checkpoint', async () => {
    const runId = `ft-resume-${Date.now()}`;
    const input = { runId, ...finetuneInput({ from: 'scratch' }, { epochs: 10, checkpointEverySteps: 2 }) };
    const handle = await workers.client.workflow.start('Finetune', { taskQueue: TASK_QUEUE_CPU + workers.suffix, workflowId: `${runId}-a`, args: [input] });
    // Interrupt once a checkpoint is committed: the cancelled activity checkpoints and stops.
    for (let i = 0; i < 600; i++) {
      const latest = await store.stat(`runs/${runId}/finetune/latest.json`);
      if (latest) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(/cancel/i);
    const resumed = (await workers.client.workflow.execute('Finetune', { taskQueue: TASK_QUEUE_CPU + workers.suffix, workflowId: `${runId}-b`, args: [input] })) as FinetuneResult;
    expect(resumed.resumedFromStep).toBeGreaterThanOrEqual(2);
    expect(resumed.step).toBe(resumed.totalSteps);
  });
});
