import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrepareDatasetResult } from '../../lib/config';
import { openPrepared } from '../../lib/prepare/pack';
import { FileStore } from '../../lib/store';
import { TASK_QUEUE_CPU } from '../../workflows/common';
import { facelessClip, photoClip } from '../helpers/face-videos';
import { startTestWorkers, type TestWorkers } from '../helpers/workers';

const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-prep-'));
const root = path.join(dir, 'plain');
let workers: TestWorkers;
let store: FileStore;

beforeAll(async () => {
  photoClip(path.join(root, 'real', 'one.mp4'), 'sample2.jpg', { seconds: 1, fps: 6 });
  photoClip(path.join(root, 'real', 'two.mp4'), 'sample6.jpg', { seconds: 1, fps: 5 });
  photoClip(path.join(root, 'fake', 'three.mp4'), 'sample3.jpg', { seconds: 1, fps: 4 });
  facelessClip(path.join(root, 'fake', 'noface.mp4'));
  fs.writeFileSync(path.join(root, 'real', 'corrupt.mp4'), fs.readFileSync(path.join(root, 'real', 'one.mp4')).subarray(0, 2000));
  store = new FileStore(path.join(dir, 'store'));
  workers = await startTestWorkers(temporal.address, store, ['cpu']);
});

afterAll(async () => {
  await workers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('PrepareDataset', () => {
  const input = { dataset: { root, format: 'plain' }, prepare: { purpose: 'finetune', framesPerRealVideo: 3, framesPerFakeVideo: 2, face: { upsample: 0 } }, parallelism: 2 };

  it('prepares faces, records the corrupt and the face-less video with their reasons, and commits shards', async () => {
    const h = await workers.client.workflow.start('PrepareDataset', { taskQueue: TASK_QUEUE_CPU + workers.suffix, workflowId: `prep-${Date.now()}`, args: [input] });
    const r = (await h.result()) as PrepareDatasetResult;
    expect(r).toMatchObject({ reused: false, videosTotal: 5, videosFailed: 2, videosSkipped: 0, videosProcessed: 3 });
    expect(r.failedByType).toEqual({ CorruptVideo: 1, NoFaceFound: 1 });
    expect(r.failures.map((f) => f.videoId).sort()).toEqual(['plain/fake/noface.mp4', 'plain/real/corrupt.mp4']);
    const prepared = await openPrepared(store, r.prefix);
    let n = 0;
    for await (const rec of prepared.records()) {
      n++;
      expect(rec.image.length).toBe(224 * 224 * 3);
      expect(rec.regionMap.length).toBe(224 * 224);
    }
    expect(n).toBe(r.faces);
    expect(r.faces).toBeGreaterThanOrEqual(3 + 3 + 2 - 1);
    const progress = (await h.query('progress')) as Record<string, number | string>;
    expect(progress).toMatchObject({ stage: 'done', videosTotal: 5, videosDone: 3, videosFailed: 2, faces: r.faces });
  });

  it('does no new work when run again with the same input', async () => {
    const h = await workers.client.workflow.start('PrepareDataset', { taskQueue: TASK_QUEUE_CPU + workers.suffix, workflowId: `prep-again-${Date.now()}`, args: [input] });
    const r = (await h.result()) as PrepareDatasetResult;
    expect(r).toMatchObject({ reused: true, videosProcessed: 0, videosTotal: 5 });
  });

  it('reuses every prepared video when only the packing changes', async () => {
    const repacked = { ...input, prepare: { ...input.prepare, shardSizeFaces: 2 } };
    const h = await workers.client.workflow.start('PrepareDataset', { taskQueue: TASK_QUEUE_CPU + workers.suffix, workflowId: `prep-repack-${Date.now()}`, args: [repacked] });
    const r = (await h.result()) as PrepareDatasetResult;
    expect(r).toMatchObject({ reused: false, videosProcessed: 0, videosSkipped: 3, videosFailed: 2 });
    expect(r.shards).toBe(Math.ceil(r.faces / 2));
  });

  it('continues as new between windows of units and still counts every video', async () => {
    const h = await workers.client.workflow.start('PrepareDataset', {
      taskQueue: TASK_QUEUE_CPU + workers.suffix,
      workflowId: `prep-can-${Date.now()}`,
      args: [{ ...input, prepare: { ...input.prepare, shardSizeFaces: 3 }, unitsPerRun: 2 }],
    });
    const r = (await h.result()) as PrepareDatasetResult;
    expect(r).toMatchObject({ reused: false, videosTotal: 5, videosFailed: 2, videosSkipped: 3 });
    const runs = [];
    for await (const w of workers.client.workflow.list({ query: `WorkflowId = '${h.workflowId}'` })) runs.push(w.status.name);
    expect(runs.filter((s) => s === 'CONTINUED_AS_NEW')).toHaveLength(2);
  });
});
