/**
 * Typed access to the DLIB addon (native/). One HOG detector and one 68-point shape predictor per
 * process, loaded lazily on the libuv pool; every call here is off the event loop.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FsfmError, InvalidConfig, InvalidPath } from '../errors.js';
import type { RgbImage } from './image.js';

/** A DLIB rectangle in frame pixels; right/bottom are inclusive, edges may lie outside the frame. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** Detector confidence (present on detections); the detector keeps boxes scoring > 0. */
  score?: number;
}
export type DetectedBox = Box & { score: number };
/** [x, y] in pixels, integer pixel coordinates at pixel centres (DLIB's convention). */
export type Point = [number, number];
export interface DetectedFace {
  box: DetectedBox;
  /** 68 iBUG points in frame pixels. */
  landmarks: Point[];
}

export interface DlibInfo {
  predictorPath: string;
  predictorLoaded: boolean;
  detectorLoaded: boolean;
  /** Detector copies made so far: one per concurrently running worker (see native/src/models.h). */
  detectorCopies: number;
  /** Instruction set the loaded build was compiled for: 'avx2' or 'sse2'. */
  simd: string;
}

interface DlibAddon {
  detect(rgb: Uint8Array, widthPx: number, heightPx: number, upsample: number): Promise<DetectedBox[]>;
  landmarks(rgb: Uint8Array, widthPx: number, heightPx: number, box: Box): Promise<Point[]>;
  detectAndLandmark(rgb: Uint8Array, widthPx: number, heightPx: number, upsample: number): Promise<DetectedFace[]>;
  preload(options?: { predictor?: boolean }): Promise<void>;
  configure(options: { predictorPath?: string }): void;
  info(): DlibInfo;
  defaultPredictorPath: string;
  simd: string;
  /** What the build's arithmetic equals: 'reference' or 'avx2-fma' (native/binding.gyp). */
  arithmetic: string;
  /** DLIB version the addon was compiled against, e.g. "19.24.0". */
  dlibVersion: string;
  /**
   * The linear algebra of dlib's templates in the addon: 'dlib', its own, as the reference's Python dlib (through
   * Debian's LAPACK, landmarks moved by a pixel on rare frames; native/src/dlib_config.h). Absent in older builds.
   */
  linalg?: string;
}

/**
 * The DLIB builds, named by their arithmetic. 'reference' gives the boxes, scores and landmarks of dlib's reference
 * build (the Python dlib the FSFM reference runs): the portable build, or on a CPU with AVX2 the AVX2 build compiled
 * without FMA contraction, checked bit-identical to it (native/README.md). 'avx2-fma' contracts multiply-adds into
 * FMA: faster, but boxes move by a pixel or more and landmarks by several on some frames, so it is opt-in only.
 */
export const DLIB_BUILDS = ['reference', 'avx2-fma'] as const;
export type DlibBuild = (typeof DLIB_BUILDS)[number];

const BUILD_DIR = path.resolve(__dirname, '../../native/build/Release');

function cpuFlags(): string[] {
  if (process.arch !== 'x64' || process.platform !== 'linux') return [];
  try {
    return /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
  } catch {
    return [];
  }
}

/**
 * The addon files that implement `build`, best first. FSFM_DLIB_PORTABLE=1 keeps the reference build on the
 * portable file (the AVX2 one computes the same, faster; tests compare the two).
 */
function addonCandidates(buildDir: string, build: DlibBuild): string[] {
  const file = (name: string) => path.join(buildDir, name);
  const flags = cpuFlags();
  if (build === 'avx2-fma') return flags.includes('avx2') && flags.includes('fma') ? [file('fsfm_dlib_avx2fma.node')] : [];
  const portable = file('fsfm_dlib.node');
  if (process.env.FSFM_DLIB_PORTABLE === '1' || !flags.includes('avx2')) return [portable];
  return [file('fsfm_dlib_avx2.node'), portable];
}

/** The addon file to load for `build`; throws FsfmError telling how to build it (or that the CPU lacks it). */
export function findDlibAddon(buildDir: string = BUILD_DIR, build: DlibBuild = 'reference'): string {
  const candidates = addonCandidates(buildDir, build);
  if (candidates.length === 0) {
    throw new InvalidConfig(`face.dlib '${build}' needs a CPU with AVX2 and FMA; this one lacks them (use 'reference')`);
  }
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) {
    throw new FsfmError(
      `the DLIB addon is not built (looked for ${candidates.join(', ')}): run make deps / native/build.sh`,
    );
  }
  return file;
}

const addons = new Map<DlibBuild, DlibAddon>();

/** Loads the addon of `build` once per process (see findDlibAddon); each build keeps its own models. */
export function loadDlib(build: DlibBuild = 'reference'): DlibAddon {
  const loaded = addons.get(build);
  if (loaded) return loaded;
  const file = findDlibAddon(BUILD_DIR, build);
  let addon: DlibAddon;
  try {
    addon = createRequire(__filename)(file) as DlibAddon;
  } catch (cause) {
    throw new FsfmError(`the DLIB addon ${file} does not load (rebuild it: native/build.sh --force): ${String(cause)}`, {
      cause,
    });
  }
  if (addon.arithmetic !== build) {
    throw new FsfmError(
      `the DLIB addon ${file} computes '${addon.arithmetic ?? 'unknown (an old build)'}', not '${build}': rebuild it (native/build.sh --force)`,
    );
  }
  if (addon.linalg !== 'dlib') {
    throw new FsfmError(
      `the DLIB addon ${file} is an old build (its landmarks go through LAPACK, not dlib's own linear algebra as the reference's): rebuild it (native/build.sh --force)`,
    );
  }
  addons.set(build, addon);
  return addon;
}

/**
 * What a build's outputs depend on, for cache keys: its arithmetic, instruction set and the DLIB version it was
 * compiled against and its linear algebra, e.g. "reference/avx2/dlib-19.24.0/linalg-dlib". Two builds that compute
 * differently never share a key (the portable 'reference' build gives the same boxes and landmarks, but its SSE2 sums can move a detector score
 * in the 7th digit, and scores are stored).
 */
export function dlibBuildId(build: DlibBuild = 'reference'): string {
  const addon = loadDlib(build);
  return `${addon.arithmetic}/${addon.simd}/dlib-${addon.dlibVersion}/linalg-${addon.linalg}`;
}

/** Model load failures come back as plain Errors from C++; give them a type. */
function typed(err: unknown): unknown {
  if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError)) {
    if (/shape predictor/.test(err.message)) return new InvalidPath(err.message, { cause: err });
    if (!(err instanceof FsfmError)) return new FsfmError(`DLIB: ${err.message}`, { cause: err });
  }
  return err;
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw typed(err);
  }
}

/** Sets the predictor file; a different path after the predictor has loaded throws (one per process). */
export function configureDlib(options: { predictorPath?: string }, build: DlibBuild = 'reference'): void {
  try {
    loadDlib(build).configure(options);
  } catch (err) {
    throw typed(err);
  }
}

/** Builds the detector and (unless predictor: false) loads the predictor now instead of on first use. */
export function preloadDlib(
  options: { predictorPath?: string; predictor?: boolean; build?: DlibBuild } = {},
): Promise<void> {
  return call(async () => {
    if (options.predictorPath !== undefined) configureDlib({ predictorPath: options.predictorPath }, options.build);
    await loadDlib(options.build).preload({ predictor: options.predictor ?? true });
  });
}

export function dlibInfo(build: DlibBuild = 'reference'): DlibInfo {
  return loadDlib(build).info();
}

/** Faces in a frame, highest score first. The buffer must not change until the promise settles. */
export function detectFaces(image: RgbImage, upsample: number, build: DlibBuild = 'reference'): Promise<DetectedBox[]> {
  return call(async () => loadDlib(build).detect(image.rgb, image.widthPx, image.heightPx, upsample));
}

/** The 68 landmarks of the face in `box`, in frame pixels. */
export function detectLandmarks(image: RgbImage, box: Box, build: DlibBuild = 'reference'): Promise<Point[]> {
  return call(async () => loadDlib(build).landmarks(image.rgb, image.widthPx, image.heightPx, box));
}

/** Detection plus landmarks of every face in one worker call (the frame crosses into C++ once). */
export function detectFacesWithLandmarks(
  image: RgbImage,
  upsample: number,
  build: DlibBuild = 'reference',
): Promise<DetectedFace[]> {
  return call(async () => loadDlib(build).detectAndLandmark(image.rgb, image.widthPx, image.heightPx, upsample));
}
