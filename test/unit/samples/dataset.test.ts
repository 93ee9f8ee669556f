import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../../../lib/datasets/index.js';
import { CorruptVideo, InvalidPath } from '../../../lib/errors.js';
import { detectFaces, detectFacesWithLandmarks, fillPolygon, type Point } from '../../../lib/faces/index.js';
import { probeVideo, readFrames, type Frame } from '../../../lib/media/index.js';
import { generateSampleDataset, STAMP_FILE, writeFaultyVideos, type SampleDataset } from '../../../samples/index.js';
import { boxBlur, convexHull } from '../../../samples/mask.js';

// A reduced dataset keeps the whole file fast: 6 identities (3 pairs: one per split), 1 s at 10 fps.
const OPTIONS = { seed: 7, identities: 6, fps: 10, seconds: 1, sizePx: 256 } as const;
const FRAMES = 10;

let tmp: string;
let dataset: SampleDataset;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'fsfm-samples-'));
  dataset = await generateSampleDataset({ out: path.join(tmp, 'a'), ...OPTIONS });
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function frameAt(file: string, index: number): Promise<Frame> {
  for await (const frame of readFrames(file, [index])) return frame;
  throw new Error(`no frame ${index} in ${file}`);
}

function meanAbsDiff(a: Buffer, b: Buffer, pixels: number[]): number {
  let sum = 0;
  for (const p of pixels) for (let c = 0; c < 3; c++) sum += Math.abs(a[p * 3 + c] - b[p * 3 + c]);
  return sum / (pixels.length * 3);
}

/** Share of `pixels` where some channel differs by more than `levels`. */
function fractionOff(a: Buffer, b: Buffer, pixels: number[], levels: number): number {
  let off = 0;
  for (const p of pixels) {
    const d = Math.max(
      Math.abs(a[p * 3] - b[p * 3]),
      Math.abs(a[p * 3 + 1] - b[p * 3 + 1]),
      Math.abs(a[p * 3 + 2] - b[p * 3 + 2]),
    );
    if (d > levels) off++;
  }
  return off / pixels.length;
}

describe('generateSampleDataset', () => {
  it('writes an FF++ layout that buildManifest reads, with reals and fakes in every split', async () => {
    const manifest = await buildManifest({ root: dataset.root, format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] });
    expect(manifest.rows).toHaveLength(6 + 2 * 6);
    for (const split of ['train', 'val', 'test']) {
      const rows = manifest.rows.filter((r) => r.split === split);
      expect(rows.filter((r) => r.label === 'real').length, split).toBeGreaterThan(0);
      expect(rows.filter((r) => r.label === 'fake' && r.method === 'Deepfakes').length, split).toBeGreaterThan(0);
      expect(rows.filter((r) => r.label === 'fake' && r.method === 'FaceSwap').length, split).toBeGreaterThan(0);
    }
    expect(manifest.notes).toEqual([]);
  });

  it('makes every identity the target of one fake per method and the source of another', () => {
    const fakes = dataset.videos.filter((v) => v.method === 'Deepfakes');
    const ids = dataset.identities.map((i) => i.id);
    expect(ids).toEqual(['000', '001', '002', '003', '004', '005']);
    expect(fakes.map((v) => v.target).sort()).toEqual(ids);
    expect(fakes.map((v) => v.source).sort()).toEqual(ids);
    for (const v of fakes) expect(v.source).not.toBe(v.target);
  });

  it('encodes every video as H.264 at the requested size with fps x seconds frames', async () => {
    expect(dataset.videos).toHaveLength(18);
    for (const video of dataset.videos) {
      const info = await probeVideo(path.join(dataset.root, video.path));
      expect(info, video.path).toMatchObject({ frames: FRAMES, widthPx: 256, heightPx: 256, codec: 'h264' });
      expect(info.fps.avg).toBeCloseTo(10, 5);
    }
  });

  it('shows DLIB exactly one face in the first and last frame of every real and fake video (upsample 1)', async () => {
    for (const video of dataset.videos) {
      for await (const frame of readFrames(path.join(dataset.root, video.path), [0, FRAMES - 1])) {
        const faces = await detectFaces(frame, 1);
        expect(faces.length, `${video.path} frame ${frame.index}`).toBe(1);
      }
    }
  });

  it('changes a fake frame inside the face and leaves it (nearly) unchanged away from it', async () => {
    for (const fake of dataset.videos.filter((v) => v.label === 'fake')) {
      const real = await frameAt(path.join(dataset.root, `original_sequences/youtube/c23/videos/${fake.target}.mp4`), 5);
      const swapped = await frameAt(path.join(dataset.root, fake.path), 5);
      const [face] = await detectFacesWithLandmarks(real, 1);
      // Inside: the eyes, nose and mouth, which both methods replace.
      const inner = new Uint8Array(256 * 256);
      fillPolygon(inner, 256, convexHull(face.landmarks.slice(27) as Point[]), 1);
      // Outside: farther than 16 px from the hull of all 68 landmarks (which bounds both methods' masks).
      const whole = new Uint8Array(256 * 256);
      fillPolygon(whole, 256, convexHull(face.landmarks as Point[]), 1);
      const near = boxBlur(Float32Array.from(whole), 256, 256, 16);
      const insidePx: number[] = [];
      const outsidePx: number[] = [];
      for (let p = 0; p < 256 * 256; p++) {
        if (inner[p]) insidePx.push(p);
        else if (near[p] === 0) outsidePx.push(p);
      }
      expect(insidePx.length).toBeGreaterThan(1000);
      expect(outsidePx.length).toBeGreaterThan(1000);
      // Both frames went through x264 separately, so "unchanged" allows compression noise: a small mean and
      // hardly any pixel off by more than 12 levels, against most of the inside.
      expect(meanAbsDiff(real.rgb, swapped.rgb, insidePx), `${fake.path} inside`).toBeGreaterThan(10);
      expect(fractionOff(real.rgb, swapped.rgb, insidePx, 12), `${fake.path} inside`).toBeGreaterThan(0.5);
      expect(meanAbsDiff(real.rgb, swapped.rgb, outsidePx), `${fake.path} outside`).toBeLessThan(2.5);
      expect(fractionOff(real.rgb, swapped.rgb, outsidePx, 12), `${fake.path} outside`).toBeLessThan(0.01);
    }
  });

  it('reproduces the same files and decoded frames from the same seed', async () => {
    const again = await generateSampleDataset({ out: path.join(tmp, 'b'), ...OPTIONS });
    expect(again.reused).toBe(false);
    expect(again.files).toEqual(dataset.files);
    for (const video of [dataset.videos[0], dataset.videos.find((v) => v.label === 'fake')!]) {
      const a = await frameAt(path.join(dataset.root, video.path), FRAMES - 1);
      const b = await frameAt(path.join(again.root, video.path), FRAMES - 1);
      expect(a.rgb.equals(b.rgb), video.path).toBe(true);
    }
  }, 120_000);

  it('skips a folder that already holds the same dataset, and regenerates a damaged one', async () => {
    const t0 = Date.now();
    const same = await generateSampleDataset({ out: dataset.root, ...OPTIONS });
    expect(same.reused).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(JSON.parse(await readFile(path.join(dataset.root, STAMP_FILE), 'utf8')).files).toEqual(dataset.files);

    const victim = path.join(dataset.root, dataset.videos[0].path);
    await writeFile(victim, 'not a video any more');
    const repaired = await generateSampleDataset({ out: dataset.root, ...OPTIONS });
    expect(repaired.reused).toBe(false);
    expect(repaired.files).toEqual(dataset.files);
  }, 120_000);

  it('has a CLI that reports an existing dataset with the same parameters as up to date', async () => {
    const tsx = path.resolve(__dirname, '../../../node_modules/.bin/tsx');
    const cli = path.resolve(__dirname, '../../../samples/generate.ts');
    const args = ['--out', dataset.root, '--seed', '7', '--identities', '6', '--fps', '10', '--seconds', '1', '--size', '256'];
    const { stdout } = await promisify(execFile)(tsx, [cli, ...args]);
    expect(stdout).toMatch(/^up to date: .* 6 identities, 6 real \+ 12 fake videos of 10 frames at 256px/);
    await expect(promisify(execFile)(tsx, [cli, '--seed', '1'])).rejects.toMatchObject({ code: 2 });
  }, 60_000);

  it('refuses to write into a non-empty folder that holds no sample dataset', async () => {
    const foreign = path.join(tmp, 'foreign');
    await mkdir(foreign, { recursive: true });
    await writeFile(path.join(foreign, 'precious.txt'), 'keep me');
    await expect(generateSampleDataset({ out: foreign, ...OPTIONS })).rejects.toBeInstanceOf(InvalidPath);
    expect(await readFile(path.join(foreign, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('sample dataset extras', () => {
  it('adds a corrupt and a face-less real video to the train split when asked', async () => {
    const withExtras = await generateSampleDataset({ out: path.join(tmp, 'extras'), identities: 2, fps: 10, seconds: 0.5, extras: true });
    const manifest = await buildManifest({ root: withExtras.root, format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] });
    const reals = manifest.rows.filter((r) => r.label === 'real');
    expect(reals.map((r) => [r.path.split('/').at(-1), r.split])).toEqual([
      ['000.mp4', 'train'],
      ['001.mp4', 'train'],
      ['998.mp4', 'train'],
      ['999.mp4', 'train'],
    ]);
    expect(withExtras.videos.filter((v) => v.fault).map((v) => [v.id, v.fault])).toEqual([
      ['998', 'corrupt'],
      ['999', 'no-face'],
    ]);
    await expect(probeVideo(path.join(withExtras.root, 'original_sequences/youtube/c23/videos/998.mp4'))).rejects.toBeInstanceOf(CorruptVideo);
  }, 120_000);


  it('writes a file no decoder opens and a valid clip without faces', async () => {
    const faulty = await writeFaultyVideos(path.join(tmp, 'faulty'), { sizePx: 256, fps: 10, crf: 23, frames: 8 });
    await expect(probeVideo(faulty.corrupt)).rejects.toBeInstanceOf(CorruptVideo);
    const info = await probeVideo(faulty.noFace);
    expect(info.frames).toBe(8);
    for await (const frame of readFrames(faulty.noFace, [0, 7])) expect(await detectFaces(frame, 1)).toHaveLength(0);
  });
});
