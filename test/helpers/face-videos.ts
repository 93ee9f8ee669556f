import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../infra/paths';

export const PHOTOS_DIR = path.join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'demo');

/** A short H.264 clip of a real photo (scaled to widthPx), so DLIB finds its faces in every frame. */
export function photoClip(file: string, photo: string, opts: { seconds?: number; fps?: number; widthPx?: number } = {}): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-framerate', String(opts.fps ?? 10), '-t', String(opts.seconds ?? 1),
    '-i', path.join(PHOTOS_DIR, photo), '-vf', `scale=${opts.widthPx ?? 640}:-2`, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', file,
  ]);
  return file;
}

/** A clip with no face in it (ffmpeg's test pattern). */
export function facelessClip(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', file]);
  return file;
}
