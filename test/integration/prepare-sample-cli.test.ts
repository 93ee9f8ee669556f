import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrepareDatasetResult } from '../../lib/config';
import { openPrepared } from '../../lib/prepare/pack';
import { FileStore } from '../../lib/store';
import { repoRoot } from '../../infra/paths';
import { EXTRA_IDS, generateSampleDataset } from '../../samples';
import { startTestWorkers, type TestWorkers } from '../helpers/workers';

const run = promisify(execFile);
const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-prep-cli-'));
let workers: TestWorkers;
let store: FileStore;
let root: string;

beforeAll(async () => {
  // The FF++-layout sample dataset, small, with a corrupt video and a face-less one among the reals.
  root = (await generateSampleDataset({ out: path.join(dir, 'ffpp'), identities: 4, seconds: 1, fps: 8, extras: true })).root;
  store = new FileStore(path.join(dir, 'store'));
  workers = await startTestWorkers(temporal.address, store, ['cpu']);
});

afterAll(async () => {
  await workers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(input: object): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, `input-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(input));
  const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, FSFM_TASK_QUEUE_SUFFIX: workers.suffix };
  return run(path.join(repoRoot, 'cli', 'fsfm.cjs'), ['run', 'PrepareDataset', '--input', file, '--wait', '--json'], { env }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe('PrepareDataset on the sample dataset through the CLI', () => {
  const input = () => ({
    dataset: { root, format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] },
    prepare: { purpose: 'finetune', framesPerRealVideo: 4, framesPerFakeVideo: 2, face: { upsample: 0 } },
    parallelism: 3,
  });

  it('prepares every video, reports the corrupt and face-less ones, and its counts match the committed manifest', async () => {
    const out = await cli(input());
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const r = (JSON.parse(out.stdout) as { result: PrepareDatasetResult }).result;
    // 4 reals + 2 extras + 4 fakes per method.
    expect(r.videosTotal).toBe(4 + 2 + 4 * 2);
    expect(r.videosFailed).toBe(2);
    expect(r.failedByType).toEqual({ CorruptVideo: 1, NoFaceFound: 1 });
    expect(r.failures.map((f) => f.videoId.split('/').pop()).sort()).toEqual([`${EXTRA_IDS.corrupt}.mp4`, `${EXTRA_IDS.noFace}.mp4`]);

    const prepared = await openPrepared(store, r.prefix);
    const faces = await prepared.faces();
    expect(faces).toHaveLength(r.faces);
    const bySplit: Record<string, { real: number; fake: number }> = {};
    for (const f of faces) (bySplit[f.split] ??= { real: 0, fake: 0 })[f.label]++;
    expect(bySplit).toEqual(r.countsBySplit);
    expect(new Set(faces.map((f) => f.videoId)).size).toBe(r.videosTotal - r.videosFailed);
    // Lineage: every face names a frame the sampler picked (at most 4 per real, 2 per fake video).
    for (const f of faces) expect(f.frameIndex).toBeGreaterThanOrEqual(0);
    expect(faces.filter((f) => f.label === 'real').length).toBeLessThanOrEqual(4 * 4);
  });

  it('does no new work when run again', async () => {
    const out = await cli(input());
    expect(out.code).toBe(0);
    const r = (JSON.parse(out.stdout) as { result: PrepareDatasetResult }).result;
    expect(r).toMatchObject({ reused: true, videosProcessed: 0 });
  });

  it('fails before any work, in one line, when the dataset layout is wrong', async () => {
    const out = await cli({ ...input(), dataset: { root: path.join(root, 'splits'), format: 'ffpp' } });
    expect(out.code).toBe(1);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/original_sequences/);
  });
});
