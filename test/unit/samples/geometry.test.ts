import { describe, expect, it } from 'vitest';
import type { Point, RgbImage } from '../../../lib/faces/index.js';
import { Rng } from '../../../lib/masking/rng.js';
import { renderPath, renderView, viewPoint, type View } from '../../../samples/camera.js';
import { transferColour } from '../../../samples/colour.js';
import { area2, delaunay } from '../../../samples/delaunay.js';
import { rgbToYuv420 } from '../../../samples/encode.js';
import { convexHull, featheredHullMask } from '../../../samples/mask.js';
import { pairIdentities } from '../../../samples/pairs.js';
import { MIRROR_IDS } from '../../../samples/swap.js';
import { applyAffine, fitAffine, fitSimilarity, warpTriangles } from '../../../samples/warp.js';

const ids = (n: number) => Array.from({ length: n }, (_, k) => String(k).padStart(3, '0'));

describe('pairIdentities', () => {
  it.each([2, 3, 6, 7, 19, 20])('with %i ids: a derangement of 2- and 3-cycles, each id in exactly one split', (n) => {
    for (const seed of [0, 1, 42]) {
      const { swaps, groups, splits } = pairIdentities(ids(n), seed);
      expect(swaps.map((s) => s.target).sort()).toEqual(ids(n));
      expect(swaps.map((s) => s.source).sort()).toEqual(ids(n));
      for (const s of swaps) expect(s.source).not.toBe(s.target);
      for (const g of groups) expect([2, 3]).toContain(g.length);
      const splitOf = new Map<string, string>();
      for (const [split, pairs] of Object.entries(splits)) {
        for (const id of pairs.flat()) {
          expect(splitOf.get(id) ?? split, id).toBe(split);
          splitOf.set(id, split);
        }
      }
      expect([...splitOf.keys()].sort()).toEqual(ids(n));
      // Every fake's pair is listed in its split, as the FF++ adapter needs.
      for (const { target, source } of swaps) {
        const listed = splits[splitOf.get(target) as 'train'].some(
          ([a, b]) => (a === target && b === source) || (a === source && b === target),
        );
        expect(listed, `${target}_${source}`).toBe(true);
      }
    }
  });

  it('fills train, val and test once there are three pairs, train the largest for 19 ids', () => {
    const six = pairIdentities(ids(6), 3).splits;
    expect([six.train.length, six.val.length, six.test.length]).toEqual([1, 1, 1]);
    const nineteen = pairIdentities(ids(19), 0).splits;
    const idsIn = (pairs: [string, string][]) => new Set(pairs.flat()).size;
    expect(idsIn(nineteen.train)).toBeGreaterThan(idsIn(nineteen.val));
    expect(idsIn(nineteen.val)).toBeGreaterThan(0);
    expect(idsIn(nineteen.test)).toBeGreaterThan(0);
  });

  it('is a function of the seed: same seed same pairs, another seed other pairs', () => {
    expect(pairIdentities(ids(19), 5)).toEqual(pairIdentities(ids(19), 5));
    const bySeed = [0, 1, 2, 3].map((seed) => JSON.stringify(pairIdentities(ids(19), seed).swaps));
    expect(new Set(bySeed).size).toBe(4);
  });
});

/** A dark photo with one bright pixel at `at`. */
function dotPhoto(widthPx: number, heightPx: number, at: Point): RgbImage {
  const rgb = Buffer.alloc(widthPx * heightPx * 3);
  rgb.fill(250, (at[1] * widthPx + at[0]) * 3, (at[1] * widthPx + at[0]) * 3 + 3);
  return { rgb, widthPx, heightPx };
}

function centroid(image: RgbImage): Point {
  let sum = 0;
  let x = 0;
  let y = 0;
  for (let p = 0; p < image.widthPx * image.heightPx; p++) {
    const v = image.rgb[p * 3];
    sum += v;
    x += v * (p % image.widthPx);
    y += v * Math.floor(p / image.widthPx);
  }
  return [x / sum, y / sum];
}

describe('camera views', () => {
  it('renders a photo point where viewPoint says it lands (the landmark transform is exact)', () => {
    const at: Point = [300, 211];
    const photo = dotPhoto(640, 480, at);
    const views: View[] = [
      { x0: 200, y0: 150, scale: 1 },
      { x0: 183.3, y0: 121.7, scale: 1.37 },
      { x0: 150.25, y0: 90.5, scale: 2.2 },
      { x0: 260.1, y0: 190.9, scale: 0.6 },
    ];
    for (const view of views) {
      const frame = renderView(photo, view, 128);
      const [ex, ey] = viewPoint(view, at);
      const [cx, cy] = centroid(frame);
      expect(Math.abs(cx - ex), JSON.stringify(view)).toBeLessThan(0.05);
      expect(Math.abs(cy - ey), JSON.stringify(view)).toBeLessThan(0.05);
    }
  });

  it('copies pixels exactly at scale 1 and an integer offset', () => {
    const rng = Rng.fromSeed(1);
    const photo: RgbImage = { rgb: Buffer.from(Array.from({ length: 40 * 30 * 3 }, () => rng.nextInt(256))), widthPx: 40, heightPx: 30 };
    const frame = renderView(photo, { x0: 5, y0: 7, scale: 1 }, 16);
    for (let y = 0; y < 16; y++) {
      expect(frame.rgb.subarray(y * 48, y * 48 + 48).equals(photo.rgb.subarray(((y + 7) * 40 + 5) * 3, ((y + 7) * 40 + 21) * 3))).toBe(true);
    }
  });

  it('renderPath (via a shared working image) puts the point where renderView does', () => {
    const at: Point = [333, 250];
    const photo = dotPhoto(640, 480, at);
    const views: View[] = [
      { x0: 200, y0: 150, scale: 2.2 },
      { x0: 230, y0: 170, scale: 2.0 },
      { x0: 260, y0: 190, scale: 1.8 },
    ];
    const frames = [...renderPath(photo, views, 128)];
    frames.forEach((frame, k) => {
      const [ex, ey] = viewPoint(views[k], at);
      const [cx, cy] = centroid(frame);
      expect(Math.hypot(cx - ex, cy - ey)).toBeLessThan(0.1);
    });
  });
});

describe('warps and masks', () => {
  const rng = Rng.fromSeed(9);
  const randomPoints = (n: number): Point[] => Array.from({ length: n }, () => [rng.nextFloat() * 200, rng.nextFloat() * 200]);

  it('delaunay tiles the convex hull with triangles whose circumcircles hold no other point', () => {
    const points = randomPoints(68);
    const triangles = delaunay(points);
    const hull = convexHull(points);
    const hullArea = hull.reduce((s, p, i) => s + area2(hull[0], p, hull[(i + 1) % hull.length]), 0) / 2;
    const sum = triangles.reduce((s, [a, b, c]) => s + area2(points[a], points[b], points[c]), 0) / 2;
    expect(sum).toBeCloseTo(hullArea, 6);
    for (const [a, b, c] of triangles) {
      expect(area2(points[a], points[b], points[c])).toBeGreaterThan(0);
      const [ax, ay] = points[a];
      const [bx, by] = points[b];
      const [cx, cy] = points[c];
      const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
      const ux = ((ax * ax + ay * ay) * (by - cy) + (bx * bx + by * by) * (cy - ay) + (cx * cx + cy * cy) * (ay - by)) / d;
      const uy = ((ax * ax + ay * ay) * (cx - bx) + (bx * bx + by * by) * (ax - cx) + (cx * cx + cy * cy) * (bx - ax)) / d;
      const r = Math.hypot(ax - ux, ay - uy);
      points.forEach((p, i) => {
        if (i !== a && i !== b && i !== c) expect(Math.hypot(p[0] - ux, p[1] - uy)).toBeGreaterThan(r - 1e-6);
      });
    }
  });

  it('warpTriangles moves a source point onto its destination landmark', () => {
    const src: Point[] = [[20, 20], [100, 25], [60, 110], [55, 50]];
    const dst: Point[] = [[30, 10], [120, 40], [50, 120], [70, 55]];
    const image = dotPhoto(128, 128, [55, 50]);
    const warped = warpTriangles(image, src, dst, delaunay(dst), 128);
    let best = 0;
    for (let p = 0; p < 128 * 128; p++) if (warped.rgb[p * 3] > warped.rgb[best * 3]) best = p;
    expect([best % 128, Math.floor(best / 128)]).toEqual([70, 55]);
    expect(warped.covered[55 * 128 + 70]).toBe(1);
    expect(warped.covered[0]).toBe(0);
  });

  it('fitSimilarity and fitAffine recover the map that made the points', () => {
    const from = randomPoints(10);
    const sim = { a: 1.2 * Math.cos(0.3), b: -1.2 * Math.sin(0.3), c: 1.2 * Math.sin(0.3), d: 1.2 * Math.cos(0.3), tx: 5, ty: -7 };
    const aff = { a: 0.8, b: 0.1, c: -0.2, d: 1.3, tx: 12, ty: 3 };
    for (const [fit, t] of [[fitSimilarity, sim], [fitAffine, aff]] as const) {
      const got = fit(from, from.map((p) => applyAffine(t, p)));
      for (const k of ['a', 'b', 'c', 'd', 'tx', 'ty'] as const) expect(got[k]).toBeCloseTo(t[k], 9);
    }
  });

  it('featheredHullMask is 0 outside the hull, 1 deep inside, and ramps in between', () => {
    const square: Point[] = [[40, 40], [200, 40], [200, 200], [40, 200], [120, 120]];
    const alpha = featheredHullMask(square, 256, 12);
    expect(alpha[120 * 256 + 120]).toBeCloseTo(1, 6);
    expect(alpha[30 * 256 + 120]).toBe(0);
    expect(alpha[41 * 256 + 120]).toBe(0);
    const ramp = [44, 48, 52, 56, 60].map((y) => alpha[y * 256 + 120]);
    expect([...ramp].sort((a, b) => a - b)).toEqual(ramp);
    expect(ramp[0]).toBeLessThan(ramp[4]);
  });

  it('MIRROR_IDS is an involution that swaps left and right features', () => {
    for (let i = 0; i < 68; i++) expect(MIRROR_IDS[MIRROR_IDS[i]]).toBe(i);
    expect([MIRROR_IDS[0], MIRROR_IDS[8], MIRROR_IDS[17], MIRROR_IDS[30], MIRROR_IDS[36], MIRROR_IDS[48], MIRROR_IDS[62]]).toEqual([
      16, 8, 26, 30, 45, 54, 62,
    ]);
  });
});

describe('colour and encoding', () => {
  it('transferColour (rgb) gives the face the target mean and std over the measured pixels', () => {
    const rng = Rng.fromSeed(4);
    const n = 500;
    const face = Float32Array.from({ length: n * 3 }, () => 50 + rng.nextFloat() * 40);
    const target = Uint8Array.from({ length: n * 3 }, () => 120 + rng.nextInt(80));
    const all = new Uint8Array(n).fill(1);
    transferColour(face, target, all, all, 'rgb');
    for (let c = 0; c < 3; c++) {
      const stats = (xs: ArrayLike<number>) => {
        const v = Array.from({ length: n }, (_, k) => xs[k * 3 + c]);
        const mean = v.reduce((s, x) => s + x, 0) / n;
        return [mean, Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / n)];
      };
      const [fm, fs] = stats(face);
      const [tm, ts] = stats(target);
      expect(fm).toBeCloseTo(tm, 3);
      expect(fs).toBeCloseTo(ts, 3);
    }
  });

  it('transferColour (lab) moves a face towards the target colour', () => {
    const n = 100;
    const face = new Float32Array(n * 3).fill(0).map((_, i) => (i % 3 === 2 ? 200 : 90)); // bluish
    const target = new Uint8Array(n * 3).map((_, i) => (i % 3 === 0 ? 200 : 120)); // reddish
    const all = new Uint8Array(n).fill(1);
    transferColour(face, target, all, all, 'lab');
    expect(Math.abs(face[0] - 200)).toBeLessThan(2);
    expect(Math.abs(face[1] - 120)).toBeLessThan(2);
    expect(Math.abs(face[2] - 120)).toBeLessThan(2);
  });

  it('rgbToYuv420 uses BT.601 limited range', () => {
    const frame: RgbImage = { rgb: Buffer.alloc(4 * 4 * 3), widthPx: 4, heightPx: 4 };
    frame.rgb.fill(255, 0, 2 * 4 * 3); // top two rows white, bottom two black
    const yuv = rgbToYuv420(frame);
    expect([...yuv.subarray(0, 16)]).toEqual([235, 235, 235, 235, 235, 235, 235, 235, 16, 16, 16, 16, 16, 16, 16, 16]);
    expect([...yuv.subarray(16)]).toEqual([128, 128, 128, 128, 128, 128, 128, 128]);
  });
});
