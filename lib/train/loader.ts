/**
 * The prefetching batch loader: decodes, resizes and normalises the next batches while the training step
 * runs (sharp works on libuv's pool, so its part overlaps even a synchronous step).
 *
 * Batch (epoch, b) is a pure function of the data index, the seed and (epoch, b): prefetching, restarts and
 * resumes never change what a step sees. Masks are drawn later, by the consumer, in step order.
 */
import { InvalidConfig } from '../errors.js';
import type { PatchRegions } from '../masking/regions.js';
import { type ChannelStats, type DataIndex, epochOrder, type FaceSource, locateFace, shardOffsets } from './data.js';
import { resizeFace, resizeLabelsNearest } from './resize.js';

export interface LoadedBatch {
  epoch: number;
  batchInEpoch: number;
  faceIds: string[];
  /** [batchSize, imageSizePx, imageSizePx, 3] row-major, normalised by the dataset mean/std. */
  images: Float32Array;
  /** Patch-region membership of each face's region map at the model's size. */
  regions: PatchRegions[];
}

export interface BatchLoaderOptions {
  source: FaceSource;
  index: DataIndex;
  seed: number;
  windowShards: number;
  batchSize: number;
  /** Batches read per epoch (whole accumulation cycles); the rest of an epoch is skipped. */
  batchesPerEpoch: number;
  epochs: number;
  imageSizePx: number;
  resizeKernel: 'cubic' | 'linear';
  normalization: ChannelStats;
  patchRegions: (regionMap: Uint8Array) => PatchRegions;
  /** When false, faces without a region map get an all-background map (random masking needs none). */
  requireRegionMaps: boolean;
  /** Batches decoded ahead of the consumer. */
  prefetch: number;
}

export class BatchLoader {
  private readonly offsets: Int32Array;
  private readonly orders = new Map<number, Int32Array>();
  private readonly queue: Promise<LoadedBatch>[] = [];
  private nextEpoch: number;
  private nextBatch: number;
  private closed = false;

  constructor(
    private readonly o: BatchLoaderOptions,
    start: { epoch: number; batchInEpoch: number },
  ) {
    if (o.batchesPerEpoch * o.batchSize > o.index.total) {
      throw new InvalidConfig(`${o.batchesPerEpoch} batches of ${o.batchSize} need more than the ${o.index.total} faces`);
    }
    this.offsets = shardOffsets(o.index);
    this.nextEpoch = start.epoch;
    this.nextBatch = start.batchInEpoch;
    this.fill();
  }

  /** The next batch in order; rejects with the error that loading it hit. */
  async next(): Promise<LoadedBatch> {
    if (this.closed) throw new Error('the batch loader is closed');
    if (this.queue.length === 0) this.enqueue();
    const batch = this.queue.shift();
    if (!batch) throw new InvalidConfig('the data order is exhausted (past the last epoch)');
    this.fill();
    return batch;
  }

  /** Stops prefetching; batches in flight finish and are dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.orders.clear();
  }

  private fill(): void {
    while (!this.closed && this.queue.length < Math.max(this.o.prefetch, 0) && this.nextEpoch < this.o.epochs) this.enqueue();
  }

  private enqueue(): void {
    if (this.nextEpoch >= this.o.epochs) return;
    const p = this.load(this.nextEpoch, this.nextBatch);
    // Prefetched batches may be dropped unread (close); their errors surface when (if) they are awaited.
    p.catch(() => {});
    this.queue.push(p);
    this.nextBatch += 1;
    if (this.nextBatch >= this.o.batchesPerEpoch) {
      this.nextBatch = 0;
      this.nextEpoch += 1;
    }
  }

  private order(epoch: number): Int32Array {
    let order = this.orders.get(epoch);
    if (!order) {
      order = epochOrder(this.o.index, this.o.seed, epoch, this.o.windowShards);
      this.orders.set(epoch, order);
      for (const e of this.orders.keys()) if (e < epoch - 1) this.orders.delete(e);
    }
    return order;
  }

  private async load(epoch: number, batchInEpoch: number): Promise<LoadedBatch> {
    const { batchSize, imageSizePx, index, source } = this.o;
    const ids = this.order(epoch).subarray(batchInEpoch * batchSize, (batchInEpoch + 1) * batchSize);
    const wanted = new Map<number, { slot: number; position: number }[]>();
    ids.forEach((id, slot) => {
      const { shard, position } = locateFace(index, this.offsets, id);
      let list = wanted.get(shard);
      if (!list) wanted.set(shard, (list = []));
      list.push({ slot, position });
    });
    const records = new Array<Awaited<ReturnType<FaceSource['readFaces']>>[number]>(batchSize);
    await Promise.all(
      [...wanted.entries()].map(async ([shard, list]) => {
        const got = await source.readFaces(index.shards[shard].id, list.map((w) => w.position));
        list.forEach((w, k) => (records[w.slot] = got[k]));
      }),
    );
    const plane = imageSizePx * imageSizePx;
    const images = new Float32Array(batchSize * plane * 3);
    const { mean, std } = this.o.normalization;
    const scale = [0, 1, 2].map((c) => 1 / (255 * std[c]));
    const shift = [0, 1, 2].map((c) => mean[c] / std[c]);
    const resized = await Promise.all(records.map((r) => resizeFace(r.image, r.sizePx, imageSizePx, this.o.resizeKernel)));
    const regions = records.map((r, slot) => {
      const rgb = resized[slot];
      const base = slot * plane * 3;
      for (let p = 0; p < plane * 3; p += 3) {
        images[base + p] = rgb[p] * scale[0] - shift[0];
        images[base + p + 1] = rgb[p + 1] * scale[1] - shift[1];
        images[base + p + 2] = rgb[p + 2] * scale[2] - shift[2];
      }
      let map = r.regionMap;
      if (map.length === 0) {
        if (this.o.requireRegionMaps) {
          throw new InvalidConfig(`face ${r.faceId} has no region map; CRFR-P masking needs them (prepare with region maps, or mask randomly)`);
        }
        map = new Uint8Array(r.sizePx * r.sizePx);
      }
      return this.o.patchRegions(resizeLabelsNearest(map, r.sizePx, imageSizePx));
    });
    return { epoch, batchInEpoch, faceIds: records.map((r) => r.faceId), images, regions };
  }
}
