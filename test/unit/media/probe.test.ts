import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptVideo, InvalidConfig, InvalidPath } from '../../../lib/errors.js';
import { probeVideo, probeVideos } from '../../../lib/media/index.js';
import { makeVideoFixtures, type VideoFixtures } from './fixtures.js';

let fx: VideoFixtures;
beforeAll(async () => {
  fx = await makeVideoFixtures();
}, 60_000);
afterAll(() => fx?.cleanup());

describe('probeVideo', () => {
  it('counts the exact number of decoded frames for every codec and container', async () => {
    for (const [name, video] of Object.entries(fx.videos)) {
      const info = await probeVideo(video.path);
      expect(info.frames, name).toBe(video.frames);
      expect(info.packets, name).toBe(video.frames);
    }
  });

  it('reports size, codec, frame rate and duration', async () => {
    const info = await probeVideo(fx.videos.t50.path);
    expect(info).toMatchObject({ widthPx: 48, heightPx: 32, codec: 'h264', rotationDeg: 0, fps: { avg: 25, r: 25 } });
    expect(info.durationS).toBeCloseTo(2, 2);
    expect(info.warning).toBeUndefined();
    expect((await probeVideo(fx.videos.t131.path)).codec).toBe('vp9');
    expect((await probeVideo(fx.videos.t7.path)).codec).toBe('mpeg4');
  });

  it('tells a variable frame rate apart: average rate below the base rate', async () => {
    const info = await probeVideo(fx.videos.vfr.path);
    expect(info.fps.r).toBe(25);
    expect(info.fps.avg).not.toBeNull();
    expect(info.fps.avg!).toBeLessThan(20);
  });

  it('gives the size after rotation metadata, which is the size decoded frames have', async () => {
    const info = await probeVideo(fx.videos.rotated.path);
    expect(Math.abs(info.rotationDeg)).toBe(90);
    expect([info.widthPx, info.heightPx]).toEqual([32, 48]);
  });

  it.each([
    ['random bytes', 'random'],
    ['an mp4 cut before its moov atom', 'truncatedMoovLast'],
    ['a faststart mp4 cut in the middle', 'truncatedFaststart'],
    ['a text file', 'text'],
    ['a still image', 'image'],
  ] as const)('throws CorruptVideo naming the path and ffprobe reason for %s', async (_, key) => {
    const path = fx.corrupt[key];
    const err = await probeVideo(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptVideo);
    const message = (err as Error).message;
    expect(message).toContain(path);
    // The reason follows the path: never an empty message.
    expect(message.split(`${path}: `)[1]?.length ?? 0).toBeGreaterThan(5);
    expect(message).not.toContain('\n');
  });

  it('says why a text file is rejected (the ffprobe message)', async () => {
    await expect(probeVideo(fx.corrupt.text)).rejects.toThrow(/Invalid data found when processing input/);
    await expect(probeVideo(fx.corrupt.truncatedFaststart)).rejects.toThrow(/truncated, \d+ of the 100 frames/);
  });

  it('can accept a truncated file and count only the frames that decode', async () => {
    const info = await probeVideo(fx.corrupt.truncatedFaststart, { allowTruncated: true });
    expect(info.containerFrames).toBe(100);
    expect(info.frames).toBeGreaterThan(0);
    expect(info.frames).toBeLessThan(100);
    expect(info.warning).toBeTruthy();
  });

  it('throws InvalidPath for a missing file or a directory', async () => {
    await expect(probeVideo(`${fx.dir}/missing.mp4`)).rejects.toBeInstanceOf(InvalidPath);
    await expect(probeVideo(fx.dir)).rejects.toBeInstanceOf(InvalidPath);
  });

  it('kills ffprobe and fails when the timeout passes', async () => {
    await expect(probeVideo(fx.long.path, { timeoutMs: 1 })).rejects.toThrow(/did not finish within 1 ms/);
  });

  it('uses FFPROBE_PATH and says to install ffmpeg when the binary is missing', async () => {
    const saved = process.env.FFPROBE_PATH;
    process.env.FFPROBE_PATH = `${fx.dir}/no-such-ffprobe`;
    try {
      const err = await probeVideo(fx.videos.t1.path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidConfig);
      expect((err as Error).message).toMatch(/no-such-ffprobe.*install ffmpeg \(make deps\)/);
    } finally {
      if (saved === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = saved;
    }
  });
});

describe('probeVideos', () => {
  it('records per-video failures in input order and keeps going', async () => {
    const paths = [fx.videos.t7.path, fx.corrupt.text, `${fx.dir}/missing.mp4`, fx.videos.t50.path];
    const progress: number[] = [];
    const outcomes = await probeVideos(paths, { concurrency: 2, onProgress: (done) => progress.push(done) });
    expect(outcomes.map((o) => o.path)).toEqual(paths);
    expect(outcomes.map((o) => (o.ok ? o.info.frames : o.error.type))).toEqual([7, 'CorruptVideo', 'InvalidPath', 50]);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('rethrows a missing ffprobe instead of recording it against every video', async () => {
    const saved = process.env.FFPROBE_PATH;
    process.env.FFPROBE_PATH = `${fx.dir}/no-such-ffprobe`;
    try {
      await expect(probeVideos([fx.videos.t1.path, fx.videos.t7.path])).rejects.toBeInstanceOf(InvalidConfig);
    } finally {
      if (saved === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = saved;
    }
  });
});
