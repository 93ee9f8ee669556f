/**
 * Landmark-based face swaps, the classic way (no learning): warp the source face onto the target's 68
 * landmarks (piecewise-affinely over a Delaunay triangulation, or as a whole by a fitted similarity), match its
 * colours to the target's face inside the mask (Reinhard mean/std transfer), and alpha-blend it in through a
 * feathered convex-hull mask. The two methods differ so that, like FF++'s Deepfakes and FaceSwap, they leave
 * different traces: warp, mask extent, seam width and colour space.
 */
import type { Point, RgbImage } from '../lib/faces/index.js';
import { transferColour, type ColourSpace } from './colour.js';
import { delaunay, type Triangle } from './delaunay.js';
import { featheredHullMask } from './mask.js';
import type { SampleMethod } from './options.js';
import { applyAffine, fitAffine, fitSimilarity, warpAffine, warpTriangles, type Warped } from './warp.js';

interface SwapStyle {
  /**
   * piecewise: the source face is bent onto all 68 target landmarks (takes the target's face shape, and
   * stretches features when poses differ); similarity: the source is only rotated, scaled and moved onto them
   * (keeps its own shape), the swapped region being where both faces' hulls overlap; affine: likewise with a
   * least-squares affine map (may also squeeze one axis).
   */
  warp: 'piecewise' | 'similarity' | 'affine';
  /** Landmarks whose hull is the swapped region. */
  hullPoints: readonly number[];
  /** Hull erosion (and seam width) as a fraction of the jaw width (landmark 0 to 16). */
  erodeFraction: number;
  colourSpace: ColourSpace;
  /**
   * Resolution mismatch: the pasted face is rendered at this fraction of the frame's resolution and enlarged
   * back (box-averaged down, bilinear up), as a deepfake's generator outputs a 64–256 px face that is resized
   * into a larger frame. 1 = no loss.
   */
  renderScale: number;
  /**
   * Colour mismatch: the share of the colour transfer kept (1 = full Reinhard match to the target's face, 0 =
   * the source's own colours), as real swaps rarely match skin tone and lighting exactly.
   */
  colourMatch: number;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

export const SWAP_STYLES: Record<SampleMethod, SwapStyle> = {
  // The whole landmarked face (jaw line and brows) with a wide seam and a perceptual colour match.
  Deepfakes: { warp: 'piecewise', hullPoints: range(0, 67), erodeFraction: 0.08, colourSpace: 'lab', renderScale: 0.35, colourMatch: 0.7 },
  // Only brows, eyes, nose and mouth (graphics-based FaceSwap also pastes the inner face), aligned as a whole
  // on them, with a narrow seam and a per-channel RGB match.
  // A graphics model's texture is low resolution too, and its colour correction is rougher.
  FaceSwap: { warp: 'similarity', hullPoints: range(17, 67), erodeFraction: 0.03, colourSpace: 'rgb', renderScale: 0.5, colourMatch: 0.5 },
};

/** A source face ready to be pasted many times: its image, landmarks in that image, and the triangles. */
export interface SwapSource {
  image: RgbImage;
  landmarks: Point[];
  /** Triangulation shared by source and target (triangulated on the target's photo landmarks). */
  triangles: Triangle[];
}

/**
 * Prepares `image` (with its landmarks) as the face to paste onto the target. A source whose head turns the
 * other way than the target's is mirrored first (flipped, landmark ids swapped left/right): a 2-D warp cannot
 * turn a head, and pasting a face turned the wrong way stretches one half of it over the other.
 * The triangulation is made on the target's landmarks, whose shape the warped face must fill without folds.
 */
export function swapSource(image: RgbImage, landmarks: Point[], targetLandmarks: readonly Point[]): SwapSource {
  const triangles = delaunay(targetLandmarks);
  if (Math.sign(yawOf(landmarks)) === Math.sign(yawOf(targetLandmarks))) return { image, landmarks, triangles };
  const mirrored = mirrorImage(image);
  const flipped = MIRROR_IDS.map((i): Point => [image.widthPx - 1 - landmarks[i][0], landmarks[i][1]]);
  return { image: mirrored, landmarks: flipped, triangles };
}

/**
 * Which way the head turns, from where the nose tip (30) sits between the jaw's ends (0, 16): positive when it
 * is nearer the image-right end. Only the sign is used.
 */
export function yawOf(landmarks: readonly Point[]): number {
  const d = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  return d(landmarks[30], landmarks[0]) - d(landmarks[30], landmarks[16]);
}

/** iBUG 68-point ids under a left-right flip: MIRROR_IDS[i] is the point that lands on i. */
export const MIRROR_IDS: readonly number[] = (() => {
  const pairs: [number, number][] = [
    ...range(0, 7).map((i): [number, number] => [i, 16 - i]),
    ...range(17, 21).map((i): [number, number] => [i, 43 - i]),
    [31, 35], [32, 34],
    [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
    [48, 54], [49, 53], [50, 52], [55, 59], [56, 58],
    [60, 64], [61, 63], [65, 67],
  ];
  const ids = range(0, 67);
  for (const [a, b] of pairs) {
    ids[a] = b;
    ids[b] = a;
  }
  return ids;
})();

function mirrorImage(image: RgbImage): RgbImage {
  const { widthPx: w, heightPx: h, rgb } = image;
  const out = Buffer.allocUnsafe(rgb.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) rgb.copy(out, (y * w + x) * 3, (y * w + w - 1 - x) * 3, (y * w + w - x) * 3);
  }
  return { rgb: out, widthPx: w, heightPx: h };
}

/** frame (target, [S, S, 3]) with `source`'s face swapped onto the face at `landmarks` (frame pixels). */
export function swapFace(frame: RgbImage, landmarks: readonly Point[], source: SwapSource, method: SampleMethod): RgbImage {
  return swapFaces(frame, landmarks, source, [method])[0];
}

/** One swapped frame per method; the warp, which all methods share, is done once. */
export function swapFaces(
  frame: RgbImage,
  landmarks: readonly Point[],
  source: SwapSource,
  methods: readonly SampleMethod[],
): RgbImage[] {
  const sizePx = frame.widthPx;
  const jawPx = Math.hypot(landmarks[16][0] - landmarks[0][0], landmarks[16][1] - landmarks[0][1]);
  let bent: Warped | undefined;
  return methods.map((method) => {
    const style = SWAP_STYLES[method];
    const hullOf = (points: readonly Point[]) =>
      featheredHullMask(style.hullPoints.map((i) => points[i]), sizePx, style.erodeFraction * jawPx);
    let warped: Warped;
    let alpha: Float32Array;
    if (style.warp === 'piecewise') {
      bent ??= warpTriangles(source.image, source.landmarks, landmarks, source.triangles, sizePx);
      warped = bent;
      alpha = hullOf(landmarks);
    } else {
      const fitter = style.warp === 'affine' ? fitAffine : fitSimilarity;
      const fit = fitter(
        style.hullPoints.map((i) => source.landmarks[i]),
        style.hullPoints.map((i) => landmarks[i]),
      );
      alpha = hullOf(landmarks);
      const own = hullOf(source.landmarks.map((p) => applyAffine(fit, p)));
      for (let i = 0; i < alpha.length; i++) alpha[i] = Math.min(alpha[i], own[i]);
      warped = warpAffine(source.image, fit, sizePx, alpha);
    }
    const blended = new Uint8Array(alpha.length);
    const core = new Uint8Array(alpha.length);
    for (let i = 0; i < alpha.length; i++) {
      if (!warped.covered[i] || alpha[i] <= 0) continue;
      blended[i] = 1;
      core[i] = alpha[i] > 0.5 ? 1 : 0;
    }
    // The piecewise warp is shared between methods; recolour a copy, keeping `colourMatch` of the transfer.
    const own = Float32Array.from(warped.rgb);
    const face = Float32Array.from(warped.rgb);
    transferColour(face, frame.rgb, core, blended, style.colourSpace);
    const m = style.colourMatch;
    for (let i = 0; i < face.length; i++) face[i] = m * face[i] + (1 - m) * own[i];
    // The generator's output: the face over the target frame, at its lower resolution.
    for (let i = 0; i < alpha.length; i++) {
      if (warped.covered[i]) continue;
      for (let c = 0; c < 3; c++) face[i * 3 + c] = frame.rgb[i * 3 + c];
    }
    if (style.renderScale < 1) lowerResolution(face, sizePx, style.renderScale);
    const out = Buffer.from(frame.rgb);
    for (let i = 0; i < alpha.length; i++) {
      if (!blended[i]) continue;
      const a = alpha[i];
      for (let c = 0; c < 3; c++) {
        const o = i * 3 + c;
        out[o] = Math.round(a * face[o] + (1 - a) * frame.rgb[o]);
      }
    }
    return { rgb: out, widthPx: sizePx, heightPx: frame.heightPx };
  });
}

/**
 * `rgb` ([S, S, 3] float) box-averaged down to round(S · scale) px and enlarged back bilinearly (pixel centres
 * aligned), in place: what a face rendered at that size and resized into the frame looks like.
 */
export function lowerResolution(rgb: Float32Array, sizePx: number, scale: number): void {
  const s = Math.max(2, Math.round(sizePx * scale));
  const small = new Float32Array(s * s * 3);
  const count = new Float32Array(s * s);
  for (let y = 0; y < sizePx; y++) {
    const sy = Math.min(s - 1, Math.floor((y * s) / sizePx));
    for (let x = 0; x < sizePx; x++) {
      const sx = Math.min(s - 1, Math.floor((x * s) / sizePx));
      const q = sy * s + sx;
      count[q]++;
      for (let c = 0; c < 3; c++) small[q * 3 + c] += rgb[(y * sizePx + x) * 3 + c];
    }
  }
  for (let q = 0; q < s * s; q++) for (let c = 0; c < 3; c++) small[q * 3 + c] /= Math.max(1, count[q]);
  const ratio = s / sizePx;
  for (let y = 0; y < sizePx; y++) {
    const fy = Math.min(s - 1, Math.max(0, (y + 0.5) * ratio - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(s - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < sizePx; x++) {
      const fx = Math.min(s - 1, Math.max(0, (x + 0.5) * ratio - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(s - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = small[(y0 * s + x0) * 3 + c] * (1 - wx) + small[(y0 * s + x1) * 3 + c] * wx;
        const b = small[(y1 * s + x0) * 3 + c] * (1 - wx) + small[(y1 * s + x1) * 3 + c] * wx;
        rgb[(y * sizePx + x) * 3 + c] = a * (1 - wy) + b * wy;
      }
    }
  }
}
