import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../../lib/faces/image.js';
import { dfdAugmentOptionsSchema, fasAugmentOptionsSchema, randomErasingOptionsSchema } from '../../../lib/finetune/options.js';
import { RAND_AUGMENT_OPS, applyOp, autoContrast, brightness, color, contrast, equalize, posterize, rotate, solarize } from '../../../lib/finetune/rand-augment.js';
import { randomErase } from '../../../lib/finetune/random-erasing.js';
import { FinetuneRng } from '../../../lib/finetune/random.js';
import { flipHorizontal, resizeBicubic, warpAffine } from '../../../lib/finetune/resample.js';
import {
  IMAGENET_NORMALIZATION, dfdAugment, dfdTrainTransform, evalResizeCrop, evalTransform, fasTrainTransform, normalize,
  randomResizedCropBox, scaleSaturation,
} from '../../../lib/finetune/transforms.js';
import { testPicture } from './helpers.js';

const dfd = dfdAugmentOptionsSchema.parse({});
const fas = fasAugmentOptionsSchema.parse({});
const fill = [124, 116, 104] as const;

function solid(w: number, h: number, rgb: [number, number, number]): RgbImage {
  const buf = Buffer.alloc(w * h * 3);
  for (let i = 0; i < buf.length; i += 3) buf.set(rgb, i);
  return { rgb: buf, widthPx: w, heightPx: h };
}

function sameBytes(a: RgbImage, b: RgbImage): boolean {
  return a.widthPx === b.widthPx && a.heightPx === b.heightPx && Buffer.compare(a.rgb, b.rgb) === 0;
}

describe('resampling', () => {
  it('bicubic resize keeps a constant image constant, is the identity at the same size, and antialiases when shrinking', () => {
    const grey = resizeBicubic(solid(37, 23, [10, 200, 77]), 16, 16);
    expect(grey.rgb.length).toBe(16 * 16 * 3);
    for (let i = 0; i < grey.rgb.length; i += 3) expect([...grey.rgb.subarray(i, i + 3)]).toEqual([10, 200, 77]);
    const pic = testPicture(20, 20);
    expect(sameBytes(resizeBicubic(pic, 20, 20), pic)).toBe(true);
    // A 1-px checkerboard shrunk 4× averages out to mid-grey instead of aliasing.
    const board = solid(64, 64, [0, 0, 0]);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if ((x + y) % 2) board.rgb.fill(255, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const small = resizeBicubic(board, 16, 16);
    for (const v of small.rgb.subarray(3 * 16 * 4, 3 * 16 * 12)) expect(Math.abs(v - 127.5)).toBeLessThan(3);
  });

  it('a box resize equals resizing the cropped pixels', () => {
    const pic = testPicture(40, 30);
    const boxed = resizeBicubic(pic, 24, 24, { x0: 5, y0: 3, x1: 25, y1: 23 });
    expect(boxed.widthPx).toBe(24);
    // Interior pixels only depend on the box contents (the kernel may read a little outside at the borders).
    const crop = Buffer.alloc(20 * 20 * 3);
    for (let r = 0; r < 20; r++) pic.rgb.copy(crop, r * 60, ((3 + r) * 40 + 5) * 3, ((3 + r) * 40 + 25) * 3);
    const viaCrop = resizeBicubic({ rgb: crop, widthPx: 20, heightPx: 20 }, 24, 24);
    for (let y = 4; y < 20; y++) for (let x = 4; x < 20; x++) expect(Math.abs(boxed.rgb[(y * 24 + x) * 3] - viaCrop.rgb[(y * 24 + x) * 3])).toBeLessThanOrEqual(1);
  });

  it('flip twice is the identity; the identity affine is the identity; a full-width translation is all fill', () => {
    const pic = testPicture(13, 9);
    expect(sameBytes(flipHorizontal(flipHorizontal(pic)), pic)).toBe(true);
    expect(flipHorizontal(pic).rgb.subarray(0, 3)).toEqual(pic.rgb.subarray(12 * 3, 13 * 3));
    expect(sameBytes(warpAffine(pic, [1, 0, 0, 0, 1, 0], fill), pic)).toBe(true);
    expect(sameBytes(rotate(pic, 0, fill), pic)).toBe(true);
    const gone = warpAffine(pic, [1, 0, 13, 0, 1, 0], fill);
    for (let i = 0; i < gone.rgb.length; i += 3) expect([...gone.rgb.subarray(i, i + 3)]).toEqual([...fill]);
    // Rotating a square by 90° maps the top-left corner to the bottom-left (counter-clockwise, as Pillow).
    const sq = testPicture(8, 8);
    const r90 = rotate(sq, 90, fill);
    expect([...r90.rgb.subarray((7 * 8 + 0) * 3, (7 * 8 + 0) * 3 + 3)]).toEqual([...sq.rgb.subarray(0, 3)]);
  });
});

describe('RandAugment ops', () => {
  const pic = testPicture(24, 20);

  it('every op keeps the size and changes the test picture at magnitude 9', () => {
    for (const op of RAND_AUGMENT_OPS) {
      const out = applyOp(pic, op, 9, fill, FinetuneRng.fromSeed(5));
      expect(out.widthPx, op).toBe(24);
      expect(out.rgb.length, op).toBe(24 * 20 * 3);
      expect(sameBytes(out, pic), op).toBe(false);
    }
  });

  it('pixel ops follow Pillow: posterize, solarize, autocontrast, equalize, invert, enhance extremes', () => {
    const px = (img: RgbImage) => [...img.rgb.subarray(0, 3)];
    const one = solid(1, 1, [200, 100, 37]);
    expect(px(posterize(one, 1))).toEqual([128, 0, 0]);
    expect(px(posterize(one, 4))).toEqual([192, 96, 32]);
    expect(px(solarize(one, 128))).toEqual([55, 100, 37]);
    expect(px(applyOp(one, 'Invert', 0, fill, FinetuneRng.fromSeed(0)))).toEqual([55, 155, 218]);
    // Two levels 51 and 102 stretch to 0 and 255 (scale 5 is exact; Pillow truncates inexact products).
    const two = solid(2, 1, [51, 51, 51]);
    two.rgb.set([102, 102, 102], 3);
    expect([...autoContrast(two).rgb]).toEqual([0, 0, 0, 255, 255, 255]);
    const eq = equalize(two);
    expect(eq.rgb[0]).toBeLessThan(eq.rgb[3]);
    expect(px(brightness(one, 0))).toEqual([0, 0, 0]);
    const g = color(one, 0);
    expect(g.rgb[0]).toBe(g.rgb[1]);
    expect(g.rgb[0]).toBe(Math.round((200 * 19595 + 100 * 38470 + 37 * 7471) / 65536));
    const flat = contrast(pic, 0);
    expect(new Set(flat.rgb).size).toBe(1);
  });
});

describe('train and eval transforms', () => {
  const face = testPicture(64, 64, 3);

  it('RandomResizedCrop boxes lie inside the image with area in [0.08, 1] and aspect in [3/4, 4/3] (up to rounding)', () => {
    const rng = FinetuneRng.fromSeed(7);
    for (let i = 0; i < 300; i++) {
      const b = randomResizedCropBox(64, 48, [0.08, 1], [3 / 4, 4 / 3], rng);
      expect(b.x0).toBeGreaterThanOrEqual(0);
      expect(b.y0).toBeGreaterThanOrEqual(0);
      expect(b.x1).toBeLessThanOrEqual(64);
      expect(b.y1).toBeLessThanOrEqual(48);
      const area = (b.x1 - b.x0) * (b.y1 - b.y0);
      expect(area).toBeGreaterThanOrEqual(0.07 * 64 * 48);
      const aspect = (b.x1 - b.x0) / (b.y1 - b.y0);
      expect(aspect).toBeGreaterThan(0.6);
      expect(aspect).toBeLessThan(1.6);
    }
  });

  it('dfd train transform: [S, S, 3] float32, identical for the same seed, different for another seed', () => {
    const a = dfdTrainTransform(face, 32, dfd, IMAGENET_NORMALIZATION, FinetuneRng.fromSeed(1));
    const b = dfdTrainTransform(face, 32, dfd, IMAGENET_NORMALIZATION, FinetuneRng.fromSeed(1));
    const c = dfdTrainTransform(face, 32, dfd, IMAGENET_NORMALIZATION, FinetuneRng.fromSeed(2));
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(32 * 32 * 3);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const u8 = dfdAugment(face, 32, dfd, IMAGENET_NORMALIZATION, FinetuneRng.fromSeed(1));
    expect(u8.rgb).toBeInstanceOf(Uint8Array);
    expect([u8.widthPx, u8.heightPx]).toEqual([32, 32]);
  });

  it('a stream of transforms is reproducible from a saved rng state', () => {
    const rng = FinetuneRng.fromSeed(3);
    dfdTrainTransform(face, 32, dfd, IMAGENET_NORMALIZATION, rng);
    const state = rng.state();
    const next = dfdTrainTransform(face, 32, dfd, IMAGENET_NORMALIZATION, rng);
    expect(dfdTrainTransform(face, 32, dfd, IMAGENET_NORMALIZATION, FinetuneRng.fromState(state))).toEqual(next);
  });

  it('eval transform resizes the shorter side to ⌊S/0.875⌋ and centre crops S; normalisation is (v/255 − mean)/std', () => {
    const wide = testPicture(80, 40);
    const cropped = evalResizeCrop(wide, 28, 0.875);
    expect([cropped.widthPx, cropped.heightPx]).toEqual([28, 28]);
    // 80×40 -> 64×32, then the centre 28×28 starts at (18, 2).
    const resized = resizeBicubic(wide, 64, 32);
    expect(cropped.rgb.subarray(0, 3)).toEqual(resized.rgb.subarray((2 * 64 + 18) * 3, (2 * 64 + 18) * 3 + 3));
    const x = evalTransform(solid(30, 30, [255, 0, 128]), 28, 0.875, IMAGENET_NORMALIZATION);
    expect(x.length).toBe(28 * 28 * 3);
    expect(x[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(x[1]).toBeCloseTo((0 - 0.456) / 0.224, 5);
    expect(x[2]).toBeCloseTo((128 / 255 - 0.406) / 0.225, 5);
    expect(normalize(solid(1, 1, [0, 0, 0]), IMAGENET_NORMALIZATION)[0]).toBeCloseTo(-0.485 / 0.229, 5);
  });

  it('random erasing (p 1) fills one in-bounds box with N(0,1) noise and leaves the rest; p 0 changes nothing', () => {
    const opts = { ...randomErasingOptionsSchema.parse({}), prob: 1 };
    const img = new Float32Array(20 * 30 * 3).fill(7);
    const boxes = randomErase(img, 20, 30, 3, opts, FinetuneRng.fromSeed(4));
    expect(boxes).toHaveLength(1);
    const { y, x, h, w } = boxes[0];
    expect(y + h).toBeLessThanOrEqual(20);
    expect(x + w).toBeLessThanOrEqual(30);
    const area = h * w;
    expect(area).toBeGreaterThanOrEqual(Math.floor(0.02 * 600) - 2);
    expect(area).toBeLessThanOrEqual(Math.ceil(600 / 3) + 12);
    const changed = img.filter((v) => v !== 7).length;
    expect(changed).toBe(area * 3);
    const untouched = new Float32Array(12).fill(7);
    expect(randomErase(untouched, 2, 2, 3, { ...opts, prob: 0 }, FinetuneRng.fromSeed(4))).toEqual([]);
    expect(untouched.every((v) => v === 7)).toBe(true);
  });

  it('fas: saturation scaling keeps the max channel (value) and hue order, ×0 gives grey; train transform is seeded', () => {
    const one = solid(1, 1, [200, 100, 40]);
    expect([...scaleSaturation(one, 0).rgb]).toEqual([200, 200, 200]);
    expect([...scaleSaturation(one, 1).rgb]).toEqual([200, 100, 40]);
    expect([...scaleSaturation(one, 1.2).rgb]).toEqual([200, 80, 8]);
    const a = fasTrainTransform(face, 32, fas, IMAGENET_NORMALIZATION, FinetuneRng.fromSeed(8));
    expect(a.length).toBe(32 * 32 * 3);
    expect(fasTrainTransform(face, 32, fas, IMAGENET_NORMALIZATION, FinetuneRng.fromSeed(8))).toEqual(a);
  });
});
