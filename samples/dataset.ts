/**
 * generateSampleDataset: a small FaceForensics++-layout dataset made from the real photos bundled with
 * face-api. Each face is an identity whose "real video" is a pan-and-zoom over its photo; each fake swaps
 * another identity's face onto every frame of a real video. The landmarks of a frame are the photo's DLIB
 * landmarks (found once per identity) moved by the frame's known view: exact, and no detector run per frame.
 *
 *   <out>/original_sequences/youtube/<c>/videos/<id>.mp4
 *   <out>/manipulated_sequences/<Method>/<c>/videos/<target>_<source>.mp4
 *   <out>/splits/{train,val,test}.json
 *   <out>/sample-dataset.json          (the stamp, written last)
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InvalidConfig, InvalidPath } from '../lib/errors.js';
import type { Point, RgbImage } from '../lib/faces/index.js';
import { Rng } from '../lib/masking/rng.js';
import { cameraPath, portraitView, renderPath, renderView, viewPoint } from './camera.js';
import { VideoEncoder, type EncoderOptions } from './encode.js';
import { writeFaultyVideos } from './faulty.js';
import { frameCount, SampleDatasetOptions, type SampleDatasetOptionsInput, type SampleMethod } from './options.js';
import { pairIdentities, streamSeed, type Pairing, type Split } from './pairs.js';
import { defaultPhotosDir, findIdentities, photoHashes, type Identity } from './photos.js';
import {
  fileDigest,
  GENERATOR_VERSION,
  PARTIAL_FILE,
  readValidStamp,
  STAMP_FILE,
  type SampleDatasetStamp,
  type SampleParams,
  type StampVideo,
} from './stamp.js';
import { swapFaces, swapSource, type SwapSource } from './swap.js';

export interface SampleDataset extends SampleDatasetStamp {
  /** Absolute dataset folder. */
  root: string;
  /** True when a complete dataset with the same parameters was already there and nothing was written. */
  reused: boolean;
  elapsedMs: number;
}

/** Ids the extras take: above any identity, below FF++'s own 000..999 range end. */
export const EXTRA_IDS = { corrupt: '998', noFace: '999' } as const;
const MANAGED = ['original_sequences', 'manipulated_sequences', 'splits', STAMP_FILE, PARTIAL_FILE];
const CRF: Record<'c23' | 'c40', number> = { c23: 23, c40: 40 };

export async function generateSampleDataset(input: SampleDatasetOptionsInput): Promise<SampleDataset> {
  const t0 = Date.now();
  const parsed = SampleDatasetOptions.safeParse(input);
  if (!parsed.success) throw new InvalidConfig(`invalid sample dataset options:\n${z.prettifyError(parsed.error)}`);
  const options = parsed.data;
  const root = path.resolve(options.out);
  const photosDir = path.resolve(options.photosDir ?? defaultPhotosDir());
  const params: SampleParams = {
    generatorVersion: GENERATOR_VERSION,
    seed: options.seed,
    fps: options.fps,
    seconds: options.seconds,
    framesPerVideo: frameCount(options),
    sizePx: options.sizePx,
    identities: options.identities ?? null,
    methods: [...new Set(options.methods)].sort() as SampleMethod[],
    compression: options.compression,
    crf: CRF[options.compression],
    extras: options.extras,
    splits: options.splits ? [...new Set(options.splits)].sort() : null,
    photos: photoHashes(photosDir),
  };
  const existing = await readValidStamp(root, params);
  if (existing) return { ...existing, root, reused: true, elapsedMs: Date.now() - t0 };

  await claimFolder(root);
  await writeFile(path.join(root, PARTIAL_FILE), `${JSON.stringify({ params }, null, 2)}\n`);

  const { identities, pairing, rendered } = await planIdentities(options, photosDir);
  const c = options.compression;
  const realDir = `original_sequences/youtube/${c}/videos`;
  const fakeDir = (method: SampleMethod) => `manipulated_sequences/${method}/${c}/videos`;
  for (const dir of [realDir, ...params.methods.map(fakeDir)]) await mkdir(path.join(root, dir), { recursive: true });

  const encoder: EncoderOptions = { sizePx: params.sizePx, fps: params.fps, crf: params.crf };
  const byId = new Map(identities.map((i) => [i.id, i]));
  // The still a source face is taken from: the face centred at about the size it has in the target frames.
  const portraitOf = (who: Identity): { image: RgbImage; landmarks: Point[] } => {
    const view = portraitView(who, params.sizePx);
    return { image: renderView(who.photo.image, view, params.sizePx), landmarks: who.landmarks.map((q) => viewPoint(view, q)) };
  };

  const videos: StampVideo[] = [];
  let closing: Promise<unknown> = Promise.resolve();
  for (const [k, target] of identities.entries()) {
    if (!rendered(target.id)) continue;
    const source = byId.get(pairing.swaps.find((s) => s.target === target.id)!.source)!;
    const portrait = portraitOf(source);
    const swap: SwapSource = swapSource(portrait.image, portrait.landmarks, target.landmarks);
    const views = cameraPath(target, params.framesPerVideo, params.sizePx, Rng.fromSeed(streamSeed(options.seed, 1 + k)));
    const pairId = `${target.id}_${source.id}`;
    // One real video and, frame by frame from the same rendered frames, one fake per method.
    const planned: StampVideo[] = [
      { path: `${realDir}/${target.id}.mp4`, label: 'real', id: target.id, frames: views.length },
      ...params.methods.map((method): StampVideo => ({
        path: `${fakeDir(method)}/${pairId}.mp4`,
        label: 'fake',
        id: pairId,
        method,
        target: target.id,
        source: source.id,
        frames: views.length,
      })),
    ];
    const encoders = planned.map((video) => new VideoEncoder(path.join(root, video.path), encoder));
    try {
      let f = 0;
      for (const frame of renderPath(target.photo.image, views, params.sizePx)) {
        const view = views[f++];
        const landmarks = target.landmarks.map((q) => viewPoint(view, q));
        const fakes = swapFaces(frame, landmarks, swap, params.methods);
        await Promise.all(encoders.map((e, i) => e.write(i === 0 ? frame : fakes[i - 1])));
      }
    } catch (err) {
      await Promise.all(encoders.map((e) => e.abort()));
      await closing.catch(() => undefined);
      throw err;
    }
    // ffmpeg finishes this identity's files while the next identity's frames are computed.
    await closing;
    closing = Promise.all(encoders.map((e) => e.close()));
    closing.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled
    videos.push(...planned);
  }
  await closing;

  const splits = structuredClone(pairing.splits);
  for (const split of ['train', 'val', 'test'] as Split[]) if (params.splits && !params.splits.includes(split)) splits[split] = [];
  if (options.extras) {
    await writeFaultyVideos(path.join(root, realDir), { ...encoder, frames: params.framesPerVideo }, {
      corrupt: `${EXTRA_IDS.corrupt}.mp4`,
      noFace: `${EXTRA_IDS.noFace}.mp4`,
    });
    videos.push(
      { path: `${realDir}/${EXTRA_IDS.corrupt}.mp4`, label: 'real', id: EXTRA_IDS.corrupt, frames: 0, fault: 'corrupt' },
      { path: `${realDir}/${EXTRA_IDS.noFace}.mp4`, label: 'real', id: EXTRA_IDS.noFace, frames: params.framesPerVideo, fault: 'no-face' },
    );
    splits.train.push([EXTRA_IDS.corrupt, EXTRA_IDS.noFace]);
  }
  await mkdir(path.join(root, 'splits'), { recursive: true });
  for (const split of ['train', 'val', 'test'] as Split[]) {
    await writeFile(path.join(root, 'splits', `${split}.json`), `${JSON.stringify(splits[split])}\n`);
  }

  videos.sort((a, b) => a.path.localeCompare(b.path));
  const files: SampleDatasetStamp['files'] = {};
  const rels = [...videos.map((v) => v.path), ...(['train', 'val', 'test'] as Split[]).map((s) => `splits/${s}.json`)].sort();
  for (const rel of rels) files[rel] = await fileDigest(path.join(root, rel));
  const stamp: SampleDatasetStamp = {
    params,
    identities: identities.map((i) => ({
      id: i.id,
      photo: i.photo.name,
      box: { left: i.box.left, top: i.box.top, right: i.box.right, bottom: i.box.bottom },
    })),
    splits,
    videos,
    files,
  };
  const stampFile = path.join(root, STAMP_FILE);
  await writeFile(`${stampFile}.tmp`, `${JSON.stringify(stamp, null, 2)}\n`);
  await rename(`${stampFile}.tmp`, stampFile);
  await rm(path.join(root, PARTIAL_FILE), { force: true });
  return { ...stamp, root, reused: false, elapsedMs: Date.now() - t0 };
}

/** Who is in a sample dataset: its identities, the pairs and splits, and whose videos are rendered. */
export interface SamplePlan {
  identities: Identity[];
  pairing: Pairing;
  /** The split of each identity. */
  splitOf: Map<string, Split>;
  /** True when the videos with this target identity are rendered (options.splits). */
  rendered: (id: string) => boolean;
}

/**
 * The identities, pairs and splits generateSampleDataset uses for `input`, without rendering anything (DLIB
 * runs on the photos): what a check that two sets share no identity or photo needs.
 */
export async function planSampleDataset(input: SampleDatasetOptionsInput): Promise<SamplePlan> {
  const parsed = SampleDatasetOptions.safeParse(input);
  if (!parsed.success) throw new InvalidConfig(`invalid sample dataset options:\n${z.prettifyError(parsed.error)}`);
  return planIdentities(parsed.data, path.resolve(parsed.data.photosDir ?? defaultPhotosDir()));
}

async function planIdentities(options: SampleDatasetOptions, photosDir: string): Promise<SamplePlan> {
  const identities = await findIdentities(photosDir, options.identities);
  const pairing = pairIdentities(
    identities.map((i) => i.id),
    options.seed,
    identities.map((i) => i.photo.name),
  );
  const splitOf = new Map<string, Split>();
  for (const split of ['train', 'val', 'test'] as Split[]) for (const id of pairing.splits[split].flat()) splitOf.set(id, split);
  const rendered = (id: string) => !options.splits || options.splits.includes(splitOf.get(id)!);
  return { identities, pairing, splitOf, rendered };
}

/**
 * Makes `root` ready for a fresh dataset: creates it, or clears what an earlier generation wrote there. A
 * non-empty folder without our stamp or marker is someone else's: refuse rather than delete anything.
 */
async function claimFolder(root: string): Promise<void> {
  const entries = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new InvalidPath(`cannot read ${root}: ${err.message}`, { cause: err });
  });
  if (entries === undefined) {
    await mkdir(root, { recursive: true });
    return;
  }
  if (!(await stat(root)).isDirectory()) throw new InvalidPath(`${root} is not a folder`);
  const ours = entries.includes(STAMP_FILE) || entries.includes(PARTIAL_FILE);
  if (entries.length > 0 && !ours) {
    throw new InvalidPath(
      `${root} is not empty and holds no ${STAMP_FILE}: refusing to write a sample dataset over other files`,
    );
  }
  for (const name of MANAGED) await rm(path.join(root, name), { recursive: true, force: true });
}
