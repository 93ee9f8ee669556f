/**
 * Typed access to the DLIB addon (native/). One HOG detector and one 68-point shape predictor per
 * process, loaded lazily on the libuv pool; every call here is off the event loop.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FsfmError, InvalidPath } from '../errors.js';
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
}

const BUILD_DIR = path.resolve(__dirname, '../../native/build/Release');

function cpuHasAvx2AndFma(): boolean {
  if (process.arch !== 'x64' || process.platform !== 'linux') return false;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
    return flags.includes('avx2') && flags.includes('fma');
  } catch {
    return false;
  }
}

/** The builds to try, best first: FSFM_DLIB_VARIANT=baseline|avx2 overrides the CPU check. */
function addonCandidates(buildDir: string): string[] {
  const baseline = path.join(buildDir, 'fsfm_dlib.node');
  const avx2 = path.join(buildDir, 'fsfm_dlib_avx2.node');
  const variant = process.env.FSFM_DLIB_VARIANT;
  if (variant === 'baseline') return [baseline];
  if (variant === 'avx2') return [avx2];
  return cpuHasAvx2AndFma() ? [avx2, baseline] : [baseline];
}

/** The addon file to load from buildDir; throws FsfmError telling how to build it when none is there. */
export function findDlibAddon(buildDir: string = BUILD_DIR): string {
  const candidates = addonCandidates(buildDir);
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) {
    throw new FsfmError(
      `the DLIB addon is not built (looked for ${candidates.join(', ')}): run make deps / native/build.sh`,
    );
  }
  return file;
}

let addon: DlibAddon | undefined;

/** Loads the addon once (see findDlibAddon). */
export function loadDlib(): DlibAddon {
  if (addon) return addon;
  const file = findDlibAddon();
  try {
    addon = createRequire(__filename)(file) as DlibAddon;
  } catch (cause) {
    throw new FsfmError(`the DLIB addon ${file} does not load (rebuild it: native/build.sh --force): ${String(cause)}`, {
      cause,
    });
  }
  return addon;
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
export function configureDlib(options: { predictorPath?: string }): void {
  try {
    loadDlib().configure(options);
  } catch (err) {
    throw typed(err);
  }
}

/** Builds the detector and (unless predictor: false) loads the predictor now instead of on first use. */
export function preloadDlib(options: { predictorPath?: string; predictor?: boolean } = {}): Promise<void> {
  return call(async () => {
    if (options.predictorPath !== undefined) configureDlib({ predictorPath: options.predictorPath });
    await loadDlib().preload({ predictor: options.predictor ?? true });
  });
}

export function dlibInfo(): DlibInfo {
  return loadDlib().info();
}

/** Faces in a frame, highest score first. The buffer must not change until the promise settles. */
export function detectFaces(image: RgbImage, upsample: number): Promise<DetectedBox[]> {
  return call(async () => loadDlib().detect(image.rgb, image.widthPx, image.heightPx, upsample));
}

/** The 68 landmarks of the face in `box`, in frame pixels. */
export function detectLandmarks(image: RgbImage, box: Box): Promise<Point[]> {
  return call(async () => loadDlib().landmarks(image.rgb, image.widthPx, image.heightPx, box));
}

/** Detection plus landmarks of every face in one worker call (the frame crosses into C++ once). */
export function detectFacesWithLandmarks(image: RgbImage, upsample: number): Promise<DetectedFace[]> {
  return call(async () => loadDlib().detectAndLandmark(image.rgb, image.widthPx, image.heightPx, upsample));
}
