/** Piecewise-affine warp: each Delaunay triangle of the destination landmarks pulls its own affine map. */
import type { Point, RgbImage } from '../lib/faces/index.js';
import { area2, type Triangle } from './delaunay.js';

export interface Warped {
  /** [sizePx, sizePx, 3] float RGB, 0 where not covered. */
  rgb: Float32Array;
  /** [sizePx, sizePx], 1 where some triangle covers the pixel centre. */
  covered: Uint8Array;
}

/** Inside-test slack, so pixel centres on an edge shared by two triangles are never missed by both. */
const EDGE_EPS = 1e-7;

/**
 * Warps `src` so that srcPoints land on dstPoints: for every destination pixel centre inside a triangle, the
 * triangle's affine map gives the source position, sampled bilinearly (border clamped). Points follow the
 * DLIB convention (integer = pixel centre) in both images.
 */
export function warpTriangles(
  src: RgbImage,
  srcPoints: readonly Point[],
  dstPoints: readonly Point[],
  triangles: readonly Triangle[],
  sizePx: number,
): Warped {
  const rgb = new Float32Array(sizePx * sizePx * 3);
  const covered = new Uint8Array(sizePx * sizePx);
  for (const [i, j, k] of triangles) {
    const d0 = dstPoints[i];
    const d1 = dstPoints[j];
    const d2 = dstPoints[k];
    const det = area2(d0, d1, d2);
    if (Math.abs(det) < 1e-9) continue;
    const s0 = srcPoints[i];
    const s1 = srcPoints[j];
    const s2 = srcPoints[k];
    const x0 = Math.max(0, Math.floor(Math.min(d0[0], d1[0], d2[0])));
    const x1 = Math.min(sizePx - 1, Math.ceil(Math.max(d0[0], d1[0], d2[0])));
    const y0 = Math.max(0, Math.floor(Math.min(d0[1], d1[1], d2[1])));
    const y1 = Math.min(sizePx - 1, Math.ceil(Math.max(d0[1], d1[1], d2[1])));
    // Barycentric weights are affine in (x, y): b1 = area2(d0, p, d2) / det, b2 = area2(d0, d1, p) / det.
    const b1x = (d2[1] - d0[1]) / det;
    const b1y = (d0[0] - d2[0]) / det;
    const b2x = (d0[1] - d1[1]) / det;
    const b2y = (d1[0] - d0[0]) / det;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const b1 = (x - d0[0]) * b1x + (y - d0[1]) * b1y;
        const b2 = (x - d0[0]) * b2x + (y - d0[1]) * b2y;
        const b0 = 1 - b1 - b2;
        if (b0 < -EDGE_EPS || b1 < -EDGE_EPS || b2 < -EDGE_EPS) continue;
        const sx = b0 * s0[0] + b1 * s1[0] + b2 * s2[0];
        const sy = b0 * s0[1] + b1 * s1[1] + b2 * s2[1];
        sampleBilinear(src, sx, sy, rgb, (y * sizePx + x) * 3);
        covered[y * sizePx + x] = 1;
      }
    }
  }
  return { rgb, covered };
}

function sampleBilinear(src: RgbImage, x: number, y: number, out: Float32Array, o: number): void {
  const w = src.widthPx;
  const h = src.heightPx;
  const cx = Math.min(Math.max(x, 0), w - 1);
  const cy = Math.min(Math.max(y, 0), h - 1);
  const xa = Math.floor(cx);
  const ya = Math.floor(cy);
  const xb = Math.min(xa + 1, w - 1);
  const yb = Math.min(ya + 1, h - 1);
  const fx = cx - xa;
  const fy = cy - ya;
  const p00 = (ya * w + xa) * 3;
  const p01 = (ya * w + xb) * 3;
  const p10 = (yb * w + xa) * 3;
  const p11 = (yb * w + xb) * 3;
  const s = src.rgb;
  for (let c = 0; c < 3; c++) {
    const top = s[p00 + c] + (s[p01 + c] - s[p00 + c]) * fx;
    const bottom = s[p10 + c] + (s[p11 + c] - s[p10 + c]) * fx;
    out[o + c] = top + (bottom - top) * fy;
  }
}

/** x' = a x + b y + tx, y' = c x + d y + ty. */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  tx: number;
  ty: number;
}

/** Least-squares similarity (rotation, uniform scale, shift) taking `from` onto `to` (Umeyama, 2-D). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Affine {
  const [fx, fy] = centroid(from);
  const [gx, gy] = centroid(to);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < from.length; i++) {
    const x = from[i][0] - fx;
    const y = from[i][1] - fy;
    const u = to[i][0] - gx;
    const v = to[i][1] - gy;
    dot += x * u + y * v;
    cross += x * v - y * u;
    norm += x * x + y * y;
  }
  const k = norm > 0 ? dot / norm : 1;
  const s = norm > 0 ? cross / norm : 0;
  return { a: k, b: -s, c: s, d: k, tx: gx - (k * fx - s * fy), ty: gy - (s * fx + k * fy) };
}

/**
 * Least-squares affine map taking `from` onto `to`: unlike a similarity it can also squeeze one axis, which is
 * how a head turned further away looks to a 2-D fit.
 */
export function fitAffine(from: readonly Point[], to: readonly Point[]): Affine {
  const [fx, fy] = centroid(from);
  const [gx, gy] = centroid(to);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let ux = 0;
  let uy = 0;
  let vx = 0;
  let vy = 0;
  for (let i = 0; i < from.length; i++) {
    const x = from[i][0] - fx;
    const y = from[i][1] - fy;
    const u = to[i][0] - gx;
    const v = to[i][1] - gy;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    ux += u * x;
    uy += u * y;
    vx += v * x;
    vy += v * y;
  }
  const det = sxx * syy - sxy * sxy;
  if (Math.abs(det) < 1e-9) return fitSimilarity(from, to);
  // Normal equations [sxx sxy; sxy syy] [a; b] = [ux; uy] (and likewise c, d from v).
  const a = (ux * syy - uy * sxy) / det;
  const b = (uy * sxx - ux * sxy) / det;
  const c = (vx * syy - vy * sxy) / det;
  const d = (vy * sxx - vx * sxy) / det;
  return { a, b, c, d, tx: gx - (a * fx + b * fy), ty: gy - (c * fx + d * fy) };
}

function centroid(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p[0] / points.length;
    y += p[1] / points.length;
  }
  return [x, y];
}

export function applyAffine(t: Affine, [x, y]: Point): Point {
  return [t.a * x + t.b * y + t.tx, t.c * x + t.d * y + t.ty];
}

/**
 * Warps `src` by the affine map `t` into a sizePx square (covered = inside src's bounds), only at pixels where
 * `where` (if given) is positive.
 */
export function warpAffine(src: RgbImage, t: Affine, sizePx: number, where?: Float32Array): Warped {
  const rgb = new Float32Array(sizePx * sizePx * 3);
  const covered = new Uint8Array(sizePx * sizePx);
  const det = t.a * t.d - t.b * t.c;
  const ia = t.d / det;
  const ib = -t.b / det;
  const ic = -t.c / det;
  const id = t.a / det;
  for (let y = 0; y < sizePx; y++) {
    for (let x = 0; x < sizePx; x++) {
      if (where && !(where[y * sizePx + x] > 0)) continue;
      const dx = x - t.tx;
      const dy = y - t.ty;
      const sx = ia * dx + ib * dy;
      const sy = ic * dx + id * dy;
      if (sx < -0.5 || sy < -0.5 || sx > src.widthPx - 0.5 || sy > src.heightPx - 0.5) continue;
      sampleBilinear(src, sx, sy, rgb, (y * sizePx + x) * 3);
      covered[y * sizePx + x] = 1;
    }
  }
  return { rgb, covered };
}
