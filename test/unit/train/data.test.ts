import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Masker } from '../../../lib/masking/masker.js';
import { buildDataIndex, epochOrder, locateFace, memoryFaceSource, shardOffsets, toRanges } from '../../../lib/train/data.js';
import { BatchLoader, type BatchLoaderOptions } from '../../../lib/train/loader.js';
import { openPreparedFaces } from '../../../lib/train/prepared-source.js';
import { resizeFace, resizeLabelsNearest } from '../../../lib/train/resize.js';
import { syntheticRecords, syntheticShards, tempStore, writePreparedSet } from './helpers.js';

const shards = syntheticShards({ shards: 5, framesPerVideo: 6, sizePx: 24 });
// A validation shard too: selected only when 'val' is among the splits.
shards.push(syntheticRecords({ videoId: 'valvid', frames: 3, sizePx: 24, split: 'val', seed: 77 }));
const source = memoryFaceSource(shards);

describe('data index', () => {
  it('selects real faces of the chosen splits, by position, skipping fakes', async () => {
    const { index } = await buildDataIndex(source, { splits: ['train'] }, { withStats: false });
    expect(index.total).toBe(30);
    expect(index.shards).toHaveLength(5);
    expect(index.shards[0].ranges).toEqual([[0, 2], [4, 8]]);
    const both = await buildDataIndex(source, { splits: ['train', 'val'] }, { withStats: false });
    expect(both.index.total).toBe(33);
  });

  it('computes per-channel mean and std over every pixel of the selected faces', async () => {
    const { stats } = await buildDataIndex(source, { splits: ['train'] }, { withStats: true });
    const values: number[][] = [[], [], []];
    for (const r of shards.flat()) {
      if (r.label !== 'real' || r.split !== 'train') continue;
      for (let i = 0; i < r.image.length; i++) values[i % 3].push(r.image[i] / 255);
    }
    for (let c = 0; c < 3; c++) {
      const mean = values[c].reduce((a, b) => a + b, 0) / values[c].length;
      const std = Math.sqrt(values[c].reduce((a, b) => a + (b - mean) ** 2, 0) / values[c].length);
      expect(stats!.mean[c]).toBeCloseTo(mean, 9);
      expect(stats!.std[c]).toBeCloseTo(std, 9);
    }
  });

  it('compresses positions into ranges and maps global ids back to shard positions', async () => {
    expect(toRanges([0, 1, 2, 5, 6, 9])).toEqual([[0, 3], [5, 7], [9, 10]]);
    const { index } = await buildDataIndex(source, { splits: ['train'] }, { withStats: false });
    const offsets = shardOffsets(index);
    expect(locateFace(index, offsets, 0)).toEqual({ shard: 0, position: 0 });
    expect(locateFace(index, offsets, 2)).toEqual({ shard: 0, position: 4 });
    expect(locateFace(index, offsets, 6)).toEqual({ shard: 1, position: 0 });
    expect(locateFace(index, offsets, 29)).toEqual({ shard: 4, position: 7 });
  });
});

describe('epoch order', () => {
  it('is a seeded permutation that differs between epochs and seeds and repeats exactly', async () => {
    const { index } = await buildDataIndex(source, { splits: ['train'] }, { withStats: false });
    const a = epochOrder(index, 7, 0, 16);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(epochOrder(index, 7, 0, 16)).toEqual(a);
    expect(epochOrder(index, 7, 1, 16)).not.toEqual(a);
    expect(epochOrder(index, 8, 0, 16)).not.toEqual(a);
  });

  it('shuffles within windows of shards, so a window needs only its own shards', async () => {
    const { index } = await buildDataIndex(source, { splits: ['train'] }, { withStats: false });
    const offsets = shardOffsets(index);
    const order = epochOrder(index, 1, 3, 2);
    const shardOf = (id: number) => locateFace(index, offsets, id).shard;
    // Windows of 2 shards × 6 faces: the first 12 ids come from exactly 2 shards, the next 12 from 2 others.
    const first = new Set([...order.subarray(0, 12)].map(shardOf));
    const second = new Set([...order.subarray(12, 24)].map(shardOf));
    expect(first.size).toBe(2);
    expect(second.size).toBe(2);
    expect([...first].some((s) => second.has(s))).toBe(false);
  });
});

describe('prepared sets', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    ctx = await tempStore();
    await writePreparedSet(ctx.store, 'prepared/a', shards.slice(0, 3));
    await writePreparedSet(ctx.store, 'prepared/b', shards.slice(3, 5));
  });
  afterAll(() => ctx.cleanup());

  it('read through lib/prepare give the same selection and pixels as the records themselves', async () => {
    const prepared = await openPreparedFaces(ctx.store, ['prepared/a', 'prepared/b'], { splits: ['train'], cacheShards: 2 });
    expect(prepared.shardIds).toEqual(['0:shards/shard-00000.bin', '0:shards/shard-00001.bin', '0:shards/shard-00002.bin', '1:shards/shard-00000.bin', '1:shards/shard-00001.bin']);
    const fromStore = await buildDataIndex(prepared, { splits: ['train'] }, { withStats: true });
    const fromMemory = await buildDataIndex(memoryFaceSource(shards.slice(0, 5)), { splits: ['train'] }, { withStats: true });
    expect(fromStore.index.total).toBe(fromMemory.index.total);
    expect(fromStore.index.shards.map((s) => s.ranges)).toEqual(fromMemory.index.shards.map((s) => s.ranges));
    expect(fromStore.stats).toEqual(fromMemory.stats);
    const [face] = await prepared.readFaces('1:shards/shard-00001.bin', [5]);
    expect(face.faceId).toBe(shards[4][5].faceId);
    expect(Buffer.from(face.image).equals(Buffer.from(shards[4][5].image))).toBe(true);
    expect(Buffer.from(face.regionMap).equals(Buffer.from(shards[4][5].regionMap))).toBe(true);
  });
});

describe('batch loader', () => {
  const masker = new Masker({ imageSizePx: 16, patchSizePx: 4 });
  const options = async (prefetch: number): Promise<BatchLoaderOptions> => {
    const { index } = await buildDataIndex(source, { splits: ['train'] }, { withStats: false });
    return {
      source,
      index,
      seed: 11,
      windowShards: 2,
      batchSize: 4,
      batchesPerEpoch: 6,
      epochs: 3,
      imageSizePx: 16,
      resizeKernel: 'cubic',
      normalization: { mean: [0.5, 0.4, 0.3], std: [0.25, 0.2, 0.1] },
      patchRegions: (m) => masker.patchRegions(m),
      requireRegionMaps: true,
      prefetch,
    };
  };

  it('gives the same batches with or without prefetching, and when started mid-run', async () => {
    const eager = new BatchLoader(await options(3), { epoch: 0, batchInEpoch: 0 });
    const lazy = new BatchLoader(await options(0), { epoch: 0, batchInEpoch: 0 });
    const all = [];
    for (let i = 0; i < 14; i++) {
      const [a, b] = [await eager.next(), await lazy.next()];
      expect(a.faceIds).toEqual(b.faceIds);
      expect(a.images).toEqual(b.images);
      all.push(a);
    }
    expect(all.map((b) => `${b.epoch}/${b.batchInEpoch}`).slice(5, 8)).toEqual(['0/5', '1/0', '1/1']);
    // 6 batches of 4 per epoch from 30 faces: 24 distinct faces, 6 left out.
    expect(new Set(all.slice(0, 6).flatMap((b) => b.faceIds)).size).toBe(24);
    const resumed = new BatchLoader(await options(2), { epoch: 1, batchInEpoch: 1 });
    const r = await resumed.next();
    expect(r.faceIds).toEqual(all[7].faceIds);
    expect(r.images).toEqual(all[7].images);
    for (const l of [eager, lazy, resumed]) l.close();
  });

  it('resizes each face to the model size and normalises with the dataset mean/std', async () => {
    const loader = new BatchLoader(await options(0), { epoch: 0, batchInEpoch: 0 });
    const batch = await loader.next();
    expect(batch.images.length).toBe(4 * 16 * 16 * 3);
    const record = shards.flat().find((r) => r.faceId === batch.faceIds[0])!;
    const rgb = await resizeFace(record.image, 24, 16, 'cubic');
    expect(batch.images[0]).toBeCloseTo((rgb[0] / 255 - 0.5) / 0.25, 5);
    expect(batch.images[5]).toBeCloseTo((rgb[5] / 255 - 0.3) / 0.1, 5);
    expect(batch.regions[0].groupBits.length).toBe(16);
    loader.close();
  });
});

describe('resizing region maps', () => {
  it('uses nearest neighbour with aligned pixel centres and never invents labels', () => {
    const map = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, 5]); // 4×4
    expect(Array.from(resizeLabelsNearest(map, 4, 2))).toEqual([6, 8, 3, 5]);
    const up = resizeLabelsNearest(Uint8Array.from([1, 2, 3, 4]), 2, 4);
    expect(Array.from(up)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    const big = syntheticRecords({ videoId: 'v', frames: 1, sizePx: 224 })[0].regionMap;
    const small = resizeLabelsNearest(big, 224, 112);
    expect(new Set(small)).toEqual(new Set(big));
  });
});
