/**
 * The shard file training and evaluation read: many faces with their region maps in one object.
 *
 *   bytes 0..7    magic "FSFMSHRD"
 *   bytes 8..11   u32 LE format version (1)
 *   bytes 12..15  u32 LE header length H
 *   bytes 16..    H bytes of UTF-8 JSON: { records: [{ ...metadata, image: [offset, length], map: [offset, length] | null }] }
 *   then          the blobs: each record's face PNG (RGB) then its region map PNG (8-bit grey); offsets count from
 *                 the first blob byte (16 + H)
 *
 * Nothing time- or machine-dependent goes in, and PNG settings are fixed (png.ts), so the same records always encode
 * to the same bytes. readShardIndex reads the header alone, so a reader can skip shards or records cheaply.
 */
import { IntegrityError, InvalidConfig } from '../errors.js';
import { decodeFacePng, decodeMapPng, encodeFacePng, encodeMapPng } from './png.js';

export const SHARD_MAGIC = 'FSFMSHRD';
export const SHARD_VERSION = 1;
const PREAMBLE_BYTES = 16;

export interface ShardRecord {
  faceId: string;
  dataset: string;
  videoId: string;
  label: 'real' | 'fake';
  split: string;
  /** The video an image or frame belongs to, for video-level metrics (the video itself for video rows). */
  group: string;
  frameIndex: number;
  method?: string;
  /** The source domain (MCIO domain, DiFF subset) when the manifest names one: per-domain sampling and reports. */
  domain?: string;
  sizePx: number;
  /** RGB, sizePx*sizePx*3, row-major HWC. */
  image: Uint8Array;
  /** sizePx*sizePx LaPa ids; empty when the set was prepared without region maps. */
  regionMap: Uint8Array;
}

export type ShardRecordMeta = Omit<ShardRecord, 'image' | 'regionMap'>;

interface HeaderRecord extends ShardRecordMeta {
  image: [number, number];
  map: [number, number] | null;
}

/** A record whose pixels are already PNG-encoded (as prepareVideo stores them). */
export interface EncodedShardRecord {
  meta: ShardRecordMeta;
  imagePng: Uint8Array;
  /** null: no region map. */
  mapPng: Uint8Array | null;
}

/** Fixed key order and no undefined fields: the header's bytes depend only on the values. */
export function canonicalMeta(r: ShardRecordMeta): ShardRecordMeta {
  const meta: ShardRecordMeta = {
    faceId: r.faceId,
    dataset: r.dataset,
    videoId: r.videoId,
    label: r.label,
    split: r.split,
    group: r.group,
    frameIndex: r.frameIndex,
    sizePx: r.sizePx,
  };
  if (r.method !== undefined) meta.method = r.method;
  if (r.domain !== undefined) meta.domain = r.domain;
  return meta;
}

/** Lays out already-encoded records (used by encodeShard and by packShards, which never decodes). */
export function assembleShard(records: readonly EncodedShardRecord[]): Buffer {
  let offset = 0;
  const header: HeaderRecord[] = records.map((r) => {
    const image: [number, number] = [offset, r.imagePng.length];
    offset += r.imagePng.length;
    let map: [number, number] | null = null;
    if (r.mapPng) {
      map = [offset, r.mapPng.length];
      offset += r.mapPng.length;
    }
    return { ...canonicalMeta(r.meta), image, map };
  });
  const headerBytes = Buffer.from(JSON.stringify({ records: header }), 'utf8');
  const out = Buffer.allocUnsafe(PREAMBLE_BYTES + headerBytes.length + offset);
  out.write(SHARD_MAGIC, 0, 'latin1');
  out.writeUInt32LE(SHARD_VERSION, 8);
  out.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(out, PREAMBLE_BYTES);
  let at = PREAMBLE_BYTES + headerBytes.length;
  for (const r of records) {
    out.set(r.imagePng, at);
    at += r.imagePng.length;
    if (r.mapPng) {
      out.set(r.mapPng, at);
      at += r.mapPng.length;
    }
  }
  return out;
}

/** Encodes faces and maps as PNG (lossless) and lays them out; records keep their order. */
export async function encodeShard(records: ShardRecord[]): Promise<Buffer> {
  const encoded = await mapLimit(records, DECODE_CONCURRENCY, async (r, i): Promise<EncodedShardRecord> => {
    if (r.image.length !== r.sizePx * r.sizePx * 3) {
      throw new InvalidConfig(`shard record ${i} (${r.faceId}): image holds ${r.image.length} bytes, ${r.sizePx}x${r.sizePx}x3 expected`);
    }
    if (r.regionMap.length !== 0 && r.regionMap.length !== r.sizePx * r.sizePx) {
      throw new InvalidConfig(`shard record ${i} (${r.faceId}): region map holds ${r.regionMap.length} values, ${r.sizePx}x${r.sizePx} expected`);
    }
    return {
      meta: r,
      imagePng: await encodeFacePng(r.image, r.sizePx),
      mapPng: r.regionMap.length ? await encodeMapPng(r.regionMap, r.sizePx) : null,
    };
  });
  return assembleShard(encoded);
}

interface ParsedShard {
  records: HeaderRecord[];
  blobStart: number;
}

function parseShard(buf: Buffer): ParsedShard {
  if (buf.length < PREAMBLE_BYTES || buf.toString('latin1', 0, 8) !== SHARD_MAGIC) {
    throw new IntegrityError('not a shard file (no FSFMSHRD magic)');
  }
  const version = buf.readUInt32LE(8);
  if (version !== SHARD_VERSION) throw new IntegrityError(`shard format version ${version} is not supported (${SHARD_VERSION} is)`);
  const headerLength = buf.readUInt32LE(12);
  const blobStart = PREAMBLE_BYTES + headerLength;
  if (blobStart > buf.length) throw new IntegrityError(`shard header (${headerLength} bytes) runs past the end of the file`);
  let header: { records?: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', PREAMBLE_BYTES, blobStart)) as { records?: unknown };
  } catch (cause) {
    throw new IntegrityError('shard header is not JSON', { cause });
  }
  if (!Array.isArray(header.records)) throw new IntegrityError('shard header has no records list');
  const blobBytes = buf.length - blobStart;
  const inBounds = (span: unknown): boolean =>
    Array.isArray(span) &&
    span.length === 2 &&
    Number.isSafeInteger(span[0]) &&
    Number.isSafeInteger(span[1]) &&
    span[0] >= 0 &&
    span[1] >= 0 &&
    span[0] + span[1] <= blobBytes;
  header.records.forEach((r: HeaderRecord, i) => {
    if (!r || typeof r.faceId !== 'string' || !Number.isSafeInteger(r.sizePx) || !inBounds(r.image) || (r.map !== null && !inBounds(r.map))) {
      throw new IntegrityError(`shard record ${i} is malformed or points outside the file`);
    }
  });
  return { records: header.records as HeaderRecord[], blobStart };
}

function metaOf(r: HeaderRecord): ShardRecordMeta {
  return canonicalMeta(r);
}

/** The records' metadata from the header alone (no PNG is decoded). */
export function readShardIndex(buf: Buffer): Omit<ShardRecord, 'image' | 'regionMap'>[] {
  return parseShard(buf).records.map(metaOf);
}

// Decoding runs on libuv's pool (sharp); more in flight than its threads only queues.
const DECODE_CONCURRENCY = 8;

/** Decodes every record's PNGs back to raw pixels. */
export async function decodeShard(buf: Buffer): Promise<ShardRecord[]> {
  return decodeShardWhere(buf, () => true);
}

/** Decodes only the records whose metadata passes `keep` (e.g. one split), in file order. */
export async function decodeShardWhere(buf: Buffer, keep: (meta: ShardRecordMeta) => boolean): Promise<ShardRecord[]> {
  const { records, blobStart } = parseShard(buf);
  const kept = records.filter((r) => keep(metaOf(r)));
  const blob = (span: [number, number]) => buf.subarray(blobStart + span[0], blobStart + span[0] + span[1]);
  return mapLimit(kept, DECODE_CONCURRENCY, async (r): Promise<ShardRecord> => {
    const [image, regionMap] = await Promise.all([
      decodeFacePng(blob(r.image), r.sizePx, `shard record ${r.faceId}`),
      r.map ? decodeMapPng(blob(r.map), r.sizePx, `shard record ${r.faceId}`) : Promise.resolve(new Uint8Array(0)),
    ]);
    return { ...metaOf(r), image, regionMap };
  });
}

/** Maps with at most `limit` calls in flight, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
