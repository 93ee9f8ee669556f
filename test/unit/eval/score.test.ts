/**
 * Scoring prepared faces with a finetuned classifier, test-set evaluation in the store, and the written report.
 * The classifier is the 32 px test encoder finetuned for a few seconds on the real-face set (finetune/face-set.ts),
 * without augmentation so that it learns the fakes' colour cast.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScoreRows } from '../../../lib/eval/aggregate.js';
import { evaluateTestSetInChild } from '../../../lib/eval/child-runner.js';
import { evaluateTestSet, scorePrepared } from '../../../lib/eval/score.js';
import { writeReport } from '../../../lib/eval/write-report.js';
import { SingleClassTestSet } from '../../../lib/errors.js';
import { loadClassifier } from '../../../lib/finetune/checkpoint.js';
import { runFinetuning } from '../../../lib/finetune/train.js';
import { evalTransform } from '../../../lib/finetune/transforms.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import { readMember, readSet } from '../../../lib/store/sets.js';
import { realFaceRecords, writeFaceSet } from '../finetune/face-set.js';
import { TINY_ARCH, useTestBackend } from '../finetune/helpers.js';
import { tempStore } from '../train/helpers.js';

describe('scoring and evaluating test sets', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  let testFaces: ShardRecord[];
  let modelKey: string;
  beforeAll(async () => {
    await useTestBackend();
    ctx = await tempStore();
    const records = await realFaceRecords();
    testFaces = records.filter((r) => r.split === 'test');
    await writeFaceSet(ctx.store, 'prepared/faces', records);
    await writeFaceSet(ctx.store, 'prepared/reals', records.filter((r) => r.label === 'real'));
    const trained = await runFinetuning({
      config: {
        epochs: 8,
        warmupEpochs: 1,
        batchSize: 8,
        baseLr: 0.1,
        layerDecay: 0.75,
        checkpointEverySteps: 1000,
        regularization: { mixupAlpha: 0, cutmixAlpha: 0 },
        augment: { cropScale: [0.9, 1], randAugment: { numOps: 0 }, randomErasing: { prob: 0 } },
        model: { preset: 'demo', arch: TINY_ARCH, dropPathRate: 0 },
        data: { prepared: ['prepared/faces'] },
        tensor: { backend: 'wasm' },
      },
      store: ctx.store,
      runId: 'model',
    });
    modelKey = trained.bestKey!;
  }, 60_000);
  afterAll(() => ctx.cleanup());

  it('scorePrepared writes one JSONL row per face of the split: id, video group, label and P(fake) in [0, 1]', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const count = await scorePrepared({ store: ctx.store, model: modelKey, prepared: 'prepared/faces', split: 'test', batchSize: 5, scoresKey: 'scratch/scores.jsonl' });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(count).toBe(testFaces.length);
    const rows = parseScoreRows((await ctx.store.get('scratch/scores.jsonl')).toString('utf8'));
    expect(rows.map((r) => r.id)).toEqual(testFaces.map((f) => f.faceId));
    expect(rows.map((r) => r.group)).toEqual(testFaces.map((f) => f.videoId));
    expect(rows.map((r) => r.label)).toEqual(testFaces.map((f) => f.label));
    for (const r of rows) {
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
    }
    expect(new Set(rows.map((r) => r.score)).size).toBeGreaterThan(1);

    // The score is the model's P(fake) on the eval transform with the model's own normalisation.
    const { model, input } = await loadClassifier(ctx.store, modelKey);
    const face = testFaces[3];
    const x = evalTransform({ rgb: Buffer.from(face.image), widthPx: face.sizePx, heightPx: face.sizePx }, 32, 224 / 256, input.normalization);
    const p = tf.tidy(() => model.predictProba(tf.tensor4d(x, [1, 32, 32, 3])).dataSync()[0]);
    model.dispose();
    expect(rows[3].score).toBeCloseTo(p, 5);
  });

  it('evaluateTestSet commits scores.jsonl and metrics.json as one set; the trained model ranks fakes above reals', async () => {
    const e = await evaluateTestSet({ store: ctx.store, model: 'runs/model/finetune', prepared: 'prepared/faces', split: 'test', runId: 'model', testSet: 'faces-test', evalOptions: { bootstrap: { replicates: 50 } } });
    expect(e.prefix).toBe('runs/model/eval/faces-test');
    const set = await readSet(ctx.store, e.prefix);
    expect(set!.kind).toBe('fsfm-eval');
    expect(set!.members.map((m) => m.name)).toEqual(['metrics.json', 'scores.jsonl']);
    expect(set!.meta).toMatchObject({ rows: testFaces.length, split: 'test', model: modelKey, selection: 'source-val-loss', task: 'dfd', labelConvention: 'score = P(fake), fake = 1' });
    const metrics = JSON.parse((await readMember(ctx.store, set!, 'metrics.json')).toString('utf8'));
    expect(metrics).toEqual(JSON.parse(JSON.stringify(e.metrics)));
    expect(metrics.frame.n).toBe(testFaces.length);
    expect(metrics.video.n).toBe(new Set(testFaces.map((f) => f.videoId)).size);
    console.info(`tiny classifier on the held-out photo: frame AUC ${metrics.frame.auc.toFixed(3)}, video AUC ${metrics.video.auc.toFixed(3)}`);
    expect(metrics.frame.auc).toBeGreaterThan(0.75);
  });

  it('a single-class test split fails with SingleClassTestSet and commits nothing', async () => {
    await expect(
      evaluateTestSet({ store: ctx.store, model: modelKey, prepared: 'prepared/reals', split: 'test', runId: 'model', testSet: 'reals-only' }),
    ).rejects.toThrow(SingleClassTestSet);
    await expect(
      evaluateTestSet({ store: ctx.store, model: modelKey, prepared: 'prepared/reals', split: 'test', runId: 'model', testSet: 'reals-only' }),
    ).rejects.toThrow(/real/);
    expect(await readSet(ctx.store, 'runs/model/eval/reals-only')).toBeNull();
  });

  it('scoring yields to the event loop between batches', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await scorePrepared({ store: ctx.store, model: modelKey, prepared: 'prepared/faces', split: 'test', batchSize: 2, scoresKey: 'scratch/ticks.jsonl' });
    } finally {
      clearInterval(timer);
    }
    // 8 batches: a timer gets to run after (nearly) each of them.
    expect(ticks).toBeGreaterThanOrEqual(testFaces.length / 2 - 2);
  });

  it('writeReport writes runs/<id>/report.md and a self-contained report.html', async () => {
    const e = await evaluateTestSet({ store: ctx.store, model: modelKey, prepared: 'prepared/faces', split: 'test', runId: 'model', testSet: 'faces', evalOptions: { bootstrap: { replicates: 0 } } });
    const keys = await writeReport(ctx.store, 'model', [{ model: 'tiny', testSet: 'faces', metrics: e.metrics, selection: 'source-val-loss' }], { generatedAt: '2025-01-01' });
    expect(keys).toEqual({ markdownKey: 'runs/model/report.md', htmlKey: 'runs/model/report.html' });
    const md = (await ctx.store.get(keys.markdownKey)).toString('utf8');
    expect(md).toContain('| Model | faces |');
    expect(md).toContain('P(fake)');
    const html = (await ctx.store.get(keys.htmlKey)).toString('utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('data-testset="faces"');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  it('in a child process: the same evaluation', async () => {
    const progress: number[] = [];
    const child = evaluateTestSetInChild({ storeUri: ctx.store.uri, model: modelKey, prepared: 'prepared/faces', split: 'test', batchSize: 4, runId: 'child', testSet: 'faces', backend: 'wasm', evalOptions: { bootstrap: { replicates: 0 } }, onProgress: (p) => progress.push(p.done) });
    const e = await child.result;
    expect(progress).toEqual([4, 8, 12, 16]);
    expect(e.rows).toBe(testFaces.length);
    const local = await evaluateTestSet({ store: ctx.store, model: modelKey, prepared: 'prepared/faces', split: 'test', runId: 'local', testSet: 'faces', evalOptions: { bootstrap: { replicates: 0 } } });
    expect(e.metrics.frame.auc).toBe(local.metrics.frame.auc);
  });
});
