/**
 * LaPa region maps from the 68 DLIB landmarks (fsfm-method.md §1). The reference runs a neural face
 * parser; we draw polygons from the landmarks instead. Left/right follow LaPa: the subject's side,
 * so DLIB's image-left brow (17-21) and eye (36-41) are the subject's RIGHT (ids 2 and 4).
 *
 * Geometry is taken in the face's own frame: `e` runs along the outer eye corners (36 -> 45, image
 * right for an upright face) and `u` is perpendicular to it, pointing at the chin, so tilted faces get
 * tilted polygons. Estimates (the landmarks do not reach them), chosen from facial proportions:
 * - forehead: the skin continues above the jaw line's ends (0, 16) as a half ellipse whose width is
 *   the 0-16 distance and whose top lies FOREHEAD_FRACTION of the brow-to-chin height above the brows.
 *   The face's thirds (hairline-brow ~ brow-nose base ~ nose base-chin) give ~0.5; the iBUG brow
 *   points sit on the brow's upper edge and hair often covers the top, hence less.
 * - brows: the five points trace the brow's upper edge; the lower edge is that edge moved along `u`
 *   by BROW_THICKNESS of the outer-eye-corner distance, tapering towards the temple.
 * - nose: the bridge (27-30) is a line, so the polygon is a band around it whose top half-width is
 *   NOSE_TOP_HALF_WIDTH of the inner-eye-corner distance, widening to the alae beside 31 and 35 and
 *   closed by the nostril base 31-35.
 * - hair (off by default): a band from the forehead ellipse up to a larger one (HAIR_* below).
 */
import type { Point } from './dlib.js';
import { InvalidConfig } from '../errors.js';

import { LAPA, MAX_LAPA_ID } from './lapa.js';

export { LAPA, MAX_LAPA_ID };

const FOREHEAD_FRACTION = 0.4;
const BROW_THICKNESS = 0.1;
/** Thickness profile from the temple end (17 / 26) to the inner end (21 / 22). */
const BROW_PROFILE = [0.55, 0.85, 1, 1, 0.9];
const NOSE_TOP_HALF_WIDTH = 0.12;
/** The alae stand this fraction of the nostril width outside 31 / 35 ... */
const ALA_OUTSET = 0.2;
/** ... and this fraction of the way from the nostril base up towards 29. */
const ALA_RISE = 0.5;
const HAIR_WIDTH_SCALE = 1.2;
const HAIR_HEIGHT_FRACTION = 0.3;
const ELLIPSE_STEPS = 24;

export type Polygon = Point[];

export interface RegionPolygon {
  label: number;
  polygon: Polygon;
}

export interface RegionMapOptions {
  /** Side of the square map (the landmarks must be in its pixel coordinates). */
  sizePx?: number;
  hair?: boolean;
}

const add = (a: Point, b: Point): Point => [a[0] + b[0], a[1] + b[1]];
const sub = (a: Point, b: Point): Point => [a[0] - b[0], a[1] - b[1]];
const mul = (a: Point, k: number): Point => [a[0] * k, a[1] * k];
const dot = (a: Point, b: Point): number => a[0] * b[0] + a[1] * b[1];
const norm = (a: Point): number => Math.hypot(a[0], a[1]);
const mean = (ps: Point[]): Point => mul(ps.reduce(add, [0, 0] as Point), 1 / ps.length);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The polygons in paint order (later ones overwrite earlier ones where they overlap): hair, skin,
 * nose, brows, eyes, the whole outer lip contour as lower lip, the upper lip, the inner mouth.
 */
export function regionPolygons(landmarks: readonly Point[], options: { hair?: boolean } = {}): RegionPolygon[] {
  if (landmarks.length !== 68 || landmarks.some((p) => !Number.isFinite(p?.[0]) || !Number.isFinite(p?.[1]))) {
    throw new InvalidConfig(`region maps need 68 finite [x, y] landmarks, got ${landmarks.length}`);
  }
  const p = (i: number): Point => [landmarks[i][0], landmarks[i][1]];
  const pts = (ids: number[]): Point[] => ids.map(p);

  const eyeAxis = sub(p(45), p(36));
  const eyeSpanPx = norm(eyeAxis) || 1;
  const e: Point = mul(eyeAxis, 1 / eyeSpanPx);
  const u: Point = [-e[1], e[0]];

  // Skin: jaw 0..16, then the forehead half ellipse from 16 back to 0.
  const browMid = mean(pts(range(17, 26)));
  const browToChinPx = Math.max(dot(sub(p(8), browMid), u), 1);
  const jawTopMid = mean([p(0), p(16)]);
  const halfWidthPx = Math.max(Math.abs(dot(sub(p(16), p(0)), e)) / 2, 1);
  const foreheadRisePx = dot(sub(jawTopMid, browMid), u) + FOREHEAD_FRACTION * browToChinPx;
  const dome = (halfWidth: number, rise: number): Polygon =>
    range(1, ELLIPSE_STEPS - 1).map((k) => {
      const theta = (Math.PI * k) / ELLIPSE_STEPS;
      return add(jawTopMid, add(mul(e, halfWidth * Math.cos(theta)), mul(u, -rise * Math.sin(theta))));
    });
  const skin: Polygon = [...pts(range(0, 16)), ...dome(halfWidthPx, foreheadRisePx)];

  const brow = (ids: number[], profile: number[]): Polygon => {
    const thicknessPx = BROW_THICKNESS * eyeSpanPx;
    const lower = ids.map((id, k) => add(p(id), mul(u, thicknessPx * profile[k]))).reverse();
    return [...pts(ids), ...lower];
  };

  const eyeInnerPx = norm(sub(p(42), p(39)));
  const nostrilWidthPx = norm(sub(p(35), p(31)));
  const topHalfPx = NOSE_TOP_HALF_WIDTH * eyeInnerPx;
  const ala = (base: number, outward: number): Point =>
    add(p(base), add(mul(e, outward * ALA_OUTSET * nostrilWidthPx), mul(u, -ALA_RISE * dot(sub(p(base), p(29)), u))));
  const nose: Polygon = [
    add(p(27), mul(e, -topHalfPx)),
    add(p(27), mul(e, topHalfPx)),
    ala(35, 1),
    ...pts([35, 34, 33, 32, 31]),
    ala(31, -1),
  ];

  const regions: RegionPolygon[] = [];
  if (options.hair) {
    const hairHalfWidthPx = HAIR_WIDTH_SCALE * halfWidthPx;
    const hairRisePx = foreheadRisePx + HAIR_HEIGHT_FRACTION * browToChinPx;
    regions.push({
      label: LAPA.hair,
      polygon: [add(jawTopMid, mul(e, hairHalfWidthPx)), ...dome(hairHalfWidthPx, hairRisePx), add(jawTopMid, mul(e, -hairHalfWidthPx))],
    });
  }
  regions.push(
    { label: LAPA.skin, polygon: skin },
    { label: LAPA.nose, polygon: nose },
    { label: LAPA.rightBrow, polygon: brow(range(17, 21), BROW_PROFILE) },
    { label: LAPA.leftBrow, polygon: brow(range(22, 26), [...BROW_PROFILE].reverse()) },
    { label: LAPA.rightEye, polygon: pts(range(36, 41)) },
    { label: LAPA.leftEye, polygon: pts(range(42, 47)) },
    { label: LAPA.lowerLip, polygon: pts(range(48, 59)) },
    { label: LAPA.upperLip, polygon: pts([...range(48, 54), 64, 63, 62, 61, 60]) },
    { label: LAPA.innerMouth, polygon: pts(range(60, 67)) },
  );
  return regions;
}

/** x positions where the polygon's edges cross the horizontal line at y (edges half-open in y). */
function crossings(polygon: Polygon, y: number): number[] {
  const xs: number[] = [];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [x0, y0] = polygon[j];
    const [x1, y1] = polygon[i];
    if ((y0 <= y && y < y1) || (y1 <= y && y < y0)) xs.push(x0 + ((y - y0) * (x1 - x0)) / (y1 - y0));
  }
  return xs.sort((a, b) => a - b);
}

/** Even-odd inside test with the same rule fillPolygon uses (x in [entry, exit)). */
export function pointInPolygon(point: Point, polygon: Polygon): boolean {
  const xs = crossings(polygon, point[1]);
  let inside = false;
  for (const x of xs) if (x <= point[0]) inside = !inside;
  return inside;
}

/**
 * Paints `label` into every pixel of the sizePx x sizePx map whose centre (integer coordinates, the
 * landmarks' convention) is inside the polygon: a scanline fill, even-odd rule.
 */
export function fillPolygon(map: Uint8Array, sizePx: number, polygon: Polygon, label: number): void {
  if (polygon.length < 3) return;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [, y] of polygon) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const firstRow = Math.max(0, Math.ceil(minY));
  const lastRow = Math.min(sizePx - 1, Math.floor(maxY));
  for (let row = firstRow; row <= lastRow; row++) {
    const xs = crossings(polygon, row);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k]));
      const to = Math.min(sizePx - 1, Math.ceil(xs[k + 1]) - 1);
      if (to >= from) map.fill(label, row * sizePx + from, row * sizePx + to + 1);
    }
  }
}

/** [sizePx * sizePx] uint8 LaPa ids, row-major, from 68 landmarks given in the map's pixel coordinates. */
export function regionMap(landmarks: readonly Point[], options: RegionMapOptions = {}): Uint8Array {
  const sizePx = options.sizePx ?? 224;
  if (!Number.isInteger(sizePx) || sizePx < 1) throw new InvalidConfig(`region map size must be a positive integer, got ${sizePx}`);
  const map = new Uint8Array(sizePx * sizePx);
  for (const { label, polygon } of regionPolygons(landmarks, { hair: options.hair })) fillPolygon(map, sizePx, polygon, label);
  return map;
}

/** Pixel count of every label 0..MAX_LAPA_ID. */
export function labelHistogram(map: Uint8Array): number[] {
  const counts = new Array<number>(MAX_LAPA_ID + 1).fill(0);
  for (const v of map) if (v <= MAX_LAPA_ID) counts[v]++;
  return counts;
}
