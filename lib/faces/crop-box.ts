/** The reference's face crop (FF++'s get_boundingbox, fsfm-method.md §1) and the multi-face pick policy. */
import type { Box } from './dlib.js';
import type { FacePickPolicy } from './options.js';

/** The reference enlarges the detector box by this factor. */
export const CROP_SCALE = 1.3;

/** A square of side sizePx whose top-left pixel is (x, y); inside the frame by construction. */
export interface CropSquare {
  x: number;
  y: number;
  sizePx: number;
}

/**
 * size = int(1.3 * max(w, h)), centre = ((x1+x2)//2, (y1+y2)//2), x = max(cx - size//2, 0), y alike,
 * size = min(size, W - x, H - y). Python's int() truncates and // floors; both are kept exactly,
 * including for boxes that stick out of the frame. sizePx < 1 means nothing of the box is in frame.
 */
export function cropBox(box: Box, frameWidthPx: number, frameHeightPx: number): CropSquare {
  const boxWidthPx = box.right - box.left;
  const boxHeightPx = box.bottom - box.top;
  let sizePx = Math.trunc(Math.max(boxWidthPx, boxHeightPx) * CROP_SCALE);
  const centreX = Math.floor((box.left + box.right) / 2);
  const centreY = Math.floor((box.top + box.bottom) / 2);
  const x = Math.max(centreX - Math.floor(sizePx / 2), 0);
  const y = Math.max(centreY - Math.floor(sizePx / 2), 0);
  sizePx = Math.min(sizePx, frameWidthPx - x, frameHeightPx - y);
  return { x, y, sizePx };
}

/** DLIB's own area convention: inclusive edges. */
export function boxAreaPx(box: Box): number {
  return (box.right - box.left + 1) * (box.bottom - box.top + 1);
}

/** 'first' keeps the detector's first face (highest score: the reference); 'largest' the largest box, earliest on ties. */
export function pickFace<T extends { box: Box }>(faces: readonly T[], policy: FacePickPolicy): T | undefined {
  if (faces.length === 0 || policy === 'first') return faces[0];
  let best = faces[0];
  for (const face of faces) if (boxAreaPx(face.box) > boxAreaPx(best.box)) best = face;
  return best;
}
