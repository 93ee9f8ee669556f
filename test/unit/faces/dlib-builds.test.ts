/**
 * The DLIB builds (native/binding.gyp): the default 'reference' build gives the portable build's boxes and
 * landmarks on real photos (the AVX2 one, when this CPU has AVX2, is compiled without FMA contraction), the
 * 'avx2-fma' build is only used when asked for, and every build names its arithmetic for cache keys.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DLIB_BUILDS, dlibBuildId, findDlibAddon, loadDlib, type DetectedFace } from '../../../lib/faces/dlib.js';

const SAMPLE_DIR = path.resolve(__dirname, '../../../node_modules/@vladmandic/face-api/demo');
const BUILD_DIR = path.resolve(__dirname, '../../../native/build/Release');
const frames: { rgb: Buffer; widthPx: number; heightPx: number }[] = [];

type Addon = { detectAndLandmark(rgb: Uint8Array, w: number, h: number, upsample: number): Promise<DetectedFace[]>; arithmetic: string; simd: string };

beforeAll(async () => {
  for (const n of [1, 2, 3, 4, 5, 6]) {
    const { data, info } = await sharp(path.join(SAMPLE_DIR, `sample${n}.jpg`)).resize(560).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    frames.push({ rgb: data, widthPx: info.width, heightPx: info.height });
  }
});

async function run(addon: Addon): Promise<DetectedFace[][]> {
  const out = [];
  for (const f of frames) out.push(await addon.detectAndLandmark(f.rgb, f.widthPx, f.heightPx, 1));
  return out;
}

describe('DLIB builds', () => {
  it("loads the AVX2 build without FMA as 'reference' and gives the portable build's boxes and landmarks", async () => {
    const reference = loadDlib('reference') as unknown as Addon;
    expect(reference.arithmetic).toBe('reference');
    const portable = createRequire(__filename)(path.join(BUILD_DIR, 'fsfm_dlib.node')) as Addon;
    expect(portable.arithmetic).toBe('reference');
    const [a, b] = [await run(reference), await run(portable)];
    expect(a.flat().length).toBeGreaterThan(10);
    for (let i = 0; i < frames.length; i++) {
      expect(a[i].map((f) => [f.box.left, f.box.top, f.box.right, f.box.bottom]), `sample${i + 1}`).toEqual(
        b[i].map((f) => [f.box.left, f.box.top, f.box.right, f.box.bottom]),
      );
      expect(a[i].map((f) => f.landmarks)).toEqual(b[i].map((f) => f.landmarks));
      // SSE2 sums may move a score in the 7th digit (hence a different key), never more.
      for (let j = 0; j < a[i].length; j++) expect(Math.abs(a[i][j].box.score - b[i][j].box.score)).toBeLessThan(1e-5);
    }
  }, 120_000);

  it("keeps 'avx2-fma' apart: it rounds differently, loads only when asked and never shares a build id", async () => {
    expect(DLIB_BUILDS).toEqual(['reference', 'avx2-fma']);
    expect(findDlibAddon(BUILD_DIR)).not.toMatch(/fma/);
    const fma = loadDlib('avx2-fma') as unknown as Addon;
    expect(fma.arithmetic).toBe('avx2-fma');
    expect(dlibBuildId('avx2-fma')).not.toBe(dlibBuildId('reference'));
    expect(dlibBuildId('reference')).toMatch(/^reference\/(avx2|sse2)\/dlib-\d+\.\d+\.\d+$/);
    const [ref, fast] = [await run(loadDlib('reference') as unknown as Addon), await run(fma)];
    // Not the same numbers: this is why it is opt-in and keyed apart.
    expect(JSON.stringify(fast)).not.toBe(JSON.stringify(ref));
  }, 120_000);
});
