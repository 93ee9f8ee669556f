/** packShards / openPrepared / verifyPrepared over videos prepared from the generated fixtures. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, InvalidConfig, NotFound } from '../../../lib/errors.js';
import { preloadDlib } from '../../../lib/faces/index.js';
import {
  decodeShard,
  isPerVideoFailure,
  openPrepared,
  packShards,
  prepareVideo,
  readShardIndex,
  verifyPrepared,
  type FaceLine,
  type PackVideo,
  type PrepareOptionsInput,
} from '../../../lib/prepare/index.js';
import { FileStore, readMember, readSet, type SetManifest } from '../../../lib/store/index.js';
import { makePrepareFixtures, type PrepareFixtures } from './fixtures.js';

const OPTIONS: PrepareOptionsInput = { face: { upsample: 0 }, framesPerRealVideo: 6, framesPerFakeVideo: 4, shardSizeFaces: 4 };
const PREFIX = 'prepared/pack';

let fx: PrepareFixtures;
let storeDir: string;
let store: FileStore;
let videos: PackVideo[];
let manifest: SetManifest;
let faces: FaceLine[];

beforeAll(async () => {
  [fx] = await Promise.all([makePrepareFixtures(), preloadDlib()]);
  storeDir = await mkdtemp(path.join(tmpdir(), 'fsfm-pack-store-'));
  store = new FileStore(storeDir);
  const ctx = { datasetRoot: fx.root, store, prefix: PREFIX, options: OPTIONS };
  // The way a workflow would: prepare each row, keep its key, record per-video failures.
  videos = [];
  for (const row of [fx.rows.image, fx.rows.fake, fx.rows.face, fx.rows.gap, fx.rows.noFace, fx.rows.missing, fx.rows.random]) {
    try {
      videos.push({ row, key: (await prepareVideo(row, ctx)).key });
    } catch (err) {
      if (!isPerVideoFailure(err)) throw err;
      const e = err as Error;
      videos.push({ row, error: { type: e.name, message: e.message } });
    }
  }
  manifest = await packShards({ store, prefix: PREFIX, videos, options: OPTIONS });
  faces = await (await openPrepared(store, PREFIX)).faces();
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
  if (storeDir) await rm(storeDir, { recursive: true, force: true });
});

describe('packShards', () => {
  it('commits one prepared set whose counts match faces.jsonl', async () => {
    const set = await openPrepared(store, PREFIX);
    const meta = set.meta;
    expect(meta.kind).toBe('prepared');
    expect(meta.faceSizePx).toBe(224);
    // face 6 + gap 6 minus hidden frames + fake 4 (train), image 1 (test).
    expect(meta.faces).toBe(faces.length);
    const count = (split: string, label: string) => faces.filter((f) => f.split === split && f.label === label).length;
    expect(meta.counts).toEqual({ test: { real: 1, fake: 0 }, train: { real: count('train', 'real'), fake: 4 } });
    expect(count('train', 'real')).toBeGreaterThan(6);
    expect(meta.videos).toEqual({ done: 4, failed: 3 });
    expect(meta.videoCounts).toEqual({ test: { real: 1, fake: 0 }, train: { real: 2, fake: 1 } });
    const summary = await set.summary();
    expect(summary.failed.map((f) => [f.videoId, f.type])).toEqual([
      ['fx/real/missing.mp4', 'InvalidPath'],
      ['fx/real/noface.mp4', 'NoFaceFound'],
      ['fx/real/random.mp4', 'CorruptVideo'],
    ]);
    expect(summary.failedByType).toEqual({ InvalidPath: 1, NoFaceFound: 1, CorruptVideo: 1 });
  });

  it('orders faces by split, video id and frame index, with shards of at most shardSizeFaces that never mix splits', async () => {
    const order = faces.map((f) => [f.split, f.videoId, f.frameIndex] as const);
    const sorted = [...order].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
    expect(order).toEqual(sorted);
    const meta = manifest.meta as { shards: string[]; shardsBySplit: Record<string, string[]> };
    expect(meta.shardsBySplit.test).toEqual(['shards/shard-00000.bin']);
    expect(meta.shards).toEqual([...meta.shardsBySplit.test, ...meta.shardsBySplit.train]);
    for (const name of meta.shards) {
      const index = readShardIndex(await readMember(store, manifest, name));
      expect(index.length).toBeGreaterThan(0);
      expect(index.length).toBeLessThanOrEqual(4);
      expect(new Set(index.map((r) => r.split)).size).toBe(1);
      // faces.jsonl points at each record: same shard, same position.
      const lines = faces.filter((f) => f.shard === name);
      expect(lines.map((f) => f.shardIndex)).toEqual(index.map((_, i) => i));
      expect(lines.map((f) => f.faceId)).toEqual(index.map((r) => r.faceId));
    }
  });

  it('keeps lineage per face: dataset, path, label, method, group, box, crop and the stored face and map', async () => {
    const fake = faces.find((f) => f.videoId === 'fx/fake/fake.mp4')!;
    expect(fake).toMatchObject({ dataset: 'fx', path: 'fake/fake.mp4', label: 'fake', method: 'Deepfakes', group: 'fx/fake/fake.mp4', split: 'train' });
    const image = faces.find((f) => f.split === 'test')!;
    expect(image).toMatchObject({ videoId: 'fx/images/face2.jpg', group: 'fx/images', frameIndex: 0 });
    // The shard holds exactly the stored face and map.
    const [record] = await decodeShard(await readMember(store, manifest, image.shard));
    const stored = await sharp(await store.get(`${PREFIX}/${image.image}`)).raw().toBuffer();
    expect(Buffer.from(record.image).equals(stored)).toBe(true);
    expect(record.regionMap).toHaveLength(224 * 224);
    expect(image.crop.sizePx).toBeGreaterThan(0);
    expect(image.box.right).toBeGreaterThan(image.box.left);
  });

  it('serves records by split through openPrepared, sha256-verified', async () => {
    const set = await openPrepared(store, PREFIX);
    const collect = async (filter?: { split?: string; label?: 'real' | 'fake' }) => {
      const out = [];
      for await (const r of set.records(filter)) out.push(r);
      return out;
    };
    expect((await collect()).map((r) => r.faceId)).toEqual(faces.map((f) => f.faceId));
    expect((await collect({ split: 'test' })).map((r) => r.videoId)).toEqual(['fx/images/face2.jpg']);
    expect((await collect({ split: 'train', label: 'fake' })).map((r) => r.frameIndex)).toEqual([0, 5, 10, 15]);
    expect(await collect({ split: 'val' })).toEqual([]);
  });

  it('packs the same inputs into the same shard bytes (input order does not matter)', async () => {
    const again = await packShards({ store, prefix: PREFIX, videos: [...videos].reverse(), options: OPTIONS });
    const shas = (m: SetManifest) => m.members.map((x) => [x.name, x.sha256]);
    expect(shas(again)).toEqual(shas(manifest));
  });

  it('verifies every stored object down to the faces, and detects a changed face', async () => {
    const checked = await verifyPrepared(store, PREFIX);
    expect(checked.videos).toBe(4);
    expect(checked.objects).toBeGreaterThan(faces.length * 2);
    const victim = faces[1];
    await writeFile(path.join(storeDir, PREFIX, victim.image), Buffer.from('not a png'));
    await expect(verifyPrepared(store, PREFIX)).rejects.toThrow(IntegrityError);
  });

  it('refuses a key that was never prepared, duplicate rows, and keys prepared with other options', async () => {
    const row = fx.rows.face;
    await expect(packShards({ store, prefix: 'prepared/other', videos: [{ row, key: 'f'.repeat(64) }], options: OPTIONS })).rejects.toThrow(NotFound);
    const key = (videos.find((v) => v.row.id === row.id) as { key: string }).key;
    await expect(packShards({ store, prefix: PREFIX, videos: [{ row, key }, { row, key }], options: OPTIONS })).rejects.toThrow(/twice/);
    await expect(packShards({ store, prefix: PREFIX, videos: [{ row, key }], options: { ...OPTIONS, framesPerRealVideo: 7 } })).rejects.toThrow(InvalidConfig);
    await expect(openPrepared(store, 'prepared/none')).rejects.toThrow(NotFound);
    expect(await readSet(store, 'prepared/other')).toBeNull();
  });
});
