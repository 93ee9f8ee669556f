/**
 * One manifest row (a video or an image) -> its faces in the store, as a committed per-video set under
 * `<prefix>/videos/<key>/`:
 *   faces/f<frame>.png   the face crop, faceSizePx square, RGB PNG
 *   maps/f<frame>.png    its LaPa region map, 8-bit greyscale PNG (when options.regionMaps)
 *   faces.json           per face: frame index, detector box, crop square, landmarks in frame and crop pixels
 * Deterministic per-video failures (NoFaceFound, CorruptVideo) are committed too, as a set without members whose
 * meta says `status: 'failed'`, so a re-run skips them instead of decoding the video again.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { CorruptVideo, FsfmError, InvalidConfig, InvalidPath, NoFaceFound } from '../errors.js';
import type { ManifestRow } from '../datasets/manifest.js';
import { DatasetRoot, openInsideRoot } from '../datasets/paths.js';
import { decodeImage, type RgbImage } from '../faces/image.js';
import { extractFace } from '../faces/extract-face.js';
import { dlibBuildId, preloadDlib, type DetectedBox, type Point } from '../faces/dlib.js';
import type { CropSquare } from '../faces/crop-box.js';
import { regionMap } from '../faces/region-map.js';
import { probeVideo } from '../media/probe.js';
import { readFrames } from '../media/frames.js';
import { sampleIndices } from '../media/sample-indices.js';
import { sha256Hex } from '../store/hashing.js';
import { readSet, SetWriter, readMember, type SetManifest } from '../store/sets.js';
import { joinKey, type ArtifactStore } from '../store/types.js';
import { digestFile, framesForRow, keyInputs, predictorDigest, PREPARE_CODE_VERSION, videoKeyOf, type FileDigest, type VideoKeyInputs } from './keys.js';
import { parsePrepareOptions, type PrepareOptions, type PrepareOptionsInput } from './options.js';
import { encodeFacePng, encodeMapPng } from './png.js';

export const VIDEO_SET_KIND = 'prepared-video';
export const VIDEO_FACES_NAME = 'faces.json';

export interface PrepareVideoContext {
  /** Folder the row's `path` is relative to. */
  datasetRoot: string;
  store: ArtifactStore;
  /** The prepared output's prefix (e.g. prepared/<stageKey>); videos go under `<prefix>/videos/<key>/`. */
  prefix: string;
  options: PrepareOptions | PrepareOptionsInput;
  signal?: AbortSignal;
  /** Called after each sampled frame is processed (face or not): for heartbeats. */
  onFrame?: (done: number, total: number) => void;
  /** Prepare again even when a committed outcome exists under the key. */
  force?: boolean;
  /** ffmpeg decoder threads (0: ffmpeg's choice). Workers preparing several videos at once should pass 1 or 2. */
  decodeThreads?: number;
  /** Adds the wall milliseconds spent per phase (bench/prepare). Frames in flight overlap, so sum them sequentially. */
  phases?: PhaseTimes;
}

export const PREPARE_PHASES = ['hash', 'probe', 'decode', 'detect', 'resize', 'regionMap', 'encode', 'store'] as const;
export type PreparePhase = (typeof PREPARE_PHASES)[number];
export type PhaseTimes = Record<PreparePhase, number>;

export function emptyPhaseTimes(): PhaseTimes {
  return Object.fromEntries(PREPARE_PHASES.map((p) => [p, 0])) as PhaseTimes;
}

async function timed<T>(phases: PhaseTimes | undefined, phase: PreparePhase, run: () => Promise<T>): Promise<T> {
  if (!phases) return run();
  const startMs = performance.now();
  try {
    return await run();
  } finally {
    phases[phase] += performance.now() - startMs;
  }
}

export interface PrepareVideoResult {
  videoId: string;
  key: string;
  faces: number;
  /** Distinct frames requested: min(N, T) for a video, 1 for an image. */
  framesSampled: number;
  framesWithoutFace: number;
  /** Sampled frames that did not decode (a stream cut short): skipped, as the reference does. */
  framesUndecodable: number;
  /** Why some sampled frames are missing, with the counts; absent for a whole video. */
  warning?: string;
  durationMs: number;
  /** True when a committed outcome under this key was reused and nothing was decoded. */
  skipped: boolean;
}

/** One face of a prepared video (faces.json). Names are relative to the video's set. */
export interface PreparedFace {
  frameIndex: number;
  image: string;
  map?: string;
  /** The picked detection, frame pixels (DLIB: right/bottom inclusive). */
  box: DetectedBox;
  /** Faces the detector found in the frame. */
  faceCount: number;
  /** The square cut from the frame before resizing to faceSizePx. */
  crop: CropSquare;
  /** 68 iBUG landmarks in frame pixels. */
  landmarks: Point[];
  /** The same in face-crop pixels (what the region map is drawn from). */
  cropLandmarks: Point[];
}

export interface VideoFacesFile {
  faceSizePx: number;
  faces: PreparedFace[];
}

export type VideoSetMeta =
  | {
      status: 'done';
      key: string;
      codeVersion: string;
      inputs: VideoKeyInputs;
      /** Frame count T the indices are taken over (the container's count, see videoFrames; 1 for an image) and frame size. */
      frameCount: number;
      widthPx: number;
      heightPx: number;
      /** sampleIndices(T, N): the frames that were asked for. */
      indices: number[];
      faces: number;
      framesSampled: number;
      framesWithoutFace: number;
      /** Sampled frames that did not decode, and why (a partial video); 0 and absent for a whole one. */
      framesUndecodable: number;
      warning?: string;
    }
  | {
      status: 'failed';
      key: string;
      codeVersion: string;
      inputs: VideoKeyInputs;
      error: { type: 'CorruptVideo' | 'NoFaceFound'; message: string };
    };

export function videoPrefix(prefix: string, key: string): string {
  return joinKey(prefix, 'videos', key);
}

/** f000123: frame numbers sort as names. */
export function frameName(frameIndex: number): string {
  return `f${String(frameIndex).padStart(6, '0')}`;
}

/** The committed outcome of a video key, or null when none was committed. */
export async function readVideoOutcome(
  store: ArtifactStore,
  prefix: string,
  key: string,
): Promise<SetManifest<VideoSetMeta> | null> {
  const manifest = await readSet<VideoSetMeta>(store, videoPrefix(prefix, key));
  if (manifest && manifest.kind !== VIDEO_SET_KIND) {
    throw new InvalidConfig(`${videoPrefix(prefix, key)} holds a ${manifest.kind} set, not a ${VIDEO_SET_KIND}`);
  }
  return manifest;
}

/** Whether the video under `key` was prepared successfully (its set is committed with faces). */
export async function isVideoDone(store: ArtifactStore, prefix: string, key: string): Promise<boolean> {
  return (await readVideoOutcome(store, prefix, key))?.meta.status === 'done';
}

/** The faces.json of a committed, successful video set, verified against its manifest. */
export async function readVideoFaces(store: ArtifactStore, manifest: SetManifest<VideoSetMeta>): Promise<VideoFacesFile> {
  return JSON.parse((await readMember(store, manifest, VIDEO_FACES_NAME)).toString('utf8')) as VideoFacesFile;
}

/** Rows this purpose prepares: those whose label gets at least one frame (pretraining leaves fakes out). */
export function selectRows<R extends Pick<ManifestRow, 'label' | 'kind'>>(rows: readonly R[], options: PrepareOptions | PrepareOptionsInput): R[] {
  const opts = parsePrepareOptions(options);
  return rows.filter((r) => framesForRow(opts, r) > 0);
}

/**
 * At most `maxVideos` rows of each class in each split (a trial-sized set that still has reals and fakes in every
 * split), chosen by the sha256 of the row id: deterministic, independent of manifest order (which for FF++ lists all
 * fakes before the reals), spread over methods and identities, and stable when rows are added. Kept rows stay in
 * their manifest order.
 */
export function capRows<R extends Pick<ManifestRow, 'id' | 'label' | 'split'>>(rows: readonly R[], maxVideos: number): R[] {
  const rank = (r: R) => sha256Hex(r.id);
  const groups = new Map<string, Array<{ r: R; rank: string }>>();
  for (const r of rows) {
    const g = `${r.split}\t${r.label}`;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push({ r, rank: rank(r) });
  }
  const keep = new Set<R>();
  for (const members of groups.values()) {
    members.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    for (const m of members.slice(0, maxVideos)) keep.add(m.r);
  }
  return rows.filter((r) => keep.has(r));
}

/**
 * True for failures that belong to one video and should be recorded in the summary while the stage goes on:
 * CorruptVideo, NoFaceFound and InvalidPath (the row's file is missing or unreadable). Everything else is either
 * retryable (TransientError, store/network errors: `retryable`) or a setup problem that would fail every video
 * (InvalidConfig: bad options, ffmpeg or the predictor missing; FsfmError: the DLIB addon is not built).
 */
export function isPerVideoFailure(err: unknown): boolean {
  return err instanceof CorruptVideo || err instanceof NoFaceFound || err instanceof InvalidPath;
}

/** The absolute path of a row's file; the row's path must stay inside the root. */
export function rowFilePath(datasetRoot: string, row: Pick<ManifestRow, 'path'>): string {
  const rel = DatasetRoot.checkListedPath(row.path, 'manifest row');
  return path.join(path.resolve(datasetRoot), ...rel.split('/'));
}

/** The content key of a row under these options (hashes the file; the predictor's hash is cached per process). */
export async function videoKey(
  row: Pick<ManifestRow, 'path' | 'kind' | 'label'>,
  ctx: { datasetRoot: string; options: PrepareOptions | PrepareOptionsInput; signal?: AbortSignal },
): Promise<string> {
  const opts = parsePrepareOptions(ctx.options);
  const opened = await openInsideRoot(ctx.datasetRoot, row.path);
  const source = await digestFile(opened.path, ctx.signal).finally(() => opened.close());
  return videoKeyOf(keyInputs(opts, row, source, await predictorDigest(opts.face.predictorPath), dlibBuildId(opts.face.dlib)));
}

/**
 * Prepares one row: probe (true T), sampleIndices(T, N), ONE readFrames pass, extractFace per frame (at most
 * options.framesInFlight frames in memory and in DLIB at once), and per face a face PNG, a region map PNG and its
 * landmarks. Frames without a face are skipped. Throws NoFaceFound when no sampled frame holds a face and
 * CorruptVideo when the file cannot be decoded (both committed as 'failed' outcomes first), InvalidPath when the
 * file is missing, InvalidConfig for setup problems. A committed outcome under the same key is reused unless
 * ctx.force: 'done' returns its result with skipped: true, 'failed' throws the recorded error again.
 */
export async function prepareVideo(row: ManifestRow, ctx: PrepareVideoContext): Promise<PrepareVideoResult> {
  const startedMs = Date.now();
  const opts = parsePrepareOptions(ctx.options);
  const framesRequested = framesForRow(opts, row);
  if (framesRequested < 1) {
    throw new InvalidConfig(
      `${row.id}: purpose ${opts.purpose} samples 0 frames from ${row.label} rows; leave such rows out (selectRows)`,
    );
  }
  // Containment is checked on the opened file (planning checked the path; it may have been swapped since), and
  // every read below (hash, ffprobe, ffmpeg, image bytes) goes through that one open file.
  const opened = await openInsideRoot(ctx.datasetRoot, row.path);
  try {
    return await prepareOpened(row, ctx, opts, framesRequested, opened.path, startedMs);
  } finally {
    await opened.close();
  }
}

async function prepareOpened(row: ManifestRow, ctx: PrepareVideoContext, opts: PrepareOptions, framesRequested: number, file: string, startedMs: number): Promise<PrepareVideoResult> {
  const imageBytes = row.kind === 'image' ? await readImageFile(file, row.path) : undefined;
  const source: FileDigest = await timed(ctx.phases, 'hash', async () =>
    imageBytes ? { sha256: sha256Hex(imageBytes), sizeBytes: imageBytes.length } : digestFile(file, ctx.signal),
  );
  const inputs = keyInputs(opts, row, source, await predictorDigest(opts.face.predictorPath), dlibBuildId(opts.face.dlib));
  const key = videoKeyOf(inputs);
  const result = (r: Omit<PrepareVideoResult, 'videoId' | 'key' | 'durationMs'>): PrepareVideoResult => ({
    videoId: row.id,
    key,
    ...r,
    durationMs: Date.now() - startedMs,
  });

  if (!ctx.force) {
    const previous = await readVideoOutcome(ctx.store, ctx.prefix, key);
    if (previous?.meta.status === 'done') {
      const m = previous.meta;
      return result({
        faces: m.faces,
        framesSampled: m.framesSampled,
        framesWithoutFace: m.framesWithoutFace,
        framesUndecodable: m.framesUndecodable,
        ...(m.warning !== undefined ? { warning: m.warning } : {}),
        skipped: true,
      });
    }
    if (previous?.meta.status === 'failed') {
      const { type, message } = previous.meta.error;
      throw type === 'NoFaceFound' ? new NoFaceFound(message) : new CorruptVideo(message);
    }
  }

  await preloadFaceModels(opts.face.predictorPath);
  const writer = new SetWriter(ctx.store, videoPrefix(ctx.prefix, key));
  try {
    const frames = await timed(ctx.phases, 'probe', () =>
      imageBytes ? imageFrames(row, imageBytes) : videoFrames(file, framesRequested, ctx),
    );
    const faces: PreparedFace[] = [];
    let framesWithoutFace = 0;
    let done = 0;
    const settle = (face: PreparedFace | null) => {
      if (face) faces.push(face);
      else framesWithoutFace++;
      done++; // not inside onFrame?.(...): optional-call arguments are not evaluated without a callback
      ctx.onFrame?.(done, frames.indices.length);
    };
    const window: Promise<PreparedFace | null>[] = [];
    const decoded = frames.iterate[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await timed(ctx.phases, 'decode', () => decoded.next());
        if (next.done) break;
        const frame = next.value;
        ctx.signal?.throwIfAborted();
        const pending = processFrame(frame, frame.index, writer, opts, ctx.phases);
        pending.catch(() => undefined); // awaited in order below; this only stops an early rejection going unhandled
        window.push(pending);
        while (window.length >= opts.framesInFlight) settle(await window.shift()!);
      }
      while (window.length > 0) settle(await window.shift()!);
    } finally {
      // Stops ffmpeg when leaving early (what for-await would do); on an error, let the frames still in DLIB finish
      // before their buffers are dropped.
      await decoded.return?.(undefined);
      await Promise.allSettled(window);
    }
    ctx.signal?.throwIfAborted();
    const framesUndecodable = frames.indices.length - done;
    if (done === 0) {
      throw new CorruptVideo(
        `${row.id}: none of the ${frames.indices.length} sampled frames decodes${frames.truncated ? ` (${frames.truncated})` : ''}`,
      );
    }
    const warning =
      framesUndecodable > 0
        ? `${row.id}: ${done} of ${frames.indices.length} sampled frames decoded, ${framesUndecodable} skipped ` +
          `(${frames.truncated ?? 'the stream ended early'})`
        : undefined;
    if (faces.length === 0) {
      throw new NoFaceFound(
        `${row.id}: no face in any of the ${frames.indices.length} sampled ${row.kind === 'image' ? 'image' : 'frames'} ` +
          `(DLIB upsample ${opts.face.upsample})`,
      );
    }
    faces.sort((a, b) => a.frameIndex - b.frameIndex);
    const facesFile: VideoFacesFile = { faceSizePx: opts.face.faceSizePx, faces };
    await writer.put(VIDEO_FACES_NAME, JSON.stringify(facesFile), { contentType: 'application/json' });
    const meta: VideoSetMeta = {
      status: 'done',
      key,
      codeVersion: PREPARE_CODE_VERSION,
      inputs,
      frameCount: frames.frameCount,
      widthPx: frames.widthPx,
      heightPx: frames.heightPx,
      indices: frames.indices,
      faces: faces.length,
      framesSampled: frames.indices.length,
      framesWithoutFace,
      framesUndecodable,
    };
    if (warning !== undefined) meta.warning = warning;
    await writer.commit(VIDEO_SET_KIND, meta);
    return result({
      faces: faces.length,
      framesSampled: frames.indices.length,
      framesWithoutFace,
      framesUndecodable,
      ...(warning !== undefined ? { warning } : {}),
      skipped: false,
    });
  } catch (err) {
    // Tools saw the open file as /proc/<pid>/fd/<n>: name the dataset's file instead.
    if (err instanceof FsfmError && err.message.includes(file)) err.message = err.message.split(file).join(rowFilePath(ctx.datasetRoot, row));
    if ((err instanceof CorruptVideo || err instanceof NoFaceFound) && !ctx.signal?.aborted) {
      const failed: VideoSetMeta = {
        status: 'failed',
        key,
        codeVersion: PREPARE_CODE_VERSION,
        inputs,
        error: { type: err instanceof NoFaceFound ? 'NoFaceFound' : 'CorruptVideo', message: err.message },
      };
      // A fresh writer: objects written before the failure are not members of a failed outcome.
      await new SetWriter(ctx.store, videoPrefix(ctx.prefix, key)).commit(VIDEO_SET_KIND, failed);
    }
    throw err;
  }
}

interface FrameSource {
  frameCount: number;
  widthPx: number;
  heightPx: number;
  indices: number[];
  iterate: AsyncIterable<RgbImage & { index: number }>;
  /** Set once iteration ends early: why the remaining sampled frames did not decode. */
  truncated?: string;
}

/**
 * As the reference (OpenCV's CAP_PROP_FRAME_COUNT, then a read per index that may fail): indices are taken over the
 * container's frame count when it states one (else the demuxed packet count), and sampled frames that do not
 * decode - a stream cut mid-way - are skipped and counted. For a whole file the container's count is the decoded
 * count, so probing reads the headers only (and demuxes only when they state no count): the video is decoded once,
 * by readFrames.
 */
async function videoFrames(file: string, framesRequested: number, ctx: PrepareVideoContext): Promise<FrameSource> {
  const probe = (countPackets: boolean) =>
    probeVideo(file, { signal: ctx.signal, countFrames: false, countPackets, allowTruncated: true });
  let info = await probe(false);
  if (info.containerFrames === null) info = await probe(true);
  const frameCount = info.containerFrames ?? info.frames;
  const indices = sampleIndices(frameCount, framesRequested);
  const source: FrameSource = {
    frameCount,
    widthPx: info.widthPx,
    heightPx: info.heightPx,
    indices,
    iterate: readFrames(file, indices, {
      frameCount,
      signal: ctx.signal,
      decodeThreads: ctx.decodeThreads,
      allowTruncated: true,
      onTruncated: (reason) => {
        source.truncated ??= reason;
      },
    }),
  };
  return source;
}

async function imageFrames(row: ManifestRow, bytes: Buffer): Promise<FrameSource> {
  let image: RgbImage;
  try {
    image = await decodeImage(bytes);
  } catch (err) {
    throw new CorruptVideo(`cannot decode image ${row.path}: ${(err as Error).message}`, { cause: err });
  }
  return {
    frameCount: 1,
    widthPx: image.widthPx,
    heightPx: image.heightPx,
    indices: [0],
    iterate: (async function* () {
      yield { ...image, index: 0 };
    })(),
  };
}

async function readImageFile(file: string, rel: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new InvalidPath(`cannot read image ${rel} (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
}

/** Detector and predictor problems would fail every video: report them as setup errors, not as this video's. */
async function preloadFaceModels(predictorPath: string): Promise<void> {
  try {
    await preloadDlib({ predictorPath });
  } catch (err) {
    if (err instanceof InvalidPath) throw new InvalidConfig(`face models: ${err.message}`, { cause: err });
    throw err instanceof FsfmError ? err : new FsfmError(`face models: ${(err as Error).message}`, { cause: err });
  }
}

async function processFrame(
  frame: RgbImage,
  frameIndex: number,
  writer: SetWriter,
  opts: PrepareOptions,
  phases?: PhaseTimes,
): Promise<PreparedFace | null> {
  const face = await extractFace(frame, opts.face, phases && ((phase, ms) => (phases[phase] += ms)));
  if (!face) return null;
  const sizePx = opts.face.faceSizePx;
  const name = frameName(frameIndex);
  const image = `faces/${name}.png`;
  // Encode everything first, then write: a put started before another await could reject with nobody listening,
  // and an unhandled rejection ends the whole worker process.
  const map = opts.regionMaps ? `maps/${name}.png` : undefined;
  const labels = map ? await timed(phases, 'regionMap', async () => regionMap(face.landmarks, { sizePx, hair: opts.face.hair })) : undefined;
  const [imagePng, mapPng] = await timed(phases, 'encode', () =>
    Promise.all([encodeFacePng(face.face.rgb, sizePx), labels ? encodeMapPng(labels, sizePx) : undefined]),
  );
  await timed(phases, 'store', () =>
    Promise.all([
      writer.put(image, imagePng, { contentType: 'image/png' }),
      map && mapPng ? writer.put(map, mapPng, { contentType: 'image/png' }) : undefined,
    ]),
  );
  const prepared: PreparedFace = {
    frameIndex,
    image,
    box: face.box,
    faceCount: face.faceCount,
    crop: face.crop,
    landmarks: face.frameLandmarks,
    cropLandmarks: face.landmarks,
  };
  if (map) prepared.map = map;
  return prepared;
}
