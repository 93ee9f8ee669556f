/**
 * prepareVideo on generated 256x256 clips of real photos (fixtures.ts). Detection runs at upsample 0 (the faces
 * are ~130 px) so the whole file stays within seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptVideo, InvalidConfig, InvalidPath, NoFaceFound, StoreUnwritable } from '../../../lib/errors.js';
import { decodeRegionMapPng, labelHistogram, preloadDlib, regionMap, toCropCoordinates } from '../../../lib/faces/index.js';
import { readAllFrames, sampleIndices } from '../../../lib/media/index.js';
import {
  isPerVideoFailure,
  isVideoDone,
  prepareVideo,
  readVideoFaces,
  readVideoOutcome,
  videoKey,
  type PrepareOptionsInput,
  type PrepareVideoResult,
} from '../../../lib/prepare/index.js';
import { FileStore, type ArtifactStore } from '../../../lib/store/index.js';
import { storeWriteError } from '../../../lib/store/errno.js';
import { makePrepareFixtures, type PrepareFixtures } from './fixtures.js';

const OPTIONS: PrepareOptionsInput = { face: { upsample: 0 }, framesPerRealVideo: 8, framesPerFakeVideo: 4 };
const PREFIX = 'prepared/test';

let fx: PrepareFixtures;
let storeDir: string;
let store: FileStore;
let face: PrepareVideoResult;

const ctx = (options: PrepareOptionsInput = OPTIONS) => ({ datasetRoot: fx.root, store, prefix: PREFIX, options });

beforeAll(async () => {
  [fx] = await Promise.all([makePrepareFixtures(), preloadDlib()]);
  storeDir = await mkdtemp(path.join(tmpdir(), 'fsfm-prepare-store-'));
  store = new FileStore(storeDir);
  face = await prepareVideo(fx.rows.face, ctx());
}, 60_000);

afterAll(async () => {
  await fx?.cleanup();
  if (storeDir) await rm(storeDir, { recursive: true, force: true });
});

describe('prepareVideo', () => {
  it('gives one 224 px face per sampled frame with a lossless LaPa region map and landmarks in both frames', async () => {
    expect(face).toMatchObject({ videoId: 'fx/real/face.mp4', faces: 8, framesSampled: 8, framesWithoutFace: 0, skipped: false });
    const outcome = (await readVideoOutcome(store, PREFIX, face.key))!;
    expect(outcome.meta).toMatchObject({ status: 'done', frameCount: fx.frameCounts.face, widthPx: 256, heightPx: 256 });
    const { faceSizePx, faces } = await readVideoFaces(store, outcome);
    expect(faceSizePx).toBe(224);
    expect(faces.map((f) => f.frameIndex)).toEqual(sampleIndices(fx.frameCounts.face, 8));
    for (const f of faces) {
      const png = await store.get(path.posix.join(outcome.prefix, f.image));
      const meta = await sharp(png).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 224, 224, 3]);
      const map = await decodeRegionMapPng(await store.get(path.posix.join(outcome.prefix, f.map!)), 224);
      // Lossless: the stored map is exactly the one drawn from the stored crop landmarks.
      expect(Buffer.from(map).equals(Buffer.from(regionMap(f.cropLandmarks, { sizePx: 224 })))).toBe(true);
      const histogram = labelHistogram(map);
      for (let label = 1; label <= 9; label++) expect(histogram[label], `label ${label}`).toBeGreaterThan(0);
      expect(histogram[10]).toBe(0);
      expect(f.landmarks).toHaveLength(68);
      expect(f.cropLandmarks).toEqual(toCropCoordinates(f.landmarks, f.crop, 224));
      expect(f.crop.x + f.crop.sizePx).toBeLessThanOrEqual(256);
      expect(f.box.right).toBeGreaterThan(f.box.left + 60);
    }
  });

  it('skips frames without a face: frame indices are sampleIndices(T, N) minus the hidden frames', async () => {
    const r = await prepareVideo(fx.rows.gap, { ...ctx(), options: { ...OPTIONS, framesPerRealVideo: 12 } });
    const sampled = sampleIndices(fx.frameCounts.gap, 12);
    const hidden = (i: number) => i >= fx.gapFrames.from && i <= fx.gapFrames.to;
    const { faces } = await readVideoFaces(store, (await readVideoOutcome(store, PREFIX, r.key))!);
    expect(faces.map((f) => f.frameIndex)).toEqual(sampled.filter((i) => !hidden(i)));
    expect(r.framesWithoutFace).toBe(sampled.filter(hidden).length);
    expect(r.framesWithoutFace).toBeGreaterThan(0);
    expect(r.framesSampled).toBe(12);
  });

  it('takes all frames of a video shorter than N, and reports progress per frame', async () => {
    const progress: [number, number][] = [];
    const r = await prepareVideo(fx.rows.fake, { ...ctx({ ...OPTIONS, framesPerFakeVideo: 50 }), onFrame: (d, t) => progress.push([d, t]) });
    expect(r.framesSampled).toBe(fx.frameCounts.fake);
    expect(progress).toEqual(Array.from({ length: fx.frameCounts.fake }, (_, i) => [i + 1, fx.frameCounts.fake]));
  });

  it('prepares an image row like a 1-frame video', async () => {
    const r = await prepareVideo(fx.rows.image, ctx());
    expect(r).toMatchObject({ faces: 1, framesSampled: 1, framesWithoutFace: 0 });
    const outcome = (await readVideoOutcome(store, PREFIX, r.key))!;
    expect(outcome.meta).toMatchObject({ frameCount: 1, widthPx: 320, heightPx: 320, indices: [0] });
  });

  it('keys by content: stable across runs, and a re-run finds the video done and skips it', async () => {
    expect(await videoKey(fx.rows.face, ctx())).toBe(face.key);
    // Same bytes under another id and path: same key.
    expect(await videoKey({ ...fx.rows.face, path: 'real/./face.mp4' }, ctx())).toBe(face.key);
    expect(await isVideoDone(store, PREFIX, face.key)).toBe(true);
    let frames = 0;
    const again = await prepareVideo(fx.rows.face, { ...ctx(), onFrame: () => frames++ });
    expect(again).toMatchObject({ key: face.key, faces: 8, framesSampled: 8, skipped: true });
    expect(frames).toBe(0);
  });

  it('changes the key when an option that affects the output changes, and only then', async () => {
    const key = (options: PrepareOptionsInput, row = fx.rows.face) => videoKey(row, ctx(options));
    const changed = [
      { ...OPTIONS, face: { upsample: 1 } },
      { ...OPTIONS, face: { upsample: 0, faceSizePx: 112 } },
      { ...OPTIONS, face: { upsample: 0, pick: 'largest' as const } },
      // Another DLIB build that rounds differently: never the same key (two workers with different CPUs used to
      // write different faces under one key).
      { ...OPTIONS, face: { upsample: 0, dlib: 'avx2-fma' as const } },
      { ...OPTIONS, face: { upsample: 0, hair: true } },
      { ...OPTIONS, framesPerRealVideo: 9 },
      { ...OPTIONS, regionMaps: false },
    ];
    const keys = await Promise.all(changed.map((o) => key(o)));
    expect(new Set([face.key, ...keys]).size).toBe(changed.length + 1);
    for (const same of [{ ...OPTIONS, shardSizeFaces: 7 }, { ...OPTIONS, framesInFlight: 5 }, { ...OPTIONS, framesPerFakeVideo: 1 }]) {
      expect(await key(same)).toBe(face.key);
    }
    // Another file (the fake clip) has another key; the same file labelled fake takes the fake frame count.
    expect(await key(OPTIONS, fx.rows.fake)).not.toBe(face.key);
    expect(await key(OPTIONS, { ...fx.rows.face, label: 'fake' })).not.toBe(face.key);
    expect(await key({ ...OPTIONS, framesPerFakeVideo: 8 }, { ...fx.rows.face, label: 'fake' })).toBe(face.key);
  });

  it('writes the same face bytes when the same video is prepared again from scratch', async () => {
    const otherDir = await mkdtemp(path.join(tmpdir(), 'fsfm-prepare-store2-'));
    try {
      const other = new FileStore(otherDir);
      const r = await prepareVideo(fx.rows.face, { ...ctx(), store: other, options: { ...OPTIONS, framesInFlight: 4 } });
      expect(r.key).toBe(face.key);
      const members = async (s: FileStore) => (await readVideoOutcome(s, PREFIX, face.key))!.members;
      expect(await members(other)).toEqual(await members(store));
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('throws NoFaceFound for a video without faces, records it, and does not decode it again', async () => {
    await expect(prepareVideo(fx.rows.noFace, ctx())).rejects.toThrow(NoFaceFound);
    const key = await videoKey(fx.rows.noFace, ctx());
    const outcome = await readVideoOutcome(store, PREFIX, key);
    expect(outcome?.meta).toMatchObject({ status: 'failed', error: { type: 'NoFaceFound' } });
    expect(await isVideoDone(store, PREFIX, key)).toBe(false);
    let frames = 0;
    await expect(prepareVideo(fx.rows.noFace, { ...ctx(), onFrame: () => frames++ })).rejects.toThrow(NoFaceFound);
    expect(frames).toBe(0);
  });

  it('throws CorruptVideo for random bytes, a truncated file or a broken image, InvalidPath for a missing file: all per-video failures', async () => {
    const errors = await Promise.all(
      [fx.rows.random, fx.rows.truncated, fx.rows.badImage, fx.rows.missing].map((row) => prepareVideo(row, ctx()).then(() => null, (e: unknown) => e)),
    );
    expect(errors[0]).toBeInstanceOf(CorruptVideo);
    expect(errors[1]).toBeInstanceOf(CorruptVideo);
    expect(errors[2]).toBeInstanceOf(CorruptVideo);
    expect(errors[3]).toBeInstanceOf(InvalidPath);
    expect(errors.every(isPerVideoFailure)).toBe(true);
    expect(isPerVideoFailure(new InvalidConfig('x'))).toBe(false);
  });

  it('keeps the sampled frames of a clip cut mid-stream that decode, with a warning carrying the counts', async () => {
    const options = { ...OPTIONS, framesPerRealVideo: 16 };
    const r = await prepareVideo(fx.rows.cut, ctx(options));
    // As the reference: indices over the container's 75 frames, frames past the cut are skipped.
    const indices = sampleIndices(fx.frameCounts.cut, 16);
    let decodable = 0;
    for await (const _frame of readAllFrames(path.join(fx.root, fx.rows.cut.path), { allowTruncated: true })) decodable++;
    expect(decodable).toBeGreaterThan(0);
    expect(decodable).toBeLessThan(fx.frameCounts.cut);
    const kept = indices.filter((i) => i < decodable);
    expect(r).toMatchObject({ faces: kept.length, framesSampled: 16, framesUndecodable: 16 - kept.length, framesWithoutFace: 0, skipped: false });
    expect(r.warning).toContain(`${kept.length} of 16 sampled frames decoded, ${16 - kept.length} skipped`);
    const outcome = (await readVideoOutcome(store, PREFIX, r.key))!;
    expect(outcome.meta).toMatchObject({ status: 'done', frameCount: fx.frameCounts.cut, indices, framesUndecodable: 16 - kept.length, warning: r.warning });
    expect((await readVideoFaces(store, outcome)).faces.map((f) => f.frameIndex)).toEqual(kept);
    // The reuse path reports the same counts and warning.
    expect(await prepareVideo(fx.rows.cut, ctx(options))).toMatchObject({ skipped: true, framesUndecodable: 16 - kept.length, warning: r.warning });
  });

  it('refuses a row its purpose samples no frames from, and a path that leaves the dataset root', async () => {
    await expect(prepareVideo(fx.rows.fake, ctx({ purpose: 'pretrain', face: { upsample: 0 } }))).rejects.toThrow(InvalidConfig);
    await expect(prepareVideo({ ...fx.rows.face, path: '../outside.mp4' }, ctx())).rejects.toThrow(InvalidPath);
  });

  it('stops on abort without recording an outcome', async () => {
    const controller = new AbortController();
    const options = { ...OPTIONS, framesPerRealVideo: 20 };
    const run = prepareVideo(fx.rows.face, { ...ctx(options), signal: controller.signal, onFrame: (d) => d === 2 && controller.abort() });
    await expect(run).rejects.toThrow(/abort/i);
    expect(await readVideoOutcome(store, PREFIX, await videoKey(fx.rows.face, ctx(options)))).toBeNull();
  });

  it('fails with the store error, not an unhandled rejection, when the face image writes are refused', async () => {
    // The real store, except that face images are refused the way a read-only disk refuses them.
    const refusing: ArtifactStore = Object.assign(Object.create(store) as ArtifactStore, {
      put: (key: string, body: Parameters<ArtifactStore['put']>[1]) =>
        key.includes('/faces/')
          ? Promise.reject(storeWriteError(Object.assign(new Error(`EROFS: read-only file system, open '${key}'`), { code: 'EROFS' }), `put ${key}`))
          : store.put(key, body),
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const err = await prepareVideo(fx.rows.face, { ...ctx(), store: refusing, force: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnwritable);
      expect((err as Error).message).toMatch(/EROFS/);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
