import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Writes a small real H.264 clip with ffmpeg's test source; returns its path. */
export function makeClip(dir: string, name: string, opts: { seconds?: number; fps?: number; size?: string } = {}): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${opts.size ?? '96x64'}:rate=${opts.fps ?? 25}`, '-t', String(opts.seconds ?? 1), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', file]);
  return file;
}
