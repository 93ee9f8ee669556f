/**
 * Faces of prepared sets (lib/prepare) for finetuning and scoring, read one face at a time.
 *
 * Finetuning draws faces at random over the whole set (class-balanced sampling with replacement), which a
 * shard-at-a-time reader would serve by re-reading whole shards for single faces. So each needed shard is
 * downloaded once into a local cache folder (sha256-verified by the store), its header parsed, and a face is
 * one positioned read of its PNG plus a decode (sharp, on libuv's pool, so decoding overlaps the training step).
 * Only the splits asked for are fetched.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IntegrityError, InvalidConfig } from '../errors.js';
import type { RgbImage } from '../faces/image.js';
import { openPrepared, type PreparedSet } from '../prepare/pack.js';
import { decodeFacePng } from '../prepare/png.js';
import { mapLimit, SHARD_MAGIC, SHARD_VERSION, type ShardRecordMeta } from '../prepare/shards.js';
import { joinKey, type ArtifactStore } from '../store/types.js';

/** Where one face lives, with the metadata sampling and metrics need. */
export interface FaceRef extends ShardRecordMeta {
  /** Index of the prepared set in the order given. */
  setIndex: number;
  /** Shard member name within its set. */
  shard: string;
  /** Absolute byte offset and length of the face PNG in the shard file. */
  imageOffset: number;
  imageLength: number;
}

const PREAMBLE_BYTES = 16;
const DOWNLOADS_IN_FLIGHT = 4;
const DECODES_IN_FLIGHT = 8;

export class PreparedFaceReader {
  private readonly files = new Map<string, string>();
  private readonly refsBySplit = new Map<string, FaceRef[]>();

  private constructor(
    readonly sets: PreparedSet[],
    private readonly cacheDir: string,
  ) {}

  /**
   * Opens the sets under `prefixes` and fetches the shards of `splits` into a fresh cache folder (under
   * `cacheRoot`, default the OS temp folder); close() deletes it.
   */
  static async open(
    store: ArtifactStore,
    prefixes: readonly string[],
    opts: { splits: readonly string[]; cacheRoot?: string; signal?: AbortSignal },
  ): Promise<PreparedFaceReader> {
    if (prefixes.length === 0) throw new InvalidConfig('no prepared face sets given (data.prepared is empty)');
    const sets = await Promise.all(prefixes.map((p) => openPrepared(store, p)));
    const cacheDir = await mkdtemp(path.join(opts.cacheRoot ?? tmpdir(), 'fsfm-faces-'));
    const reader = new PreparedFaceReader(sets, cacheDir);
    try {
      await reader.fetch(store, opts.splits, opts.signal);
    } catch (err) {
      await reader.close();
      throw err;
    }
    return reader;
  }

  /** Faces of one split, in set order, then shard order, then record order. */
  refs(split: string): FaceRef[] {
    return this.refsBySplit.get(split) ?? [];
  }

  /** The faces' pixels, in the order asked. */
  async read(refs: readonly FaceRef[]): Promise<RgbImage[]> {
    const byShard = new Map<string, number[]>();
    refs.forEach((r, i) => {
      const id = shardId(r.setIndex, r.shard);
      let list = byShard.get(id);
      if (!list) byShard.set(id, (list = []));
      list.push(i);
    });
    const pngs = new Array<Buffer>(refs.length);
    for (const [id, indices] of byShard) {
      const file = this.files.get(id);
      if (!file) throw new InvalidConfig(`shard ${id} was not fetched (its split was not opened)`);
      const handle = await open(file, 'r');
      try {
        for (const i of indices) {
          const r = refs[i];
          const buf = Buffer.allocUnsafe(r.imageLength);
          const { bytesRead } = await handle.read(buf, 0, r.imageLength, r.imageOffset);
          if (bytesRead !== r.imageLength) throw new IntegrityError(`shard ${id}: face ${r.faceId} is cut short`);
          pngs[i] = buf;
        }
      } finally {
        await handle.close();
      }
    }
    return mapLimit(refs, DECODES_IN_FLIGHT, async (r, i) => {
      const rgb = await decodeFacePng(pngs[i], r.sizePx, `face ${r.faceId}`);
      return { rgb: Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), widthPx: r.sizePx, heightPx: r.sizePx };
    });
  }

  async close(): Promise<void> {
    await rm(this.cacheDir, { recursive: true, force: true });
  }

  private async fetch(store: ArtifactStore, splits: readonly string[], signal?: AbortSignal): Promise<void> {
    const wanted: { setIndex: number; name: string }[] = [];
    this.sets.forEach((set, setIndex) => {
      const names = new Set(splits.flatMap((s) => set.meta.shardsBySplit[s] ?? []));
      // Set order: the refs come out in a fixed order whatever the download order.
      for (const name of set.meta.shards) if (names.has(name)) wanted.push({ setIndex, name });
    });
    const headers = await mapLimit(wanted, DOWNLOADS_IN_FLIGHT, async ({ setIndex, name }) => {
      signal?.throwIfAborted();
      const set = this.sets[setIndex];
      const member = set.manifest.members.find((m) => m.name === name);
      if (!member) throw new IntegrityError(`prepared set ${set.prefix} lists shard ${name} but its manifest does not`);
      const file = path.join(this.cacheDir, `${setIndex}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}.bin`);
      await store.download(joinKey(set.prefix, name), file, { expectSha256: member.sha256 });
      this.files.set(shardId(setIndex, name), file);
      return readShardHeader(file, `${set.prefix}/${name}`);
    });
    wanted.forEach(({ setIndex, name }, k) => {
      const { records, blobStart, sizeBytes } = headers[k];
      for (const r of records) {
        if (!splits.includes(r.split)) continue;
        const [offset, length] = r.image;
        if (blobStart + offset + length > sizeBytes) throw new IntegrityError(`shard ${name}: face ${r.faceId} points past the end of the file`);
        const { image: _image, map: _map, ...meta } = r;
        let list = this.refsBySplit.get(r.split);
        if (!list) this.refsBySplit.set(r.split, (list = []));
        list.push({ ...meta, setIndex, shard: name, imageOffset: blobStart + offset, imageLength: length });
      }
    });
  }
}

function shardId(setIndex: number, name: string): string {
  return `${setIndex}:${name}`;
}

interface HeaderRecord extends ShardRecordMeta {
  image: [number, number];
  map: [number, number] | null;
}

/** The shard header alone (lib/prepare/shards.ts has the format), read from a local file. */
async function readShardHeader(file: string, what: string): Promise<{ records: HeaderRecord[]; blobStart: number; sizeBytes: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const preamble = Buffer.alloc(PREAMBLE_BYTES);
    await handle.read(preamble, 0, PREAMBLE_BYTES, 0);
    if (size < PREAMBLE_BYTES || preamble.toString('latin1', 0, 8) !== SHARD_MAGIC) throw new IntegrityError(`${what} is not a shard file`);
    const version = preamble.readUInt32LE(8);
    if (version !== SHARD_VERSION) throw new IntegrityError(`${what}: shard format version ${version} is not supported`);
    const headerLength = preamble.readUInt32LE(12);
    if (PREAMBLE_BYTES + headerLength > size) throw new IntegrityError(`${what}: header runs past the end of the file`);
    const header = Buffer.alloc(headerLength);
    await handle.read(header, 0, headerLength, PREAMBLE_BYTES);
    let parsed: { records?: unknown };
    try {
      parsed = JSON.parse(header.toString('utf8')) as { records?: unknown };
    } catch (cause) {
      throw new IntegrityError(`${what}: header is not JSON`, { cause });
    }
    if (!Array.isArray(parsed.records)) throw new IntegrityError(`${what}: header has no records list`);
    const records = parsed.records as HeaderRecord[];
    for (const r of records) {
      if (!r || typeof r.faceId !== 'string' || !Array.isArray(r.image) || r.image.length !== 2 || !Number.isSafeInteger(r.sizePx)) {
        throw new IntegrityError(`${what}: malformed record`);
      }
    }
    return { records, blobStart: PREAMBLE_BYTES + headerLength, sizeBytes: size };
  } finally {
    await handle.close();
  }
}

/** A short digest of which faces (and labels) a list holds, in order: a resumed run must see the same data. */
export function refsDigest(refs: readonly FaceRef[]): string {
  const h = createHash('sha256');
  for (const r of refs) h.update(`${r.setIndex}\t${r.faceId}\t${r.label}\n`);
  return h.digest('hex').slice(0, 32);
}
