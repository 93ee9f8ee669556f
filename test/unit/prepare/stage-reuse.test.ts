/**
 * The prepare stage never returns a stale set: a set is reused only when its full key (files, options, code and DLIB
 * build) matches, and an explicit outputPrefix re-run with another key re-prepares into it with the new plan.
 * Runs lib/stage/prepare the way the PrepareDataset workflow does (plan, every unit, pack), without Temporal.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrepareDatasetInput, type PrepareDatasetResult } from '../../../lib/config/prepare.js';
import { preloadDlib } from '../../../lib/faces/index.js';
import { openPrepared } from '../../../lib/prepare/pack.js';
import { packPrepared, planPrepare, prepareUnit } from '../../../lib/stage/prepare.js';
import { FileStore } from '../../../lib/store/index.js';
import { photoClip } from '../../helpers/face-videos.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-stage-reuse-'));
const root = path.join(dir, 'plain');
let store: FileStore;

/** PrepareDataset without Temporal: plan, reuse or run every unit, pack. */
async function prepareStage(raw: unknown): Promise<PrepareDatasetResult> {
  const input = PrepareDatasetInput.parse(raw);
  const plan = await planPrepare(input, store);
  if (plan.existing) return plan.existing;
  let processed = 0;
  let skipped = 0;
  for (let unit = 0; unit < plan.units; unit++) {
    for (const e of (await prepareUnit(store, { planPrefix: plan.planPrefix, unit, force: input.force })).entries) {
      if ('key' in e) (e.skipped ? skipped++ : processed++);
    }
  }
  return packPrepared(store, { planPrefix: plan.planPrefix, runStats: { processed, skipped } });
}

/** Video ids and frame indices of the prepared set, as stored. */
async function facesOf(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const rec of (await openPrepared(store, prefix)).records()) out.push(`${rec.videoId}#${rec.frameIndex}`);
  return out.sort();
}

beforeAll(async () => {
  photoClip(path.join(root, 'real', 'one.mp4'), 'sample2.jpg', { seconds: 1, fps: 6 });
  photoClip(path.join(root, 'real', 'two.mp4'), 'sample6.jpg', { seconds: 1, fps: 5 });
  store = new FileStore(path.join(dir, 'store'));
  await preloadDlib();
}, 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('prepare stage reuse', () => {
  const base = { dataset: { root, format: 'plain' }, outputPrefix: 'prepared/mine', prepare: { purpose: 'pretrain', framesPerRealVideo: 2, face: { upsample: 0 } } };

  it('re-prepares an explicit outputPrefix after an option change and after a video is added, never returning the old set', async () => {
    const first = await prepareStage(base);
    expect(first).toMatchObject({ prefix: 'prepared/mine', reused: false, videosTotal: 2, videosProcessed: 2 });
    expect(await facesOf(first.prefix)).toEqual(['plain/real/one.mp4#0', 'plain/real/one.mp4#5', 'plain/real/two.mp4#0', 'plain/real/two.mp4#4']);

    // The same input again: the whole set is reused.
    expect(await prepareStage(base)).toMatchObject({ reused: true, faces: first.faces, videosProcessed: 0 });

    // Another frame count under the same prefix: a new plan, new faces, not the old set.
    const moreFrames = await prepareStage({ ...base, prepare: { ...base.prepare, framesPerRealVideo: 3 } });
    expect(moreFrames).toMatchObject({ prefix: 'prepared/mine', reused: false, videosProcessed: 2, faces: 6 });
    expect(await facesOf('prepared/mine')).toEqual([
      'plain/real/one.mp4#0', 'plain/real/one.mp4#2', 'plain/real/one.mp4#5',
      'plain/real/two.mp4#0', 'plain/real/two.mp4#2', 'plain/real/two.mp4#4',
    ]);

    // Another pick policy: the per-video keys change, so the videos are prepared again.
    const largest = await prepareStage({ ...base, prepare: { ...base.prepare, face: { upsample: 0, pick: 'largest' } } });
    expect(largest).toMatchObject({ reused: false, videosProcessed: 2, videosSkipped: 0 });

    // A video added to the folder: the set grows; the two known videos are reused from the per-video cache.
    photoClip(path.join(root, 'real', 'three.mp4'), 'sample3.jpg', { seconds: 1, fps: 4 });
    const added = await prepareStage(base);
    expect(added).toMatchObject({ prefix: 'prepared/mine', reused: false, videosTotal: 3, videosProcessed: 1, videosSkipped: 2 });
    expect((await facesOf('prepared/mine')).filter((f) => f.startsWith('plain/real/three.mp4'))).toHaveLength(2);

    // force re-plans with the options given now, not those of the set it replaces.
    const forced = await prepareStage({ ...base, force: true, prepare: { ...base.prepare, framesPerRealVideo: 1 } });
    expect(forced).toMatchObject({ reused: false, videosTotal: 3, faces: 3 });
    expect(await facesOf('prepared/mine')).toEqual(['plain/real/one.mp4#0', 'plain/real/three.mp4#0', 'plain/real/two.mp4#0']);
  }, 120_000);

  it('gives two DLIB builds two stage keys, so their sets never share a prefix', async () => {
    const a = await planPrepare(PrepareDatasetInput.parse({ ...base, outputPrefix: undefined }), store);
    const b = await planPrepare(PrepareDatasetInput.parse({ ...base, outputPrefix: undefined, prepare: { ...base.prepare, face: { upsample: 0, dlib: 'avx2-fma' } } }), store);
    expect(a.prefix).not.toBe(b.prefix);
  });
});
