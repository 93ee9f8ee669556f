import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A few real H.264 clips from ffmpeg's test sources, plus one damaged file to show per-item failure reporting. */
export function makeDemoClips(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const clips: Array<[string, string, number]> = [
    ['testsrc2-25fps.mp4', 'testsrc2=size=320x240:rate=25', 4],
    ['mandelbrot-30fps.mp4', 'mandelbrot=size=320x240:rate=30', 3],
    ['smpte-24fps.mp4', 'smptebars=size=320x240:rate=24', 2],
  ];
  for (const [name, src, seconds] of clips) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) continue;
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', src, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', file]);
  }
  const damaged = path.join(dir, 'damaged.mp4');
  if (!fs.existsSync(damaged)) fs.writeFileSync(damaged, fs.readFileSync(path.join(dir, clips[0][0])).subarray(0, 4096));
  return [...clips.map((c) => c[0]), 'damaged.mp4'];
}
