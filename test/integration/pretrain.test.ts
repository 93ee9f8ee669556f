import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrepareDatasetResult, PretrainResult } from '../../lib/config';
import { S3Store } from '../../lib/store';
import { listCheckpoints } from '../../lib/train';
import { readStatusOverGrpc } from '../../cli/client';
import { readStatusOverHttp, type WorkflowStatus } from '../../cli/status';
import { repoRoot } from '../../infra/paths';
import { generateSampleDataset } from '../../samples';
import { TASK_QUEUE_CPU } from '../../workflows/common';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const run = promisify(execFile);
const temporal = inject('temporal');
const s3 = inject('s3');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-pretrain-'));
const suffix = `-pt-${crypto.randomBytes(3).toString('hex')}`;
const storePrefix = `pretrain-${Date.now()}`;
const env = {
  TEMPORAL_ADDRESS: temporal.address,
  FSFM_TASK_QUEUE_SUFFIX: suffix,
  FSFM_STORE: `s3://${s3.bucket}/${storePrefix}`,
  FSFM_S3_ENDPOINT: s3.endpoint,
  AWS_REGION: s3.region,
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
};
let worker: WorkerProcess | undefined;
let connection: Connection;
let client: Client;
let prepared: PrepareDatasetResult;

beforeAll(async () => {
  const sample = await generateSampleDataset({ out: path.join(dir, 'ffpp'), identities: 4, seconds: 1, fps: 8 });
  worker = await startWorkerProcess(env);
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
  prepared = (await client.workflow.execute('PrepareDataset', {
    taskQueue: TASK_QUEUE_CPU + suffix,
    workflowId: `pt-prepare-${Date.now()}`,
    args: [{ dataset: { root: sample.root, format: 'ffpp', methods: ['Deepfakes'] }, prepare: { purpose: 'pretrain', framesPerRealVideo: 8, face: { upsample: 0 } } }],
  })) as PrepareDatasetResult;
});

afterAll(async () => {
  await worker?.kill();
  await connection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Pretrain', () => {
  it('runs from the CLI with checkpoints in S3, and finishes from the last checkpoint after its worker is killed', async () => {
    expect(prepared.faces).toBeGreaterThanOrEqual(24);
    const input = path.join(dir, 'pretrain.json');
    const runId = `pt-${Date.now()}`;
    fs.writeFileSync(input, JSON.stringify({
      runId,
      preset: 'demo',
      config: { epochs: 4, checkpointEverySteps: 2, data: { prepared: [prepared.prefix] } },
      heartbeatTimeoutS: 8,
      progressIntervalS: 1,
    }));
    const cliEnv = { ...process.env, TEMPORAL_ADDRESS: temporal.address, FSFM_TASK_QUEUE_SUFFIX: suffix };
    const started = JSON.parse((await run(path.join(repoRoot, 'cli', 'fsfm.cjs'), ['run', 'Pretrain', '--input', input, '--json'], { env: cliEnv })).stdout) as { workflowId: string };
    const handle = client.workflow.getHandle(started.workflowId);

    // Wait until a checkpoint past step 2 is committed, then kill the worker and its training child outright.
    const store = new S3Store({ bucket: s3.bucket, prefix: storePrefix, endpoint: s3.endpoint, region: s3.region });
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    // Meanwhile the progress query shows the live step, loss and ETA while the one chunk (1000 steps per activity)
    // is still running: no activity has completed yet (history fetched after the query), so they can only come
    // from the activity's reports.
    type Live = { step: number; totalSteps: number; loss: number | null; etaS: number | null };
    let live: Live | null = null;
    let overHttp: Omit<WorkflowStatus, 'ui'> | undefined;
    let overGrpc: Omit<WorkflowStatus, 'ui'> | undefined;
    const deadline = Date.now() + 240_000;
    while ((await listCheckpoints(store, runId)).every((c) => c.step < 4)) {
      if (Date.now() > deadline) throw new Error(`no checkpoint at step >= 4 in time; worker output:\n${worker!.output().slice(-3000)}`);
      const q = (await handle.query('progress')) as Live;
      const completed = ((await handle.fetchHistory()).events ?? []).some((e) => e.activityTaskCompletedEventAttributes);
      if (!completed && q.step >= 2 && q.etaS !== null) {
        // `fsfm status` reads the same over the HTTP API as over gRPC (the live step may move between the two).
        overHttp ??= await readStatusOverHttp(temporal.httpUrl!, { address: temporal.address, namespace: 'default' }, started.workflowId);
        overGrpc ??= await readStatusOverGrpc(started.workflowId, { TEMPORAL_ADDRESS: temporal.address });
        live = q;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(live, 'a mid-chunk progress query').not.toBeNull();
    const stable = (s: WorkflowStatus | Omit<WorkflowStatus, 'ui'> | undefined) => ({
      ...s,
      progress: Object.keys(s?.progress ?? {}).sort(),
      pendingActivities: s?.pendingActivities.map((a) => ({ ...a, heartbeat: Object.keys(a.heartbeat ?? {}).sort() })),
    });
    expect(overHttp).toMatchObject({ type: 'Pretrain', status: 'RUNNING', pendingActivities: [{ activity: 'pretrainChunk', attempt: 1, state: 'STARTED' }] });
    expect(stable(overHttp)).toEqual(stable(overGrpc));
    expect(overHttp!.progress).toMatchObject({ stage: 'pretrain' });
    expect((overHttp!.pendingActivities[0].heartbeat as { step?: unknown }).step).toEqual(expect.any(Number));
    expect(live!.totalSteps).toBeGreaterThan(live!.step);
    expect(Number.isFinite(live!.loss)).toBe(true);
    expect(live!.etaS).toBeGreaterThan(0);
    await worker!.kill('SIGKILL');
    const before = (await listCheckpoints(store, runId)).map((c) => c.step);
    worker = await startWorkerProcess(env);

    const result = (await handle.result()) as PretrainResult;
    expect(result.totalSteps).toBeGreaterThan(Math.max(...before));
    expect(result.step).toBe(result.totalSteps);
    expect(result.resumedFromStep).toBeGreaterThanOrEqual(4);
    expect(before).toContain(result.resumedFromStep);
    expect(result.checkpointKey).toMatch(new RegExp(`^runs/${runId}/pretrain/ckpt/`));
    expect((await listCheckpoints(store, runId)).map((c) => c.step)).toContain(result.totalSteps);
    // The activity was attempted again after the kill, and the losses cover the steps after the resume.
    const events = (await handle.fetchHistory()).events ?? [];
    const attempts = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    const steps = result.lossHistory.map((h) => h.step);
    expect(steps.at(-1)).toBe(result.totalSteps);
    expect(result.lossHistory.every((h) => Number.isFinite(h.loss))).toBe(true);
    const progress = (await handle.query('progress')) as { status: string; step: number };
    expect(progress).toMatchObject({ status: 'completed', step: result.totalSteps });
  });
});
