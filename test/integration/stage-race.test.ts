/**
 * Two identical pipelines share a stage through its child workflow ID. The one that finds the child running waits;
 * if its wait ends after that child finished but before the other pipeline recorded the stage, it starts the child
 * again (Temporal allows a new run of a closed ID), and the child only resumes the finished work. Seen in the chaos
 * test after a Temporal restart: both pipelines said 'ran'. Here the record is delayed on purpose, so the window
 * is always hit, on the real dev server and the real stage store.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePipelineActivities } from '../../activities/pipeline';
import type { StageRecord } from '../../lib/config/pipeline';
import { FileStore } from '../../lib/store';
import { installTestRuntime } from '../helpers/workers';

const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-stage-race-'));
const taskQueue = `stage-race-${crypto.randomBytes(3).toString('hex')}`;
const WORK_MS = 4_000; // the shared child's run
const RECORD_DELAY_MS = 3_000; // the first pipeline records the stage this long after its child finished
let connection: Connection;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  installTestRuntime();
  const store = new FileStore(path.join(dir, 'store'));
  const real = makePipelineActivities(store);
  nativeConnection = await NativeConnection.connect({ address: temporal.address });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: path.join(__dirname, 'fixtures', 'stage-race-workflows.ts'),
    activities: {
      lookupStage: real.lookupStage,
      async recordStage(record: StageRecord) {
        await new Promise((r) => setTimeout(r, RECORD_DELAY_MS));
        await real.recordStage(record);
      },
    },
  });
  running = worker.run();
  connection = await Connection.connect({ address: temporal.address });
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await nativeConnection?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a stage shared by two identical pipelines', () => {
  it('is reported as ran by one and cached by the other when the waiting one restarts the finished child', async () => {
    const client = new Client({ connection });
    const tag = crypto.randomBytes(4).toString('hex');
    const start = (id: string) => client.workflow.start('RaceStage', { taskQueue, workflowId: `${id}-${tag}`, args: [{ tag, workMs: WORK_MS }] });
    // t=0 the first starts the child (done at ~4 s, recorded at ~7 s); at ~0.5 s the second finds it running and
    // waits 5 s, then finds no record yet and starts the closed child again (done at ~9.5 s).
    const first = await start('race-first');
    await new Promise((r) => setTimeout(r, 500));
    const second = await start('race-second');
    const statuses = await Promise.all([first.result(), second.result()]);
    expect(statuses).toEqual(['ran', 'cached']);
    // The window was hit: the shared child ran twice under its one ID.
    let runs: string[] = [];
    for (let i = 0; i < 50 && runs.length < 2; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200)); // visibility lags the histories a little
      runs = [];
      for await (const w of client.workflow.list({ query: `WorkflowType = 'RaceWork' AND TaskQueue = '${taskQueue}'` })) runs.push(w.workflowId);
    }
    expect(runs).toHaveLength(2);
    expect(new Set(runs).size).toBe(1);
  }, 120_000);
});
