/**
 * Content-addressed keys of prepared videos: sha256 over the file's bytes, every option that changes the output and
 * the code version, so identical inputs map to one key on any machine and a re-run can skip finished videos.
 */
import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InvalidConfig, InvalidPath } from '../errors.js';
import { framesPerVideo, type PrepareOptions } from './options.js';

/**
 * Bump when the per-video output changes for the same inputs and options (crop, resize, PNG settings, region map
 * geometry, file layout): old keys then miss and videos are prepared again.
 */
// 2: centre-aligned resize with the reference's arithmetic, 'first' face by default, the DLIB build in the key,
// truncated videos keep their decodable frames.
export const PREPARE_CODE_VERSION = 'fsfm-prepare/2';

export interface FileDigest {
  sha256: string;
  sizeBytes: number;
}

/** Streams a file through sha256 (a long video is never held in memory). Missing/unreadable -> InvalidPath. */
export async function digestFile(file: string, signal?: AbortSignal): Promise<FileDigest> {
  const hash = crypto.createHash('sha256');
  let sizeBytes = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) {
      hash.update(chunk as Buffer);
      sizeBytes += (chunk as Buffer).length;
    }
  } catch (err) {
    signal?.throwIfAborted();
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidPath(`cannot read ${file}${code ? ` (${code})` : ''}: ${(err as Error).message}`, { cause: err });
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

// The predictor shapes every landmark and region map, so its bytes (not its path, which differs between machines)
// enter the key. Hashing its ~100 MB takes a fraction of a second, once per process and file version.
const predictorDigests = new Map<string, Promise<string>>();

export async function predictorDigest(predictorPath: string): Promise<string> {
  let info;
  try {
    info = await stat(predictorPath);
  } catch (err) {
    throw new InvalidConfig(`face.predictorPath ${predictorPath} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const id = `${predictorPath}\0${info.size}\0${info.mtimeMs}`;
  let digest = predictorDigests.get(id);
  if (!digest) {
    digest = digestFile(predictorPath).then((d) => d.sha256);
    digest.catch(() => predictorDigests.delete(id));
    predictorDigests.set(id, digest);
  }
  try {
    return await digest;
  } catch (err) {
    throw new InvalidConfig(`face.predictorPath ${predictorPath} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

/** Exactly the inputs a video's prepared output depends on; anything not here (shard size, concurrency) may change freely. */
export interface VideoKeyInputs {
  source: FileDigest;
  kind: 'video' | 'image';
  /** N requested for this video (1 for images). */
  framesRequested: number;
  upsample: number;
  pick: string;
  /** The DLIB build's arithmetic and version (lib/faces dlibBuildId): builds that compute differently never share a key. */
  dlib: string;
  faceSizePx: number;
  hair: boolean;
  predictorSha256: string;
  regionMaps: boolean;
  imageFormat: string;
}

/** N for a row: the label's frames per video; an image is one frame (or none, when its label gets 0 frames). */
export function framesForRow(options: PrepareOptions, row: { kind: 'video' | 'image'; label: 'real' | 'fake' }): number {
  const n = framesPerVideo(options, row.label);
  return row.kind === 'image' ? Math.min(n, 1) : n;
}

export function keyInputs(
  options: PrepareOptions,
  row: { kind: 'video' | 'image'; label: 'real' | 'fake' },
  source: FileDigest,
  predictorSha256: string,
  dlib: string,
): VideoKeyInputs {
  return {
    source: { sha256: source.sha256, sizeBytes: source.sizeBytes },
    kind: row.kind,
    framesRequested: framesForRow(options, row),
    upsample: options.face.upsample,
    pick: options.face.pick,
    dlib,
    faceSizePx: options.face.faceSizePx,
    hair: options.face.hair,
    predictorSha256,
    regionMaps: options.regionMaps,
    imageFormat: options.imageFormat,
  };
}

/** Hex sha256 of the canonical JSON of the inputs (fixed field order) and PREPARE_CODE_VERSION. */
export function videoKeyOf(inputs: VideoKeyInputs): string {
  const canonical = JSON.stringify([
    PREPARE_CODE_VERSION,
    inputs.source.sha256,
    inputs.source.sizeBytes,
    inputs.kind,
    inputs.framesRequested,
    inputs.upsample,
    inputs.pick,
    inputs.dlib,
    inputs.faceSizePx,
    inputs.hair,
    inputs.predictorSha256,
    inputs.regionMaps,
    inputs.imageFormat,
  ]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}
