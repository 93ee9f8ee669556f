import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProbeRecord, ProbeVideosResult } from '../../lib/config';
import { S3Store, readMember, readSet } from '../../lib/store';
import { repoRoot } from '../../infra/paths';
import { TASK_QUEUE_CPU } from '../../workflows/common';
import { startTestWorkers, type TestWorkers } from '../helpers/workers';
import { makeClip } from '../helpers/videos';

const run = promisify(execFile);
const temporal = inject('temporal');
const s3 = inject('s3');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-probe-'));
let workers: TestWorkers;
let store: S3Store;

beforeAll(async () => {
  makeClip(dir, 'a.mp4', { seconds: 2, fps: 25 });
  makeClip(dir, 'sub/b.mp4', { seconds: 1, fps: 10 });
  fs.writeFileSync(path.join(dir, 'readme.txt'), 'not a video');
  fs.writeFileSync(path.join(dir, 'cut.mp4'), fs.readFileSync(path.join(dir, 'a.mp4')).subarray(0, 3000));
  // The worker gets S3 credentials from its environment only, as in production.
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  store = new S3Store({ bucket: s3.bucket, prefix: `probe-${Date.now()}`, endpoint: s3.endpoint, region: s3.region });
  workers = await startTestWorkers(temporal.address, store);
});

afterAll(async () => {
  await workers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ProbeVideos', () => {
  it('probes every file, reports corrupt and non-video files per item, commits the manifest to S3, and keeps secrets out of history', async () => {
    const handle = await workers.client.workflow.start('ProbeVideos', {
      taskQueue: TASK_QUEUE_CPU + workers.suffix,
      workflowId: `probe-s3-${Date.now()}`,
      args: [{ videosDir: dir }],
    });
    const result = (await handle.result()) as ProbeVideosResult;
    expect(result).toMatchObject({ total: 4, ok: 2, failed: 2, totalFrames: 60 });
    expect(result.failures.map((f) => f.path).sort()).toEqual(['cut.mp4', 'readme.txt']);
    expect(result.failures.find((f) => f.path === 'cut.mp4')?.error).toMatch(/cut\.mp4/);

    const manifest = await readSet(store, result.manifestPrefix);
    expect(manifest?.kind).toBe('probe');
    const rows = (await readMember(store, manifest!, 'probe.jsonl')).toString().trim().split('\n').map((l) => JSON.parse(l) as ProbeRecord);
    const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
    expect(byPath['a.mp4']).toMatchObject({ ok: true, frames: 50, widthPx: 96, heightPx: 64, codec: 'h264' });
    expect(byPath['a.mp4'].fps).toBeCloseTo(25);
    expect(byPath['sub/b.mp4']).toMatchObject({ ok: true, frames: 10 });
    expect(byPath['readme.txt'].ok).toBe(false);

    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).toContain('probeVideos');
    expect(history).not.toContain(s3.secretAccessKey);
    expect(history).not.toContain(s3.accessKeyId);
    // Payloads are base64 in the history: check the decoded form as well.
    expect(Buffer.from(history).toString('base64')).not.toContain(Buffer.from(s3.secretAccessKey).toString('base64'));
    const decoded = (history.match(/"data":"([A-Za-z0-9+/=]+)"/g) ?? []).map((m) => Buffer.from(m.slice(8, -1), 'base64').toString('utf8')).join('\n');
    expect(decoded).toContain('videosDir');
    expect(decoded).not.toContain(s3.secretAccessKey);
  });

  it('is driven by the fsfm CLI: --wait --json prints the summary, a bad input exits non-zero with one line', async () => {
    // No FSFM_UI_URL: the link comes from the record of the dev server the test setup started on free ports.
    const { FSFM_UI_URL: _ui, ...rest } = process.env;
    const env = { ...rest, TEMPORAL_ADDRESS: temporal.address, FSFM_TASK_QUEUE_SUFFIX: workers.suffix, FSFM_STATE_DIR: inject('testStateDir') };
    const input = path.join(dir, '..', `${path.basename(dir)}-input.json`);
    fs.writeFileSync(input, JSON.stringify({ videosDir: dir, recursive: false }));
    const bin = path.join(repoRoot, 'cli', 'fsfm.cjs');
    const ok = await run(bin, ['run', 'ProbeVideos', '--input', input, '--wait', '--json'], { env });
    const out = JSON.parse(ok.stdout) as { status: string; workflowId: string; ui: string; result: ProbeVideosResult };
    expect(out.status).toBe('COMPLETED');
    expect(out.result).toMatchObject({ total: 3, ok: 1, failed: 2 });
    expect(out.ui).toBe(`${temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(out.workflowId)}`);
    expect((await fetch(out.ui)).status).toBe(200);

    // The run is visible through the Temporal UI server (its HTTP API is what the UI's pages call).
    const ui = await fetch(`${temporal.uiUrl}/api/v1/namespaces/default/workflows/${encodeURIComponent(out.workflowId)}`);
    expect(ui.status).toBe(200);
    expect(JSON.stringify(await ui.json())).toContain('ProbeVideos');

    fs.writeFileSync(input, JSON.stringify({ videosDir: 42 }));
    const bad = await run(bin, ['run', 'ProbeVideos', '--input', input, '--wait'], { env }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad?.stderr).toMatch(/videosDir/);

    fs.writeFileSync(input, JSON.stringify({ videosDir: path.join(dir, 'does-not-exist') }));
    const missing = await run(bin, ['run', 'ProbeVideos', '--input', input, '--wait'], { env }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toMatch(/failed: videosDir .*does-not-exist.* is not a folder/);
    fs.rmSync(input);
  });
});
