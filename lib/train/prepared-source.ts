/**
 * Faces from committed prepared sets (lib/prepare): each shard is read from the store once per use, verified
 * against its manifest sha256, and kept compressed in a small LRU cache; only the records a batch needs are
 * decoded.
 */
import { InvalidConfig } from '../errors.js';
import { openPrepared, type PreparedSet } from '../prepare/pack.js';
import { decodeShardWhere, readShardIndex, type ShardRecord, type ShardRecordMeta } from '../prepare/shards.js';
import { readMember } from '../store/sets.js';
import type { ArtifactStore } from '../store/types.js';
import type { FaceSource } from './data.js';

export interface PreparedFaceSource extends FaceSource {
  sets: PreparedSet[];
}

/**
 * Opens the sets under `prefixes` (concatenated in the given order). Shard ids are `<set index>:<member name>`.
 * `splits` restricts the shards to those of the splits (a shard never mixes splits). `cacheShards`: how many
 * compressed shards stay in memory (the loader needs one shuffle window's worth).
 */
export async function openPreparedFaces(
  store: ArtifactStore,
  prefixes: readonly string[],
  opts: { splits?: readonly string[]; cacheShards?: number } = {},
): Promise<PreparedFaceSource> {
  if (prefixes.length === 0) throw new InvalidConfig('pretraining needs at least one prepared set (data.prepared is empty)');
  const sets = await Promise.all(prefixes.map((p) => openPrepared(store, p)));
  const shardIds: string[] = [];
  sets.forEach((set, i) => {
    const wanted = opts.splits ? new Set(opts.splits.flatMap((s) => set.meta.shardsBySplit[s] ?? [])) : null;
    for (const name of set.meta.shards) if (!wanted || wanted.has(name)) shardIds.push(`${i}:${name}`);
  });
  const cache = new LruCache<string, Promise<{ buf: Buffer; metas: ShardRecordMeta[] }>>(Math.max(1, opts.cacheShards ?? 8));
  const load = (id: string) => {
    let hit = cache.get(id);
    if (!hit) {
      const [setIndex, name] = splitId(id);
      const set = sets[setIndex];
      if (!set) throw new InvalidConfig(`no prepared set for shard ${id}`);
      hit = readMember(store, set.manifest, name).then((buf) => ({ buf, metas: readShardIndex(buf) }));
      // A failed read must not stay cached.
      hit.catch(() => cache.delete(id));
      cache.set(id, hit);
    }
    return hit;
  };
  return {
    sets,
    shardIds,
    async shardMeta(id) {
      return (await load(id)).metas;
    },
    async readFaces(id, positions) {
      const { buf, metas } = await load(id);
      const wanted = new Set(positions.map((p) => metas[p]?.faceId));
      if (wanted.size !== new Set(positions).size) throw new InvalidConfig(`shard ${id}: positions out of range or faceIds not unique`);
      const byId = new Map<string, ShardRecord>();
      for (const r of await decodeShardWhere(buf, (m) => wanted.has(m.faceId))) byId.set(r.faceId, r);
      return positions.map((p) => byId.get(metas[p].faceId)!);
    },
  };
}

function splitId(id: string): [number, string] {
  const colon = id.indexOf(':');
  return [Number(id.slice(0, colon)), id.slice(colon + 1)];
}

class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}
