/**
 * The "real video" of an identity: a virtual camera doing a slow Ken Burns pan-and-zoom over the face in its
 * photo. Every frame is an axis-aligned view (scale + offset) of the photo, so the photo's DLIB landmarks map
 * into each frame exactly (viewPoint) and the frames never need to be searched for faces while generating.
 *
 * Coordinates: pixel i covers [i, i+1) and DLIB points sit on pixel centres at integers, so the continuous
 * position of point p is p + 0.5. A view maps output pixel u (centre u + 0.5) to photo position
 * x0 + (u + 0.5) * scale.
 */
import type { Point, RgbImage } from '../lib/faces/index.js';
import { type AxisTaps, resampleSeparable } from '../lib/faces/separable-resample.js';
import type { Rng } from '../lib/masking/rng.js';
import type { Identity } from './photos.js';

export interface View {
  /** Photo position (continuous) of the output's left / top edge. */
  x0: number;
  y0: number;
  /** Photo pixels per output pixel. */
  scale: number;
}

/** Window side at the start and end of the clip, in face-box sides: the camera slowly zooms in. */
const ZOOM_FROM = 2.2;
const ZOOM_TO = 1.8;
/** Largest offset of the window centre from the face centre, in window sides. */
const PAN_FRACTION = 0.08;
/** The face box's centre sits a little below the face's visual centre (it spans brows to chin). */
const LIFT_FRACTION = 0.06;

/** One view per frame; the path's start and end offsets are drawn from `rng`. */
export function cameraPath(identity: Identity, frames: number, sizePx: number, rng: Rng): View[] {
  const { box } = identity;
  const side = Math.max(box.right - box.left, box.bottom - box.top) + 1;
  const cx = (box.left + box.right + 1) / 2;
  const cy = (box.top + box.bottom + 1) / 2 - LIFT_FRACTION * side;
  const offset = () => (rng.nextFloat() * 2 - 1) * PAN_FRACTION;
  const [ax, ay, bx, by] = [offset(), offset(), offset(), offset()];
  const views: View[] = [];
  for (let f = 0; f < frames; f++) {
    const t = frames === 1 ? 0.5 : f / (frames - 1);
    const e = t * t * (3 - 2 * t); // smoothstep: the camera eases in and out
    const window = side * (ZOOM_FROM + (ZOOM_TO - ZOOM_FROM) * e);
    const wx = cx + window * (ax + (bx - ax) * e);
    const wy = cy + window * (ay + (by - ay) * e);
    views.push(clampView(identity.photo.image, wx, wy, window, sizePx));
  }
  return views;
}

/** The still view the swaps take a source face from: the face centred in a window of 2 box sides. */
export function portraitView(identity: { photo: { image: RgbImage }; box: Identity['box'] }, sizePx: number): View {
  const { box } = identity;
  const side = Math.max(box.right - box.left, box.bottom - box.top) + 1;
  const cx = (box.left + box.right + 1) / 2;
  const cy = (box.top + box.bottom + 1) / 2 - LIFT_FRACTION * side;
  return clampView(identity.photo.image, cx, cy, 2 * side, sizePx);
}

/** A square window centred at (cx, cy), shrunk to fit the photo and then slid inside it. */
function clampView(photo: RgbImage, cx: number, cy: number, window: number, sizePx: number): View {
  const side = Math.min(window, photo.widthPx, photo.heightPx);
  const x0 = Math.min(Math.max(cx - side / 2, 0), photo.widthPx - side);
  const y0 = Math.min(Math.max(cy - side / 2, 0), photo.heightPx - side);
  return { x0, y0, scale: side / sizePx };
}

/** A photo point (DLIB convention) in the view's output pixels (same convention). */
export function viewPoint(view: View, [x, y]: Point): Point {
  return [(x + 0.5 - view.x0) / view.scale - 0.5, (y + 0.5 - view.y0) / view.scale - 0.5];
}

/**
 * Renders a view: [H, W, 3] photo -> [heightPx, widthPx, 3], separable resampling with a triangle (linear)
 * kernel stretched by the scale when shrinking, so zoomed-out frames are low-passed instead of aliased. Plain
 * float arithmetic: identical on every machine, unlike a SIMD image library.
 */
export function renderView(photo: RgbImage, view: View, widthPx: number, heightPx: number = widthPx): RgbImage {
  return resampleSeparable(photo, kernelTaps(view.x0, view.scale, widthPx, photo.widthPx), kernelTaps(view.y0, view.scale, heightPx, photo.heightPx));
}

/**
 * The frames of a camera path. The part of the photo the path covers is first rendered once at the finest
 * scale any frame needs; frames are then drawn from that small image, so each frame resamples at most
 * (ZOOM_FROM / ZOOM_TO)x instead of the photo's full size ratio. Both steps are exact views, so the
 * landmarks of frame f are still viewPoint(views[f], ...) of the photo's.
 */
export function* renderPath(photo: RgbImage, views: readonly View[], sizePx: number): Generator<RgbImage> {
  if (views.length === 0) return;
  const scale = Math.min(...views.map((v) => v.scale));
  const x0 = Math.min(...views.map((v) => v.x0));
  const y0 = Math.min(...views.map((v) => v.y0));
  const x1 = Math.max(...views.map((v) => v.x0 + sizePx * v.scale));
  const y1 = Math.max(...views.map((v) => v.y0 + sizePx * v.scale));
  const working = renderView(photo, { x0, y0, scale }, Math.ceil((x1 - x0) / scale), Math.ceil((y1 - y0) / scale));
  for (const v of views) {
    yield renderView(working, { x0: (v.x0 - x0) / scale, y0: (v.y0 - y0) / scale, scale: v.scale / scale }, sizePx);
  }
}

/** Normalised triangle-kernel taps of the 1-D map output u -> source position start + (u + 0.5) * scale. */
function kernelTaps(start: number, scale: number, outLength: number, inLength: number): AxisTaps {
  const support = Math.max(1, scale);
  const first = new Int32Array(outLength);
  const count = new Int32Array(outLength);
  const offset = new Int32Array(outLength);
  const weights: number[] = [];
  for (let u = 0; u < outLength; u++) {
    const centre = start + (u + 0.5) * scale - 0.5; // in source pixel-centre coordinates
    let lo = Math.max(0, Math.ceil(centre - support));
    let hi = Math.min(inLength - 1, Math.floor(centre + support));
    if (hi < lo) lo = hi = Math.min(inLength - 1, Math.max(0, Math.round(centre)));
    const ws: number[] = [];
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const w = Math.max(0, 1 - Math.abs(i - centre) / support);
      ws.push(w);
      sum += w;
    }
    if (sum === 0) {
      ws.fill(0);
      ws[0] = 1;
      sum = 1;
    }
    first[u] = lo;
    count[u] = hi - lo + 1;
    offset[u] = weights.length;
    for (const w of ws) weights.push(w / sum);
  }
  return { first, count, offset, weight: Float64Array.from(weights) };
}
