/** Frame -> the reference's face crop (native resolution and resized) with landmarks in crop coordinates. */
import { InvalidConfig } from '../errors.js';
import { cropBox, pickFace, type CropSquare } from './crop-box.js';
import { configureDlib, detectFacesWithLandmarks, type DetectedBox, type Point } from './dlib.js';
import { assertRgb, cropSquare, resizeSquare, type RgbImage } from './image.js';
import { faceOptionsSchema, type FaceOptions, type FaceOptionsInput } from './options.js';

export interface ExtractedFace {
  /** The picked detection, frame pixels. */
  box: DetectedBox;
  /** How many faces the detector found in the frame. */
  faceCount: number;
  crop: CropSquare;
  /** The crop at frame resolution: crop.sizePx x crop.sizePx. */
  nativeFace: RgbImage;
  /** The crop resized to faceSizePx x faceSizePx (centre-aligned bicubic, the reference's arithmetic: resize.ts). */
  face: RgbImage;
  /** 68 landmarks in frame pixels. */
  frameLandmarks: Point[];
  /** The same landmarks in `face` pixel coordinates (pixel centres at integers, like DLIB's). */
  landmarks: Point[];
}

export function parseFaceOptions(options: FaceOptionsInput | FaceOptions = {}): FaceOptions {
  const parsed = faceOptionsSchema.safeParse(options);
  if (!parsed.success) throw new InvalidConfig(`invalid face options: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Maps frame points into the resized crop. A resize maps pixel centres onto pixel centres:
 * u + 0.5 = (p - x + 0.5) * faceSizePx / sizePx.
 */
export function toCropCoordinates(points: readonly Point[], crop: CropSquare, faceSizePx: number): Point[] {
  const scale = faceSizePx / crop.sizePx;
  return points.map(([px, py]) => [(px - crop.x + 0.5) * scale - 0.5, (py - crop.y + 0.5) * scale - 0.5]);
}

/**
 * Detects faces, picks one (options.pick), crops it with the reference formula and resizes it. `clock` hears the
 * milliseconds of detection (with landmarks) and of crop + resize.
 * Returns null when the frame holds no face (or the picked box lies wholly outside the frame):
 * the reference skips such frames rather than failing.
 */
export async function extractFace(
  frame: RgbImage,
  options: FaceOptionsInput | FaceOptions = {},
  clock?: (phase: 'detect' | 'resize', ms: number) => void,
): Promise<ExtractedFace | null> {
  const opts = parseFaceOptions(options);
  assertRgb(frame);
  configureDlib({ predictorPath: opts.predictorPath }, opts.dlib);
  const detectStartMs = performance.now();
  const faces = await detectFacesWithLandmarks(frame, opts.upsample, opts.dlib);
  clock?.('detect', performance.now() - detectStartMs);
  const picked = pickFace(faces, opts.pick);
  if (!picked) return null;
  const crop = cropBox(picked.box, frame.widthPx, frame.heightPx);
  if (crop.sizePx < 1) return null;
  const resizeStartMs = performance.now();
  const nativeFace = cropSquare(frame, crop);
  const face = resizeSquare(nativeFace, opts.faceSizePx);
  clock?.('resize', performance.now() - resizeStartMs);
  return {
    box: picked.box,
    faceCount: faces.length,
    crop,
    nativeFace,
    face,
    frameLandmarks: picked.landmarks,
    landmarks: toCropCoordinates(picked.landmarks, crop, opts.faceSizePx),
  };
}
