/** Blend masks: the convex hull of chosen landmarks, shrunk and feathered so the seam falls inside the face. */
import { fillPolygon, type Point } from '../lib/faces/index.js';

/** Convex hull (monotone chain), counter-clockwise in image coordinates, without repeated points. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (pts: Point[]): Point[] => {
    const chain: Point[] = [];
    for (const p of pts) {
      while (chain.length >= 2 && cross(chain[chain.length - 2], chain[chain.length - 1], p) <= 0) chain.pop();
      chain.push(p);
    }
    chain.pop();
    return chain;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

/**
 * [sizePx * sizePx] alpha in [0, 1]: 1 deep inside the hull of `points`, 0 outside it. The hull is eroded by
 * `erodePx` (at least 3) and then blurred (two box passes of radius (erodePx - 1) / 2), so alpha reaches 0
 * before the hull's edge, where the warped face ends.
 */
export function featheredHullMask(points: readonly Point[], sizePx: number, erodePx: number): Float32Array {
  const binary = new Uint8Array(sizePx * sizePx);
  const hull = convexHull(points);
  fillPolygon(binary, sizePx, hull, 1);
  const r = Math.max(3, Math.round(erodePx));
  // Two passes of radius f reach 2f <= r - 1 pixels: alpha is 0 on the hull's outermost pixels.
  const feather = Math.floor((r - 1) / 2);
  // Everything happens within the hull's bounding box grown by the blur reach; outside it alpha is 0 anyway.
  const reach = r + 2 * feather + 1;
  const rect = {
    x0: Math.max(0, Math.floor(Math.min(...hull.map((p) => p[0]))) - reach),
    y0: Math.max(0, Math.floor(Math.min(...hull.map((p) => p[1]))) - reach),
    x1: Math.min(sizePx - 1, Math.ceil(Math.max(...hull.map((p) => p[0]))) + reach),
    y1: Math.min(sizePx - 1, Math.ceil(Math.max(...hull.map((p) => p[1]))) + reach),
  };
  const w = rect.x1 - rect.x0 + 1;
  const h = rect.y1 - rect.y0 + 1;
  const alpha = new Float32Array(sizePx * sizePx);
  if (w < 1 || h < 1) return alpha;
  const sub = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) sub[y * w + x] = binary[(y + rect.y0) * sizePx + x + rect.x0];
  // Erosion by r: a pixel stays when every pixel of the (2r+1)^2 box around it is inside.
  const box = boxBlur(sub, w, h, r);
  for (let i = 0; i < box.length; i++) box[i] = box[i] > 0.9999 ? 1 : 0;
  const soft = boxBlur(boxBlur(box, w, h, feather), w, h, feather);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) alpha[(y + rect.y0) * sizePx + x + rect.x0] = soft[y * w + x];
  return alpha;
}

/** Separable box mean of radius r over a [h, w] single-channel image; outside counts as 0. */
export function boxBlur(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) runningMean(src, tmp, y * w, 1, w, r, norm);
  for (let x = 0; x < w; x++) runningMean(tmp, out, x, w, h, r, norm);
  return out;
}

function runningMean(src: Float32Array, dst: Float32Array, start: number, stride: number, n: number, r: number, norm: number): void {
  // Sums in float64 then rounded once per pixel; exact for a 0/1 input, so the erosion threshold is reliable.
  let sum = 0;
  for (let i = 0; i <= Math.min(r, n - 1); i++) sum += src[start + i * stride];
  for (let i = 0; i < n; i++) {
    dst[start + i * stride] = sum * norm;
    const add = i + r + 1;
    const drop = i - r;
    if (add < n) sum += src[start + add * stride];
    if (drop >= 0) sum -= src[start + drop * stride];
  }
}
