import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../lib/store';
import { startTemporal, stopService } from '../../infra/services';
import { TASK_QUEUE_CPU } from '../../workflows/common';
import { startTestWorkers } from '../helpers/workers';

// A dev server of its own (own SQLite file, own ports), so stopping it does not disturb the other tests.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-restart-'));

afterAll(async () => {
  await stopService('temporal', { stateDir });
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('embedded Temporal dev server', () => {
  it('keeps completed workflow history across a stop and a start', async () => {
    const first = await startTemporal({ stateDir, ports: 'free' });
    expect(first.started).toBe(true);
    const videos = fs.mkdtempSync(path.join(stateDir, 'videos-'));
    const workers = await startTestWorkers(first.info.address, new FileStore(path.join(stateDir, 'store')), ['cpu']);
    const workflowId = `restart-${Date.now()}`;
    try {
      const h = await workers.client.workflow.start('ProbeVideos', { taskQueue: TASK_QUEUE_CPU + workers.suffix, workflowId, args: [{ videosDir: videos }] });
      await h.result();
    } finally {
      await workers.stop();
    }
    expect(await stopService('temporal', { stateDir })).toBe(true);

    const second = await startTemporal({ stateDir, ports: 'free' });
    expect(second.started).toBe(true);
    expect(second.info.dbFile).toBe(first.info.dbFile);
    const connection = await Connection.connect({ address: second.info.address });
    try {
      const handle = new Client({ connection }).workflow.getHandle(workflowId);
      const d = await handle.describe();
      expect(d.status.name).toBe('COMPLETED');
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.length).toBeGreaterThan(5);
      expect(await handle.result()).toMatchObject({ total: 0, ok: 0 });
    } finally {
      await connection.close();
    }
  });
});
