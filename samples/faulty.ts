/** Deliberately bad inputs for the prepare stage's per-video failure reporting: a corrupt file, a face-less clip. */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { FsfmError } from '../lib/errors.js';
import { toolPath } from '../lib/media/index.js';
import { x264Args, type EncoderOptions } from './encode.js';

export interface FaultyVideos {
  /** The first 40% of an MP4 whose index (moov) sits at the end: no decoder can open it. */
  corrupt: string;
  /** ffmpeg's testsrc2 pattern: a valid H.264 clip in which DLIB finds no face. */
  noFace: string;
}

/** Writes `<dir>/<names.corrupt>` and `<dir>/<names.noFace>` (default corrupt.mp4, no-face.mp4). */
export async function writeFaultyVideos(
  dir: string,
  options: EncoderOptions & { frames: number },
  names: { corrupt?: string; noFace?: string } = {},
): Promise<FaultyVideos> {
  await mkdir(dir, { recursive: true });
  const noFace = path.join(dir, names.noFace ?? 'no-face.mp4');
  const corrupt = path.join(dir, names.corrupt ?? 'corrupt.mp4');
  const partial = `${noFace}.partial`;
  const { sizePx, fps, frames } = options;
  const args = [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${sizePx}x${sizePx}:rate=${fps}`, '-frames:v', String(frames),
    ...x264Args(options), '-f', 'mp4', partial,
  ];
  try {
    await promisify(execFile)(toolPath('ffmpeg'), args);
  } catch (err) {
    throw new FsfmError(`ffmpeg could not write the face-less clip ${noFace}: ${(err as Error).message}`, { cause: err });
  }
  await rename(partial, noFace);
  const bytes = await readFile(noFace);
  await writeFile(corrupt, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
  return { corrupt, noFace };
}
