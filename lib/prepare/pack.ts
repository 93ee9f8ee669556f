/**
 * Packing: the per-video sets of a prepare stage -> shards, a faces.jsonl with every face's lineage, a videos.jsonl
 * and a summary.json, all committed as ONE set under `prefix` (the stage's output). The set's members are the
 * shards and those three files; videos.jsonl names every per-video _MANIFEST.json with its sha256, and each of
 * those lists its faces and maps with theirs, so verifyPrepared reaches every stored byte while the top manifest
 * stays small however many videos there are (VGGFace2: millions).
 *
 * Order is fixed: split (code-unit order), then video id, then frame index; a shard never mixes splits, so a
 * reader of one split opens only that split's shards. Shard bytes depend only on the stored faces and their
 * manifest rows (no time, no machine), so the same inputs give the same shards.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidConfig, IntegrityError, NotFound } from '../errors.js';
import type { ManifestRow } from '../datasets/manifest.js';
import type { DetectedBox } from '../faces/dlib.js';
import type { CropSquare } from '../faces/crop-box.js';
import { sha256Hex } from '../store/hashing.js';
import { MANIFEST_NAME, readMember, readSet, SetWriter, type SetManifest } from '../store/sets.js';
import { joinKey, type ArtifactStore } from '../store/types.js';
import { framesForRow, PREPARE_CODE_VERSION } from './keys.js';
import { framesPerVideo, parsePrepareOptions, type PrepareOptions, type PrepareOptionsInput } from './options.js';
import { assembleShard, decodeShardWhere, type EncodedShardRecord, type ShardRecord, type ShardRecordMeta } from './shards.js';
import { readVideoFaces, videoPrefix, VIDEO_FACES_NAME, VIDEO_SET_KIND, type PreparedFace, type VideoSetMeta } from './video.js';

export const PREPARED_SET_KIND = 'prepared';
export const FACES_JSONL_NAME = 'faces.jsonl';
export const VIDEOS_JSONL_NAME = 'videos.jsonl';
export const SUMMARY_NAME = 'summary.json';

export function shardName(index: number): string {
  return `shards/shard-${String(index).padStart(5, '0')}.bin`;
}

/** One video of the stage: its content key when prepareVideo ran (done or recorded failure), else the error it hit. */
export type PackVideo =
  | { row: ManifestRow; key: string }
  | { row: ManifestRow; error: { type: string; message: string } };

export interface PackShardsInput {
  store: ArtifactStore;
  /** The stage's output prefix: the prepared set is committed here. */
  prefix: string;
  /**
   * Where prepareVideo wrote `videos/<key>/` (default: `prefix`). A shared root lets stages that differ only in
   * packing (shard size, splits) reuse every prepared video.
   */
  videosRoot?: string;
  videos: readonly PackVideo[];
  options: PrepareOptions | PrepareOptionsInput;
  /** The stage key the set is packed under (meta.stageKey): a later run reuses the set only under the same key. */
  stageKey?: string;
  signal?: AbortSignal;
  onProgress?: (videosDone: number, videosTotal: number) => void;
}

/** faces.jsonl: one line per face. Object names are relative to the set's `videosRoot` (meta; default its prefix). */
export interface FaceLine {
  faceId: string;
  dataset: string;
  videoId: string;
  path: string;
  frameIndex: number;
  label: 'real' | 'fake';
  split: string;
  method?: string;
  group: string;
  domain?: string;
  box: DetectedBox;
  faceCount: number;
  crop: CropSquare;
  videoKey: string;
  image: string;
  map?: string;
  /** The video's faces.json, which holds this face's landmarks. */
  landmarks: string;
  shard: string;
  shardIndex: number;
}

/** videos.jsonl: one line per video that gave faces. */
export interface VideoLine {
  videoId: string;
  key: string;
  /** `videos/<key>/_MANIFEST.json` (relative to the prepared prefix) and its sha256. */
  manifest: string;
  manifestSha256: string;
  faces: number;
  framesSampled: number;
  framesWithoutFace: number;
  /** Present when some sampled frames did not decode (a partial video). */
  framesUndecodable?: number;
}

export interface PreparedMeta extends Record<string, unknown> {
  kind: 'prepared';
  codeVersion: string;
  purpose: PrepareOptions['purpose'];
  framesPerRealVideo: number;
  framesPerFakeVideo: number;
  faceSizePx: number;
  regionMaps: boolean;
  imageFormat: string;
  /** Store prefix that faces.jsonl / videos.jsonl object names are relative to (the shared per-video cache). */
  videosRoot: string;
  faces: number;
  /** Faces by split and label. */
  counts: Record<string, { real: number; fake: number }>;
  /** Videos (or images) that gave faces, by split and label. */
  videoCounts: Record<string, { real: number; fake: number }>;
  shards: string[];
  shardsBySplit: Record<string, string[]>;
  videos: { done: number; failed: number };
  framesSampled: number;
  framesWithoutFace: number;
  /** Sampled frames that did not decode, over all videos (partial videos keep the rest). */
  framesUndecodable: number;
  /** Videos kept with some sampled frames undecodable. */
  videosPartial: number;
  stageKey?: string;
}

export interface PreparedSummary extends PreparedMeta {
  /** Videos that gave no faces, in (split, id) order; errors by type in failedByType. */
  failed: { videoId: string; type: string; message: string }[];
  failedByType: Record<string, number>;
  /** Videos kept with some sampled frames undecodable, in (split, id) order, with the counts. */
  partial: { videoId: string; framesSampled: number; framesUndecodable: number; warning: string }[];
}

interface LoadedVideo {
  row: ManifestRow;
  key: string;
  manifestSha256: string;
  meta: Extract<VideoSetMeta, { status: 'done' }>;
  faces: { face: PreparedFace; imagePng: Buffer; mapPng: Buffer | null }[];
}

type Loaded = LoadedVideo | { row: ManifestRow; failed: { type: string; message: string } };

const VIDEOS_IN_FLIGHT = 4;
const OBJECT_READS_IN_FLIGHT = 8;

/** Packs the stage's prepared videos into shards and commits the whole output; returns the committed manifest. */
export async function packShards(input: PackShardsInput): Promise<SetManifest<PreparedMeta>> {
  const opts = parsePrepareOptions(input.options);
  const { store, prefix, signal } = input;
  const videosRoot = input.videosRoot ?? prefix;
  const seen = new Set<string>();
  for (const v of input.videos) {
    if (seen.has(v.row.id)) throw new InvalidConfig(`packShards: video ${v.row.id} is listed twice`);
    seen.add(v.row.id);
  }
  const videos = [...input.videos].sort((a, b) => compare(a.row.split, b.row.split) || compare(a.row.id, b.row.id));
  const writer = new SetWriter(store, prefix);
  const spoolDir = await mkdtemp(path.join(tmpdir(), 'fsfm-pack-'));
  // Lineage of millions of faces does not fit in memory comfortably: lines go to local files, then to the store.
  const faceLines = new LineSpool(path.join(spoolDir, FACES_JSONL_NAME));
  const videoLines = new LineSpool(path.join(spoolDir, VIDEOS_JSONL_NAME));

  const counts: PreparedMeta['counts'] = {};
  const videoCounts: PreparedMeta['videoCounts'] = {};
  const shards: string[] = [];
  const shardsBySplit: Record<string, string[]> = {};
  const failed: PreparedSummary['failed'] = [];
  const failedByType: Record<string, number> = {};
  const partial: PreparedSummary['partial'] = [];
  let framesUndecodable = 0;
  let facesTotal = 0;
  let videosDone = 0;
  let framesSampled = 0;
  let framesWithoutFace = 0;
  let pending: EncodedShardRecord[] = [];
  let pendingSplit: string | undefined;

  const flush = async () => {
    if (pending.length === 0) return;
    const name = shardName(shards.length);
    await writer.put(name, assembleShard(pending), { contentType: 'application/octet-stream' });
    shards.push(name);
    (shardsBySplit[pendingSplit!] ??= []).push(name);
    pending = [];
  };

  const consume = async (loaded: Loaded) => {
    const { row } = loaded;
    if ('failed' in loaded) {
      failed.push({ videoId: row.id, ...loaded.failed });
      failedByType[loaded.failed.type] = (failedByType[loaded.failed.type] ?? 0) + 1;
      return;
    }
    if (pendingSplit !== row.split) await flush();
    pendingSplit = row.split;
    const group = row.group ?? row.id;
    const base = joinKey('videos', loaded.key);
    for (const { face, imagePng, mapPng } of loaded.faces) {
      if (pending.length >= opts.shardSizeFaces) await flush();
      const meta: ShardRecordMeta = {
        faceId: `${row.id}#${face.frameIndex}`,
        dataset: row.dataset,
        videoId: row.id,
        label: row.label,
        split: row.split,
        group,
        frameIndex: face.frameIndex,
        sizePx: opts.face.faceSizePx,
      };
      if (row.method !== undefined) meta.method = row.method;
      if (row.domain !== undefined) meta.domain = row.domain;
      pending.push({ meta, imagePng, mapPng });
      const line: FaceLine = {
        faceId: meta.faceId,
        dataset: row.dataset,
        videoId: row.id,
        path: row.path,
        frameIndex: face.frameIndex,
        label: row.label,
        split: row.split,
        group,
        box: face.box,
        faceCount: face.faceCount,
        crop: face.crop,
        videoKey: loaded.key,
        image: `${base}/${face.image}`,
        landmarks: `${base}/${VIDEO_FACES_NAME}`,
        shard: shardName(shards.length),
        shardIndex: pending.length - 1,
      };
      if (row.method !== undefined) line.method = row.method;
      if (row.domain !== undefined) line.domain = row.domain;
      if (face.map) line.map = `${base}/${face.map}`;
      await faceLines.write(JSON.stringify(line));
    }
    facesTotal += loaded.faces.length;
    videosDone++;
    framesSampled += loaded.meta.framesSampled;
    framesWithoutFace += loaded.meta.framesWithoutFace;
    const undecodable = loaded.meta.framesUndecodable ?? 0;
    framesUndecodable += undecodable;
    if (undecodable > 0) {
      partial.push({ videoId: row.id, framesSampled: loaded.meta.framesSampled, framesUndecodable: undecodable, warning: loaded.meta.warning ?? '' });
    }
    (counts[row.split] ??= { real: 0, fake: 0 })[row.label] += loaded.faces.length;
    (videoCounts[row.split] ??= { real: 0, fake: 0 })[row.label]++;
    const videoLine: VideoLine = {
      videoId: row.id,
      key: loaded.key,
      manifest: `${base}/${MANIFEST_NAME}`,
      manifestSha256: loaded.manifestSha256,
      faces: loaded.faces.length,
      framesSampled: loaded.meta.framesSampled,
      framesWithoutFace: loaded.meta.framesWithoutFace,
    };
    if (undecodable > 0) videoLine.framesUndecodable = undecodable;
    await videoLines.write(JSON.stringify(videoLine));
  };

  try {
    // Loads run ahead of packing (bounded); packing consumes them strictly in order.
    const window: Promise<Loaded>[] = [];
    let next = 0;
    let done = 0;
    try {
      while (next < videos.length || window.length > 0) {
        while (next < videos.length && window.length < VIDEOS_IN_FLIGHT) {
          const p = loadVideo(store, videosRoot, videos[next++], opts);
          p.catch(() => undefined);
          window.push(p);
        }
        signal?.throwIfAborted();
        await consume(await window.shift()!);
        input.onProgress?.(++done, videos.length);
      }
    } finally {
      await Promise.allSettled(window);
    }
    await flush();

    const meta: PreparedMeta = {
      kind: PREPARED_SET_KIND,
      codeVersion: PREPARE_CODE_VERSION,
      purpose: opts.purpose,
      framesPerRealVideo: framesPerVideo(opts, 'real'),
      framesPerFakeVideo: framesPerVideo(opts, 'fake'),
      faceSizePx: opts.face.faceSizePx,
      regionMaps: opts.regionMaps,
      imageFormat: opts.imageFormat,
      videosRoot,
      faces: facesTotal,
      counts,
      videoCounts,
      shards,
      shardsBySplit,
      videos: { done: videosDone, failed: failed.length },
      framesSampled,
      framesWithoutFace,
      framesUndecodable,
      videosPartial: partial.length,
    };
    if (input.stageKey !== undefined) meta.stageKey = input.stageKey;
    const summary: PreparedSummary = { ...meta, failed, failedByType, partial };
    await writer.put(FACES_JSONL_NAME, await faceLines.finish(), { contentType: 'application/x-ndjson' });
    await writer.put(VIDEOS_JSONL_NAME, await videoLines.finish(), { contentType: 'application/x-ndjson' });
    await writer.put(SUMMARY_NAME, JSON.stringify(summary, null, 1), { contentType: 'application/json' });
    return await writer.commit(PREPARED_SET_KIND, meta);
  } finally {
    faceLines.destroy();
    videoLines.destroy();
    await rm(spoolDir, { recursive: true, force: true });
  }
}

/** Appends lines to a local file with backpressure; finish() returns a stream of the whole file. */
class LineSpool {
  private readonly out: WriteStream;
  constructor(private readonly file: string) {
    this.out = createWriteStream(file);
  }

  async write(line: string): Promise<void> {
    if (!this.out.write(line + '\n')) await once(this.out, 'drain');
  }

  async finish() {
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return createReadStream(this.file);
  }

  destroy(): void {
    this.out.destroy();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function loadVideo(store: ArtifactStore, prefix: string, video: PackVideo, opts: PrepareOptions): Promise<Loaded> {
  const { row } = video;
  if ('error' in video) return { row, failed: video.error };
  const setPrefix = videoPrefix(prefix, video.key);
  let manifestBytes: Buffer;
  try {
    manifestBytes = await store.get(joinKey(setPrefix, MANIFEST_NAME));
  } catch (err) {
    if (err instanceof NotFound) {
      throw new NotFound(`packShards: ${row.id} has no committed outcome under ${setPrefix}: prepare it first`, { cause: err });
    }
    throw err;
  }
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as SetManifest<VideoSetMeta>;
  if (manifest.kind !== VIDEO_SET_KIND) throw new IntegrityError(`${setPrefix} holds a ${manifest.kind} set, not a ${VIDEO_SET_KIND}`);
  const meta = manifest.meta;
  if (meta.status === 'failed') return { row, failed: meta.error };
  if (
    meta.inputs.faceSizePx !== opts.face.faceSizePx ||
    meta.inputs.regionMaps !== opts.regionMaps ||
    meta.inputs.framesRequested !== framesForRow(opts, row)
  ) {
    throw new InvalidConfig(
      `packShards: ${row.id} (key ${video.key}) was prepared with other options (faceSizePx ${meta.inputs.faceSizePx}, ` +
        `regionMaps ${meta.inputs.regionMaps}, ${meta.inputs.framesRequested} frames) than these`,
    );
  }
  const facesFile = await readVideoFaces(store, manifest);
  const list = [...facesFile.faces].sort((a, b) => a.frameIndex - b.frameIndex);
  const faces: LoadedVideo['faces'] = new Array(list.length);
  let nextFace = 0;
  const worker = async () => {
    while (nextFace < list.length) {
      const i = nextFace++;
      const face = list[i];
      const [imagePng, mapPng] = await Promise.all([
        readMember(store, manifest, face.image),
        face.map ? readMember(store, manifest, face.map) : Promise.resolve(null),
      ]);
      if (opts.regionMaps && !mapPng) throw new IntegrityError(`${row.id} frame ${face.frameIndex} has no region map`);
      faces[i] = { face, imagePng, mapPng };
    }
  };
  await Promise.all(Array.from({ length: Math.min(OBJECT_READS_IN_FLIGHT, list.length) }, worker));
  return { row, key: video.key, manifestSha256: sha256Hex(manifestBytes), meta, faces };
}

export interface PreparedSet {
  prefix: string;
  manifest: SetManifest<PreparedMeta>;
  meta: PreparedMeta;
  /** Shard records in set order, filtered; each shard's sha256 is verified before it is decoded. */
  records(filter?: { split?: string; label?: 'real' | 'fake' }): AsyncGenerator<ShardRecord>;
  /** faces.jsonl, parsed. */
  faces(): Promise<FaceLine[]>;
  summary(): Promise<PreparedSummary>;
}

/** Opens a committed prepared set; NotFound when nothing was committed under `prefix`. */
export async function openPrepared(store: ArtifactStore, prefix: string): Promise<PreparedSet> {
  const manifest = await readSet<PreparedMeta>(store, prefix);
  if (!manifest) throw new NotFound(`no prepared set is committed under ${prefix}`);
  if (manifest.kind !== PREPARED_SET_KIND) throw new InvalidConfig(`${prefix} holds a ${manifest.kind} set, not a prepared one`);
  const meta = manifest.meta;
  return {
    prefix,
    manifest,
    meta,
    async *records(filter = {}) {
      const names = filter.split === undefined ? meta.shards : (meta.shardsBySplit[filter.split] ?? []);
      for (const name of names) {
        const buf = await readMember(store, manifest, name);
        const kept = await decodeShardWhere(
          buf,
          (m) => (filter.split === undefined || m.split === filter.split) && (filter.label === undefined || m.label === filter.label),
        );
        yield* kept;
      }
    },
    async faces() {
      const text = (await readMember(store, manifest, FACES_JSONL_NAME)).toString('utf8');
      return text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as FaceLine);
    },
    async summary() {
      return JSON.parse((await readMember(store, manifest, SUMMARY_NAME)).toString('utf8')) as PreparedSummary;
    },
  };
}

/**
 * Re-reads and re-hashes every byte of a committed prepared set: its own members, each video's _MANIFEST.json
 * against the sha256 in videos.jsonl, then every member of that video. Throws IntegrityError at the first object
 * that is missing or differs. Reads everything once: minutes for a large set.
 */
export async function verifyPrepared(store: ArtifactStore, prefix: string): Promise<{ videos: number; objects: number }> {
  const manifest = await readSet<PreparedMeta>(store, prefix);
  if (!manifest) throw new NotFound(`no prepared set is committed under ${prefix}`);
  const readAll = async (set: SetManifest<unknown>) => {
    let next = 0;
    const worker = async () => {
      while (next < set.members.length) await readMember(store, set, set.members[next++].name);
    };
    await Promise.all(Array.from({ length: Math.min(OBJECT_READS_IN_FLIGHT, set.members.length) }, worker));
    return set.members.length;
  };
  let objects = await readAll(manifest);
  const lines = (await readMember(store, manifest, VIDEOS_JSONL_NAME)).toString('utf8').split('\n').filter(Boolean);
  const videosRoot = manifest.meta.videosRoot ?? prefix;
  for (const text of lines) {
    const line = JSON.parse(text) as VideoLine;
    const bytes = await store.get(joinKey(videosRoot, line.manifest), { expectSha256: line.manifestSha256 });
    objects += 1 + (await readAll(JSON.parse(bytes.toString('utf8')) as SetManifest<VideoSetMeta>));
  }
  return { videos: lines.length, objects };
}
