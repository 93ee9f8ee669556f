/**
 * `sample-dataset.json`: written last, it says the folder holds a complete dataset made with these parameters
 * and lists every file with its size and sha256, so a second run can check and skip instead of regenerating.
 * `sample-dataset.partial.json` marks a generation in progress (or interrupted): the folder is ours to clear.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Pair, Split } from './pairs.js';
import type { SampleMethod } from './options.js';

export const STAMP_FILE = 'sample-dataset.json';
export const PARTIAL_FILE = 'sample-dataset.partial.json';
/** Bump when the same parameters would produce different files. */
export const GENERATOR_VERSION = 2;

/** Everything the files depend on; two runs with equal params write identical files. */
export interface SampleParams {
  generatorVersion: number;
  seed: number;
  fps: number;
  seconds: number;
  framesPerVideo: number;
  sizePx: number;
  /** Requested identity count, null = all the photos hold. */
  identities: number | null;
  methods: SampleMethod[];
  compression: 'c23' | 'c40';
  crf: number;
  extras: boolean;
  /** Splits whose videos were rendered, null = all. */
  splits: Array<'train' | 'val' | 'test'> | null;
  /** sha256 of each source photo. */
  photos: Record<string, string>;
}

export interface StampVideo {
  /** Relative to the dataset root, '/'-separated. */
  path: string;
  label: 'real' | 'fake';
  /** Real: the identity; fake: target_source. */
  id: string;
  method?: SampleMethod;
  /** Set on fakes. */
  target?: string;
  source?: string;
  frames: number;
  /** Extras only: why this video is there ('corrupt' or 'no-face'). */
  fault?: 'corrupt' | 'no-face';
}

export interface StampIdentity {
  id: string;
  photo: string;
  /** DLIB box in photo pixels. */
  box: { left: number; top: number; right: number; bottom: number };
}

export interface SampleDatasetStamp {
  params: SampleParams;
  identities: StampIdentity[];
  splits: Record<Split, Pair[]>;
  videos: StampVideo[];
  /** Every file but the stamp, relative path -> size and sha256. */
  files: Record<string, { bytes: number; sha256: string }>;
}

export async function fileDigest(file: string): Promise<{ bytes: number; sha256: string }> {
  const bytes = await readFile(file);
  return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The stamp in `root` when it exists, parses, has exactly `params` and every file it lists is intact. */
export async function readValidStamp(root: string, params: SampleParams): Promise<SampleDatasetStamp | undefined> {
  let stamp: SampleDatasetStamp;
  try {
    stamp = JSON.parse(await readFile(path.join(root, STAMP_FILE), 'utf8')) as SampleDatasetStamp;
  } catch {
    return undefined;
  }
  if (JSON.stringify(stamp.params) !== JSON.stringify(params) || typeof stamp.files !== 'object' || !stamp.files) {
    return undefined;
  }
  for (const [rel, want] of Object.entries(stamp.files)) {
    const file = path.join(root, rel);
    const size = await stat(file).then((s) => s.size, () => -1);
    if (size !== want.bytes) return undefined;
    if ((await fileDigest(file)).sha256 !== want.sha256) return undefined;
  }
  return stamp;
}
