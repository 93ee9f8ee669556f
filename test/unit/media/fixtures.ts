/** Small test videos generated with ffmpeg into a temp dir (nothing is downloaded; sizes stay tiny). */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface VideoFixtures {
  dir: string;
  /** path → the frame count T it was made with */
  videos: Record<'t1' | 't7' | 't50' | 't131' | 'vfr' | 'rotated', { path: string; frames: number }>;
  long: { path: string; frames: number };
  corrupt: Record<'random' | 'truncatedMoovLast' | 'truncatedFaststart' | 'text' | 'image', string>;
  cleanup(): Promise<void>;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args]);
}

// testsrc2 alone repeats frames at tiny sizes; the geq blue channel depends on the frame number N, so
// neighbouring frames always differ and an off-by-one index shows up as a byte mismatch.
const src = (size: string, rate: number, frames: number) => [
  '-f', 'lavfi',
  '-i',
  `testsrc2=s=${size}:r=${rate},format=rgb24,` +
    `geq=r='r(X\\,Y)':g='g(X\\,Y)':b='mod(N*37+X*3\\,256)',trim=end_frame=${frames}`,
];
const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];

export async function makeVideoFixtures(): Promise<VideoFixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'fsfm-media-test-'));
  const p = (name: string) => join(dir, name);
  await Promise.all([
    ffmpeg([...src('48x32', 25, 1), ...x264, p('t1.mp4')]),
    // MPEG-4 part 2 with B-frames in AVI: another codec and container.
    ffmpeg([...src('48x32', 25, 7), '-c:v', 'mpeg4', '-bf', '2', '-q:v', '4', p('t7.avi')]),
    // H.264 with B-frames and short GOPs: decode order differs from presentation order.
    ffmpeg([...src('48x32', 25, 50), ...x264, '-bf', '3', '-g', '12', p('t50.mp4')]),
    ffmpeg([...src('48x32', 30, 131), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', p('t131.webm')]),
    // Variable frame rate: keep frames 0-19, then every 4th of 100, with their original timestamps.
    ffmpeg([
      ...src('48x32', 25, 100), '-vf', "select='lt(n\\,20)+not(mod(n\\,4))'", '-fps_mode', 'vfr',
      ...x264, '-bf', '2', p('vfr.mp4'),
    ]),
    // 5000 frames: long index lists (a filter script file; the fallback for thousands of runs).
    ffmpeg([...src('16x16', 100, 5000), ...x264, '-preset', 'ultrafast', p('long.mp4')]),
    ffmpeg([...src('48x32', 25, 100), ...x264, '-movflags', '+faststart', p('faststart.mp4')]),
    ffmpeg([...src('48x32', 25, 1), p('image.png')]),
  ]);
  // Rotation metadata (as phones write it): decoded frames come out turned, 32 wide and 48 high.
  await ffmpeg(['-i', p('t50.mp4'), '-c', 'copy', '-metadata:s:v', 'rotate=90', p('rotated.mp4')]);

  const t50 = await readFile(p('t50.mp4'));
  const faststart = await readFile(p('faststart.mp4'));
  // Deterministic "random" bytes (no flaky fixture).
  const noise = Buffer.alloc(4096);
  for (let i = 0, x = 12345; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  await Promise.all([
    writeFile(p('random.mp4'), noise),
    writeFile(p('truncated-moov-last.mp4'), t50.subarray(0, Math.floor(t50.length * 0.6))),
    writeFile(p('truncated-faststart.mp4'), faststart.subarray(0, Math.floor(faststart.length * 0.8))),
    writeFile(p('notes.txt'), 'this is not a video\n'),
  ]);
  return {
    dir,
    videos: {
      t1: { path: p('t1.mp4'), frames: 1 },
      t7: { path: p('t7.avi'), frames: 7 },
      t50: { path: p('t50.mp4'), frames: 50 },
      t131: { path: p('t131.webm'), frames: 131 },
      vfr: { path: p('vfr.mp4'), frames: 40 },
      rotated: { path: p('rotated.mp4'), frames: 50 },
    },
    long: { path: p('long.mp4'), frames: 5000 },
    corrupt: {
      random: p('random.mp4'),
      truncatedMoovLast: p('truncated-moov-last.mp4'),
      truncatedFaststart: p('truncated-faststart.mp4'),
      text: p('notes.txt'),
      image: p('image.png'),
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}
