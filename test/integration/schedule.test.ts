import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FileStore } from '../../lib/store';
import { repoRoot } from '../../infra/paths';
import { startTestWorkers, type TestWorkers } from '../helpers/workers';

const run = promisify(execFile);
const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-sched-'));
let workers: TestWorkers;

beforeAll(async () => {
  workers = await startTestWorkers(temporal.address, new FileStore(path.join(dir, 'store')), ['cpu']);
});
afterAll(async () => {
  await workers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const fsfm = (...args: string[]) =>
  run(path.join(repoRoot, 'cli', 'fsfm.cjs'), ['schedule', ...args], { env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, FSFM_TASK_QUEUE_SUFFIX: workers.suffix } });

describe('fsfm schedule', () => {
  it('creates a schedule, triggers a run that completes under its own id, pauses it and deletes it', async () => {
    const id = `nightly-probe-${Date.now()}`;
    const input = path.join(dir, 'probe.json');
    fs.mkdirSync(path.join(dir, 'videos'));
    fs.writeFileSync(input, JSON.stringify({ videosDir: path.join(dir, 'videos') }));
    expect((await fsfm('create', id, 'ProbeVideos', '--input', input, '--every', '24h')).stdout).toMatch(/created schedule/);
    await expect(fsfm('create', id, 'ProbeVideos', '--input', input, '--every', '24h')).rejects.toMatchObject({ code: 2 });

    await fsfm('trigger', id);
    let recent: Array<{ workflowId: string }> = [];
    for (let i = 0; i < 100 && recent.length === 0; i++) {
      recent = (JSON.parse((await fsfm('describe', id, '--json')).stdout) as { recent: Array<{ workflowId: string }> }).recent;
      if (!recent.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recent).toHaveLength(1);
    // Scheduled runs get the schedule id plus the start time as their id: each run its own id and store prefix.
    expect(recent[0].workflowId).toMatch(new RegExp(`^${id}-`));
    const result = (await workers.client.workflow.getHandle(recent[0].workflowId).result()) as { manifestPrefix: string };
    expect(result.manifestPrefix).toBe(`probes/${recent[0].workflowId}`);

    await fsfm('pause', id);
    const described = JSON.parse((await fsfm('describe', id, '--json')).stdout) as { paused: boolean; overlap: string; runs: number };
    expect(described).toMatchObject({ paused: true, overlap: 'SKIP', runs: 1 });
    const listed = JSON.parse((await fsfm('list', '--json')).stdout) as Array<{ id: string }>;
    expect(listed.map((s) => s.id)).toContain(id);

    await fsfm('delete', id);
    await expect(fsfm('describe', id)).rejects.toMatchObject({ code: 2 });
  });
});
