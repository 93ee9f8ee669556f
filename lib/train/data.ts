/**
 * The pretraining faces: which ones (real faces of the chosen splits), their per-epoch order, and the
 * dataset's channel statistics.
 *
 * Faces live in shards of a few hundred. An epoch's order is a pure function of (seed, epoch, index):
 * shards are permuted, then faces are shuffled within windows of `windowShards` consecutive shards of that
 * permutation (a full shuffle when there are no more shards than that). So the loader holds one window's shards
 * at a time, and a resumed run recomputes exactly the order it left.
 */
import { InvalidConfig } from '../errors.js';
import { Rng } from '../masking/rng.js';
import type { ShardRecord, ShardRecordMeta } from '../prepare/shards.js';

export type { ShardRecord, ShardRecordMeta };

/** Where the faces come from: shards of prepared sets (prepared-source.ts) or, in tests, memory. */
export interface FaceSource {
  /** Shard ids in a fixed order. */
  readonly shardIds: readonly string[];
  /** Metadata of every record of a shard, in shard order (no pixels decoded where the format allows). */
  shardMeta(shardId: string): Promise<ShardRecordMeta[]>;
  /** The records at `positions` (indices into shardMeta's list) with pixels, in the order asked. */
  readFaces(shardId: string, positions: readonly number[]): Promise<ShardRecord[]>;
}

export interface FaceSelection {
  splits: readonly string[];
}

/** Pretraining uses real faces only (fsfm-method.md §1). */
export function isPretrainFace(meta: Pick<ShardRecordMeta, 'label' | 'split'>, selection: FaceSelection): boolean {
  return meta.label === 'real' && selection.splits.includes(meta.split);
}

/** The selected faces: per shard, [start, end) ranges of record positions (runs of real frames compress well). */
export interface DataIndex {
  shards: { id: string; ranges: [number, number][]; count: number }[];
  total: number;
  splits: string[];
}

export interface ChannelStats {
  /** Per channel (R, G, B), of pixel values scaled to [0, 1]. */
  mean: [number, number, number];
  std: [number, number, number];
}

/**
 * One pass over the source: the index of selected faces and, when `withStats`, the per-channel mean and
 * (population) std over all their pixels at the stored resolution.
 */
export async function buildDataIndex(
  source: FaceSource,
  selection: FaceSelection,
  opts: { withStats: boolean; signal?: AbortSignal },
): Promise<{ index: DataIndex; stats: ChannelStats | null }> {
  const shards: DataIndex['shards'] = [];
  const sum = [0, 0, 0];
  const sumSq = [0, 0, 0];
  let pixels = 0;
  for (const id of source.shardIds) {
    opts.signal?.throwIfAborted();
    const metas = await source.shardMeta(id);
    const positions: number[] = [];
    metas.forEach((m, i) => {
      if (isPretrainFace(m, selection)) positions.push(i);
    });
    if (positions.length === 0) continue;
    shards.push({ id, ranges: toRanges(positions), count: positions.length });
    if (opts.withStats) {
      for (const r of await source.readFaces(id, positions)) {
        const n = r.sizePx * r.sizePx;
        // Integer sums per image are exact; the float64 totals then lose nothing that matters.
        const s = [0, 0, 0];
        const q = [0, 0, 0];
        for (let p = 0; p < n; p++) {
          for (let c = 0; c < 3; c++) {
            const v = r.image[p * 3 + c];
            s[c] += v;
            q[c] += v * v;
          }
        }
        for (let c = 0; c < 3; c++) {
          sum[c] += s[c];
          sumSq[c] += q[c];
        }
        pixels += n;
      }
    }
  }
  const total = shards.reduce((a, s) => a + s.count, 0);
  if (total === 0) throw new InvalidConfig(`no real faces in splits ${selection.splits.join(', ')} to pretrain on`);
  let stats: ChannelStats | null = null;
  if (opts.withStats) {
    const mean = sum.map((s) => s / pixels / 255);
    const std = sumSq.map((q, c) => Math.sqrt(Math.max(q / pixels / 255 ** 2 - mean[c] ** 2, 0)));
    if (std.some((s) => s === 0)) throw new InvalidConfig('the pretraining faces have a constant channel (std 0); cannot normalise');
    stats = { mean: mean as ChannelStats['mean'], std: std as ChannelStats['std'] };
  }
  return { index: { shards, total, splits: [...selection.splits] }, stats };
}

export function toRanges(sortedPositions: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of sortedPositions) {
    const last = out[out.length - 1];
    if (last && last[1] === p) last[1] = p + 1;
    else out.push([p, p + 1]);
  }
  return out;
}

/** The k-th selected position of a shard (k < count). */
export function positionAt(ranges: readonly [number, number][], k: number): number {
  let left = k;
  for (const [a, b] of ranges) {
    if (left < b - a) return a + left;
    left -= b - a;
  }
  throw new RangeError(`selected face ${k} is beyond the shard's ${ranges.reduce((n, [a, b]) => n + b - a, 0)}`);
}

/** Seeds of the run's independent random streams: the masks, and each epoch's shuffle. */
export function streamSeed(seed: number, stream: 'mask' | 'shuffle', epoch = 0): number {
  // seed < 2^31 and epoch < 2^21 - 1 keep this a distinct safe integer per (seed, stream, epoch).
  if (epoch < 0 || epoch >= 2 ** 21 - 1) throw new InvalidConfig(`epoch ${epoch} out of range`);
  return seed * 2 ** 21 + (stream === 'mask' ? 0 : epoch + 1);
}

/** Global face ids (0 … total−1, shards in index order) in the order epoch `epoch` visits them. */
export function epochOrder(index: DataIndex, seed: number, epoch: number, windowShards: number): Int32Array {
  const rng = Rng.fromSeed(streamSeed(seed, 'shuffle', epoch));
  const offsets = shardOffsets(index);
  const shardOrder = Array.from({ length: index.shards.length }, (_, i) => i);
  shuffleInPlace(shardOrder, rng);
  const out = new Int32Array(index.total);
  let at = 0;
  for (let w = 0; w < shardOrder.length; w += windowShards) {
    const start = at;
    for (const s of shardOrder.slice(w, w + windowShards)) {
      for (let k = 0; k < index.shards[s].count; k++) out[at++] = offsets[s] + k;
    }
    shuffleInPlace(out.subarray(start, at), rng);
  }
  return out;
}

/** Cumulative face counts: shard s holds global ids offsets[s] … offsets[s+1]−1. */
export function shardOffsets(index: DataIndex): Int32Array {
  const offsets = new Int32Array(index.shards.length + 1);
  index.shards.forEach((s, i) => (offsets[i + 1] = offsets[i] + s.count));
  return offsets;
}

/** Global face id -> (shard, record position in the shard). */
export function locateFace(index: DataIndex, offsets: Int32Array, id: number): { shard: number; position: number } {
  let lo = 0;
  let hi = index.shards.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= id) lo = mid;
    else hi = mid - 1;
  }
  return { shard: lo, position: positionAt(index.shards[lo].ranges, id - offsets[lo]) };
}

/** Fisher–Yates with the seeded generator (never Math.random). */
function shuffleInPlace(a: { length: number; [i: number]: number }, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** An in-memory source (tests, small sample sets): shards are arrays of records. */
export function memoryFaceSource(shards: ReadonlyMap<string, readonly ShardRecord[]> | readonly (readonly ShardRecord[])[]): FaceSource {
  const map = Array.isArray(shards)
    ? new Map((shards as readonly (readonly ShardRecord[])[]).map((records, i) => [`shard-${String(i).padStart(5, '0')}`, records]))
    : new Map(shards as ReadonlyMap<string, readonly ShardRecord[]>);
  const get = (id: string) => {
    const records = map.get(id);
    if (!records) throw new InvalidConfig(`no shard ${id}`);
    return records;
  };
  return {
    shardIds: [...map.keys()],
    async shardMeta(id) {
      return get(id).map(({ image: _image, regionMap: _map, ...meta }) => meta);
    },
    async readFaces(id, positions) {
      const records = get(id);
      return positions.map((p) => records[p]);
    },
  };
}
