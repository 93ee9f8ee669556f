/** Delaunay triangulation of a few dozen points (Bowyer-Watson; 68 landmarks need nothing faster). */
import type { Point } from '../lib/faces/index.js';

export type Triangle = [number, number, number];

/**
 * Triangles (index triples into `points`, counter-clockwise in image coordinates) covering the convex hull of
 * `points`. Repeated points are triangulated once (the first index stands for all copies); triangles with no
 * area are dropped.
 */
export function delaunay(points: readonly Point[]): Triangle[] {
  const unique: number[] = [];
  const seen = new Map<string, number>();
  points.forEach(([x, y], i) => {
    const key = `${x},${y}`;
    if (!seen.has(key)) {
      seen.set(key, i);
      unique.push(i);
    }
  });
  if (unique.length < 3) return [];
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const i of unique) {
    const [x, y] = points[i];
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  const span = Math.max(maxX - minX, maxY - minY, 1);
  const midX = (minX + maxX) / 2;
  const midY = (minY + maxY) / 2;
  // A super-triangle far outside every point (corners -1, -2, -3). Far, because a corner that lies inside the
  // circumcircle of a thin triangle along the hull would swallow that triangle.
  const far = 1e4 * span;
  const corner: Record<number, Point> = {
    [-1]: [midX - far, midY - far],
    [-2]: [midX, midY + far],
    [-3]: [midX + far, midY - far],
  };
  const at = (i: number): Point => (i < 0 ? corner[i] : points[i]);
  let triangles: Triangle[] = [[-1, -2, -3]];
  for (const p of unique) {
    const [px, py] = points[p];
    const bad: Triangle[] = [];
    const good: Triangle[] = [];
    for (const t of triangles) (inCircumcircle(at(t[0]), at(t[1]), at(t[2]), px, py) ? bad : good).push(t);
    // The cavity's boundary: edges that belong to exactly one bad triangle.
    const edges = new Map<string, [number, number, number]>();
    for (const t of bad) {
      for (const [a, b] of [
        [t[0], t[1]],
        [t[1], t[2]],
        [t[2], t[0]],
      ]) {
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        const entry = edges.get(key);
        if (entry) entry[2]++;
        else edges.set(key, [a, b, 1]);
      }
    }
    triangles = good;
    for (const [a, b, n] of edges.values()) if (n === 1) triangles.push([a, b, p]);
  }
  return triangles
    .filter((t) => t.every((i) => i >= 0))
    .map((t) => orient(t, points))
    .filter((t) => Math.abs(area2(points[t[0]], points[t[1]], points[t[2]])) > 1e-9);
}

/** Twice the signed area of abc. */
export function area2(a: Point, b: Point, c: Point): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

function orient(t: Triangle, points: readonly Point[]): Triangle {
  return area2(points[t[0]], points[t[1]], points[t[2]]) < 0 ? [t[0], t[2], t[1]] : t;
}

function inCircumcircle(a: Point, b: Point, c: Point, px: number, py: number): boolean {
  const ax = a[0] - px;
  const ay = a[1] - py;
  const bx = b[0] - px;
  const by = b[1] - py;
  const cx = c[0] - px;
  const cy = c[1] - py;
  const det =
    (ax * ax + ay * ay) * (bx * cy - cx * by) - (bx * bx + by * by) * (ax * cy - cx * ay) + (cx * cx + cy * cy) * (ax * by - bx * ay);
  // The sign of det flips with the triangle's orientation.
  return area2(a, b, c) > 0 ? det > 0 : det < 0;
}
