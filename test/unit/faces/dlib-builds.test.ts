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

/**
 * The top-left 256x144 of frame 60 of bench/prepare's clip pan5.mp4: a face whose detection box (115,-16)-(223,104)
 * reaches above the frame, and the 68 landmarks PyPI's dlib-bin (20.0.1 and 19.24.6 alike, what the FSFM reference
 * runs) gives for that box on this image. Through Debian's LAPACK (the addon before native/src/dlib_config.h), 20 of
 * them came out 1 px off.
 */
const BOX_ABOVE_FRAME = path.resolve(__dirname, 'fixtures/box-above-frame.png');
const REFERENCE_LANDMARKS = [[90,28],[90,48],[92,69],[97,88],[108,104],[124,115],[140,123],[157,127],[170,126],[178,119],[184,107],[191,95],[197,83],[203,71],[207,57],[206,44],[204,32],[125,9],[136,4],[148,3],[158,6],[168,11],[188,12],[193,8],[198,5],[203,5],[206,8],[180,27],[182,36],[185,45],[188,54],[170,64],[176,65],[182,67],[187,65],[190,62],[137,25],[145,20],[153,21],[159,27],[152,29],[144,28],[184,28],[190,21],[196,21],[200,26],[197,29],[191,29],[150,85],[164,79],[176,75],[181,76],[185,75],[188,77],[188,82],[186,94],[182,101],[178,103],[172,103],[161,99],[154,86],[175,81],[180,80],[184,80],[186,83],[183,92],[179,94],[174,95]]; // prettier-ignore

type Addon = {
  detectAndLandmark(rgb: Uint8Array, w: number, h: number, upsample: number): Promise<DetectedFace[]>;
  landmarks(rgb: Uint8Array, w: number, h: number, box: { left: number; top: number; right: number; bottom: number }): Promise<[number, number][]>;
  arithmetic: string;
  simd: string;
  linalg?: string;
};

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

  it("gives the reference's landmarks where LAPACK's SVD rounded differently (a box reaching above the frame), in every build", async () => {
    const { data, info } = await sharp(BOX_ABOVE_FRAME).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const box = { left: 115, top: -16, right: 223, bottom: 104 };
    const portable = createRequire(__filename)(path.join(BUILD_DIR, 'fsfm_dlib.node')) as Addon;
    for (const addon of [loadDlib('reference') as unknown as Addon, portable]) {
      expect(addon.linalg).toBe('dlib');
      expect(await addon.landmarks(data, info.width, info.height, box)).toEqual(REFERENCE_LANDMARKS);
    }
  }, 60_000);

  it("keeps 'avx2-fma' apart: it rounds differently, loads only when asked and never shares a build id", async () => {
    expect(DLIB_BUILDS).toEqual(['reference', 'avx2-fma']);
    expect(findDlibAddon(BUILD_DIR)).not.toMatch(/fma/);
    const fma = loadDlib('avx2-fma') as unknown as Addon;
    expect(fma.arithmetic).toBe('avx2-fma');
    expect(dlibBuildId('avx2-fma')).not.toBe(dlibBuildId('reference'));
    expect(dlibBuildId('reference')).toMatch(/^reference\/(avx2|sse2)\/dlib-\d+\.\d+\.\d+\/linalg-dlib$/);
    const [ref, fast] = [await run(loadDlib('reference') as unknown as Addon), await run(fma)];
    // Not the same numbers: this is why it is opt-in and keyed apart.
    expect(JSON.stringify(fast)).not.toBe(JSON.stringify(ref));
  }, 120_000);
});
