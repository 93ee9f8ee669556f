import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptVideo, InvalidConfig } from '../../../lib/errors.js';
import {
  normalizeIndices,
  probeVideo,
  readAllFrames,
  readFrames,
  sampleIndices,
  selectExpression,
  type Frame,
} from '../../../lib/media/index.js';
import { MAX_INLINE_FILTER_CHARS, MAX_SELECT_RUNS } from '../../../lib/media/frames.js';
import { collect, makeVideoFixtures, type VideoFixtures } from './fixtures.js';

let fx: VideoFixtures;
const fullDecode = new Map<string, Frame[]>();
beforeAll(async () => {
  fx = await makeVideoFixtures();
  for (const video of Object.values(fx.videos)) fullDecode.set(video.path, await collect(readAllFrames(video.path)));
}, 60_000);
afterAll(() => fx?.cleanup());

describe('selectExpression', () => {
  it('lists single frames with eq and collapses consecutive runs into between', () => {
    expect(selectExpression([0, 5, 6, 7, 9])).toBe('(eq(n,0))+(between(n,5,7)+eq(n,9))');
    expect(selectExpression([0, 1, 2, 3])).toBe('between(n,0,3)');
    expect(selectExpression([4, 8])).toBe('eq(n,4)+eq(n,8)');
  });
  it('nests sums as a balanced tree so the depth stays logarithmic', () => {
    const expr = selectExpression(Array.from({ length: 4096 }, (_, i) => 2 * i));
    let depth = 0;
    let maxDepth = 0;
    for (const c of expr) {
      if (c === '(') maxDepth = Math.max(maxDepth, ++depth);
      else if (c === ')') depth--;
    }
    expect(maxDepth).toBeLessThanOrEqual(2 * 12 + 1);
  });
});

describe('normalizeIndices', () => {
  it('sorts and removes duplicates', () => {
    expect(normalizeIndices([9, 2, 2, 5])).toEqual([2, 5, 9]);
  });
  it('rejects negative, fractional and out-of-range indices', () => {
    expect(() => normalizeIndices([-1])).toThrow(InvalidConfig);
    expect(() => normalizeIndices([1.5])).toThrow(InvalidConfig);
    expect(() => normalizeIndices([3, 10], 10)).toThrow(/past the video's last frame/);
  });
});

describe('readAllFrames (the reference decode)', () => {
  it('decodes exactly as many frames as probeVideo counts, and neighbouring frames differ', async () => {
    for (const [name, video] of Object.entries(fx.videos)) {
      const frames = fullDecode.get(video.path)!;
      expect(frames.length, name).toBe((await probeVideo(video.path)).frames);
      expect(frames.map((f) => f.index)).toEqual(frames.map((_, i) => i));
      for (let i = 1; i < frames.length; i++) {
        expect(frames[i].rgb.equals(frames[i - 1].rgb), `${name} ${i}`).toBe(false);
      }
    }
  });
});

describe('readFrames', () => {
  const cases: [keyof VideoFixtures['videos'], number[]][] = [
    ['t1', [1, 32]],
    ['t7', [1, 3, 7, 32]],
    ['t50', [1, 2, 7, 32, 49, 50, 128]],
    ['t131', [2, 32, 128, 130]],
    ['vfr', [5, 32, 40]],
    ['rotated', [4, 32]],
  ];
  for (const [name, counts] of cases) {
    it(`returns frames byte-identical to the full decode at floor(linspace) indices (${name}, N=${counts})`, async () => {
      const video = fx.videos[name];
      const all = fullDecode.get(video.path)!;
      for (const n of counts) {
        const indices = sampleIndices(video.frames, n);
        const frames = await collect(readFrames(video.path, indices, { frameCount: video.frames }));
        expect(frames.map((f) => f.index)).toEqual(indices);
        for (const f of frames) {
          expect(f.rgb.length).toBe(f.widthPx * f.heightPx * 3);
          expect(f.rgb.equals(all[f.index].rgb), `${name} N=${n} frame ${f.index}`).toBe(true);
        }
      }
    });
  }

  it('returns rotated videos upright at the size probeVideo reports', async () => {
    const [frame] = await collect(readFrames(fx.videos.rotated.path, [0]));
    expect([frame.widthPx, frame.heightPx]).toEqual([32, 48]);
  });

  it('scales selected frames exactly as a scaled full decode does', async () => {
    const path = fx.videos.t50.path;
    const size = { widthPx: 24, heightPx: 20 };
    const all = await collect(readAllFrames(path, size));
    const frames = await collect(readFrames(path, [0, 17, 49], size));
    expect(frames.map((f) => [f.widthPx, f.heightPx])).toEqual([[24, 20], [24, 20], [24, 20]]);
    for (const f of frames) expect(f.rgb.equals(all[f.index].rgb)).toBe(true);
    const [oneSide] = await collect(readFrames(path, [0], { widthPx: 96 }));
    expect([oneSide.widthPx, oneSide.heightPx]).toEqual([96, 64]);
  });

  it('handles index lists too long for the command line or for one flat ffmpeg expression', async () => {
    const { path, frames: total } = fx.long;
    const all = await collect(readAllFrames(path));
    expect(all.length).toBe(total);
    // 1200 separate runs: a filter script file with a balanced select expression.
    const scripted = Array.from({ length: 1200 }, (_, i) => 2 * i + 1);
    expect(selectExpression(scripted).length).toBeGreaterThan(MAX_INLINE_FILTER_CHARS);
    // 2500 runs: more than MAX_SELECT_RUNS, filtered in Node.
    const many = Array.from({ length: total / 2 }, (_, i) => 2 * i);
    expect(many.length).toBeGreaterThan(MAX_SELECT_RUNS);
    for (const indices of [scripted, many]) {
      const frames = await collect(readFrames(path, indices));
      expect(frames.map((f) => f.index)).toEqual(indices);
      for (const f of frames) if (!f.rgb.equals(all[f.index].rgb)) throw new Error(`frame ${f.index} differs`);
    }
  });

  it('selects the paper\'s 128 scattered frames (more than the 100 terms ffmpeg parses in a flat sum)', async () => {
    const indices = sampleIndices(fx.long.frames, 128);
    const frames = await collect(readFrames(fx.long.path, indices));
    expect(frames.map((f) => f.index)).toEqual(indices);
  });

  it('throws CorruptVideo naming how many frames came when the stream is shorter than the indices', async () => {
    const path = fx.corrupt.truncatedFaststart;
    const { frames: decodable } = await probeVideo(path, { allowTruncated: true });
    const got: number[] = [];
    const err = await (async () => {
      for await (const f of readFrames(path, sampleIndices(100, 8))) got.push(f.index);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptVideo);
    expect((err as Error).message).toContain(`ended after ${got.length} of 8 requested frames`);
    expect(got.every((i) => i < decodable)).toBe(true);
  });

  it('throws CorruptVideo with the ffmpeg reason for a file that is not a video', async () => {
    await expect(collect(readFrames(fx.corrupt.text, [0]))).rejects.toThrow(
      /cannot decode video .*notes\.txt: Invalid data found/,
    );
    await expect(collect(readFrames(fx.corrupt.random, [0]))).rejects.toBeInstanceOf(CorruptVideo);
  });

  it('stops ffmpeg when the consumer breaks off early, and yields nothing for no indices', async () => {
    let seen = 0;
    for await (const _ of readFrames(fx.long.path, [0, 1000, 2000])) {
      seen++;
      break;
    }
    expect(seen).toBe(1);
    expect(await collect(readFrames(fx.long.path, []))).toEqual([]);
  });

  it('rejects with the abort reason when its signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const run = (async () => {
      for await (const _ of readFrames(fx.long.path, [0, 2999], { signal: controller.signal })) {
        controller.abort(reason);
      }
    })();
    await expect(run).rejects.toBe(reason);
  });

  it('uses FFMPEG_PATH and says to install ffmpeg when the binary is missing', async () => {
    const saved = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = `${fx.dir}/no-such-ffmpeg`;
    try {
      await expect(collect(readFrames(fx.videos.t1.path, [0]))).rejects.toThrow(/install ffmpeg \(make deps\)/);
    } finally {
      if (saved === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved;
    }
  });
});
