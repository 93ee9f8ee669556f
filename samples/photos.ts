/** The source photos and the identities found in them (one identity per detected face). */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidPath, NoFaceFound } from '../lib/errors.js';
import { decodeImage, detectFacesWithLandmarks, type DetectedBox, type Point, type RgbImage } from '../lib/faces/index.js';
import { portraitView, renderView, type View } from './camera.js';
import { MIN_FACE_PX } from './options.js';

export const PHOTO_NAMES = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];

/** face-api's demo folder: real photos with several people each, installed with the project's dependencies. */
export function defaultPhotosDir(): string {
  return path.resolve(__dirname, '../node_modules/@vladmandic/face-api/demo');
}

export interface Photo {
  name: string;
  image: RgbImage;
  sha256: string;
}

export interface Identity {
  /** FF++-style id: '000', '001', ... */
  id: string;
  photo: Photo;
  /** DLIB box in photo pixels (upsample 1). */
  box: DetectedBox;
  /** 68 landmarks in photo pixels (refined on an upright copy of the face: see uprightLandmarks). */
  landmarks: Point[];
  /** Roll (degrees) of the copy the landmarks come from: how far the head was tilted, roughly. */
  rollDeg: number;
}

/** sha256 of each photo file, by name (the stamp records them so changed photos mean a new dataset). */
export function photoHashes(photosDir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const name of PHOTO_NAMES) {
    const file = path.join(photosDir, name);
    if (!existsSync(file)) {
      throw new InvalidPath(`sample photo ${file} is missing (install dependencies: make deps, or pass photosDir)`);
    }
    hashes[name] = createHash('sha256').update(readFileSync(file)).digest('hex');
  }
  return hashes;
}

/**
 * Every face DLIB finds at upsample 1 in the photos, as identities numbered in photo order and, within a
 * photo, left to right (DLIB returns faces by score, which is not a stable order under small changes).
 * Photos are searched two at a time (DLIB runs on the libuv pool), and only until `limit` faces are found.
 */
export async function findIdentities(photosDir: string, limit?: number): Promise<Identity[]> {
  const hashes = photoHashes(photosDir);
  // The same photos give the same faces: a process that builds several sets (the demo's c23 and c40) detects once.
  const key = JSON.stringify([path.resolve(photosDir), hashes, limit ?? null]);
  let found = identityCache.get(key);
  if (!found) {
    found = detectIdentities(photosDir, hashes, limit);
    identityCache.set(key, found);
    found.catch(() => identityCache.delete(key));
  }
  return found;
}

const identityCache = new Map<string, Promise<Identity[]>>();

async function detectIdentities(photosDir: string, hashes: Record<string, string>, limit?: number): Promise<Identity[]> {
  const facesOf = async (name: string) => {
    const image = await decodeImage(path.join(photosDir, name));
    const faces = await detectFacesWithLandmarks(image, 1);
    const photo: Photo = { name, image, sha256: hashes[name] };
    const kept = faces
      .filter((f) => Math.min(f.box.right - f.box.left, f.box.bottom - f.box.top) + 1 >= MIN_FACE_PX)
      .sort((a, b) => a.box.left - b.box.left || a.box.top - b.box.top);
    const found: Omit<Identity, 'id'>[] = [];
    for (const f of kept) found.push({ photo, box: f.box, ...(await uprightLandmarks(photo.image, f.box, f.landmarks)) });
    return found;
  };
  const perPhoto: Awaited<ReturnType<typeof facesOf>>[] = [];
  for (let k = 0; k < PHOTO_NAMES.length && !(limit !== undefined && perPhoto.flat().length >= limit); k += 2) {
    perPhoto.push(...(await Promise.all(PHOTO_NAMES.slice(k, k + 2).map(facesOf))));
  }
  const all = perPhoto.flat().map((face, k) => ({ id: String(k).padStart(3, '0'), ...face }));
  if (all.length < 2) throw new NoFaceFound(`the sample photos in ${photosDir} hold ${all.length} usable faces, 2 are needed`);
  if (limit !== undefined && limit > all.length) {
    throw new NoFaceFound(`${limit} identities asked for, the sample photos hold ${all.length}`);
  }
  return all.slice(0, limit ?? all.length);
}

/** Rolls tried when refining landmarks; DLIB's frontal detector and predictor cope with about +-20 degrees. */
const ROLLS_DEG = [-45, -30, -15, 0, 15, 30, 45];
const REFINE_PX = 256;

/**
 * DLIB's shape predictor starts from an upright mean face, so on a head tilted by 30-40 degrees (several in
 * these photos) it puts eyes and mouth in the wrong places, and every swap with that face goes wrong. So the
 * face is also rendered rotated by each of ROLLS_DEG, detected and landmarked there, and the landmarks of the
 * best-scoring upright copy are rotated back into the photo. Falls back to the photo's own landmarks.
 */
async function uprightLandmarks(
  photo: RgbImage,
  box: DetectedBox,
  photoLandmarks: Point[],
): Promise<{ landmarks: Point[]; rollDeg: number }> {
  const view = portraitView({ photo: { image: photo }, box }, REFINE_PX);
  const portrait = renderView(photo, view, REFINE_PX);
  let best = { score: -Infinity, landmarks: photoLandmarks, rollDeg: 0 };
  for (const rollDeg of ROLLS_DEG) {
    const turned = rotateAboutCentre(portrait, rollDeg);
    const faces = await detectFacesWithLandmarks(turned, 0);
    const centre = REFINE_PX / 2;
    const face = faces.find((f) => f.box.left < centre && centre < f.box.right && f.box.top < centre && centre < f.box.bottom);
    if (!face || face.box.score <= best.score) continue;
    const landmarks = face.landmarks.map((p) => toPhoto(view, rotatePoint(p, -rollDeg, centre)));
    best = { score: face.box.score, landmarks, rollDeg };
  }
  return { landmarks: best.landmarks, rollDeg: best.rollDeg };
}

/** Point (DLIB convention) of an image rotated by `deg` about `centre` (continuous), back in the unrotated one. */
function rotatePoint([x, y]: Point, deg: number, centre: number): Point {
  const t = (deg * Math.PI) / 180;
  const dx = x + 0.5 - centre;
  const dy = y + 0.5 - centre;
  return [centre + Math.cos(t) * dx - Math.sin(t) * dy - 0.5, centre + Math.sin(t) * dx + Math.cos(t) * dy - 0.5];
}

function toPhoto(view: View, [u, v]: Point): Point {
  return [view.x0 + (u + 0.5) * view.scale - 0.5, view.y0 + (v + 0.5) * view.scale - 0.5];
}

/** The square image turned by `deg` (positive = clockwise on screen) about its centre; bilinear, edges clamped. */
function rotateAboutCentre(image: RgbImage, deg: number): RgbImage {
  const n = image.widthPx;
  if (deg === 0) return image;
  const out = Buffer.allocUnsafe(n * n * 3);
  const centre = n / 2;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // The output pixel shows the source point rotated back by -deg.
      const [sx, sy] = rotatePoint([x, y], -deg, centre);
      const cx = Math.min(Math.max(sx, 0), n - 1);
      const cy = Math.min(Math.max(sy, 0), n - 1);
      const x0 = Math.floor(cx);
      const y0 = Math.floor(cy);
      const x1 = Math.min(x0 + 1, n - 1);
      const y1 = Math.min(y0 + 1, n - 1);
      const fx = cx - x0;
      const fy = cy - y0;
      for (let c = 0; c < 3; c++) {
        const top = image.rgb[(y0 * n + x0) * 3 + c] * (1 - fx) + image.rgb[(y0 * n + x1) * 3 + c] * fx;
        const bottom = image.rgb[(y1 * n + x0) * 3 + c] * (1 - fx) + image.rgb[(y1 * n + x1) * 3 + c] * fx;
        out[(y * n + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { rgb: out, widthPx: n, heightPx: n };
}
