/**
 * A tiny dataset for the prepare tests, generated in a temp dir from the real photos of @vladmandic/face-api
 * (nothing is downloaded): 256x256 clips that slowly zoom into one face, a clip whose middle frames hide the face
 * behind a test pattern, a clip without faces, a face crop as an image row, random bytes, a clip cut before its index
 * (undecodable) and a clip cut mid-stream with its index first (the first frames decode).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { ManifestRow } from '../../../lib/datasets/manifest.js';

const run = promisify(execFile);
export const SAMPLE_DIR = path.resolve(__dirname, '../../../node_modules/@vladmandic/face-api/demo');

/**
 * 480 px squares around one face of a sample photo (boxes measured with DLIB at upsample 0); faces whose mouth is
 * open, so that their region maps hold every label 1..9 (inner mouth included).
 */
const FACE_SQUARES = {
  sample1: { x: 1318, y: 100 }, // face box 1451..1666 x 233..448
  sample6: { x: 506, y: 243 }, // face box 639..854 x 376..591
} as const;

export interface PrepareFixtures {
  root: string;
  rows: Record<'face' | 'gap' | 'fake' | 'noFace' | 'image' | 'badImage' | 'random' | 'truncated' | 'cut' | 'missing', ManifestRow>;
  /** Frames of gap.mp4 whose face is covered by the test pattern. */
  gapFrames: { from: number; to: number };
  /** Frames each clip's container lists (cut.mp4: the frames before the cut are fewer). */
  frameCounts: Record<'face' | 'gap' | 'fake' | 'noFace' | 'cut', number>;
  cleanup(): Promise<void>;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args]);
}

const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
// A slight zoom: every frame differs (an off-by-one frame index changes the crop), and DLIB finds the face in each.
const zoom = "zoompan=z='1+0.006*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=256x256:fps=25";

function row(pathRel: string, label: 'real' | 'fake', split: 'train' | 'val' | 'test', extra: Partial<ManifestRow> = {}): ManifestRow {
  return { id: `fx/${pathRel}`, dataset: 'fx', path: pathRel, kind: 'video', label, split, ...extra };
}

export async function makePrepareFixtures(): Promise<PrepareFixtures> {
  const root = await mkdtemp(path.join(tmpdir(), 'fsfm-prepare-test-'));
  const p = (name: string) => path.join(root, name);
  for (const dir of ['real', 'fake', 'images']) await mkdir(p(dir));
  for (const [name, { x, y }] of Object.entries(FACE_SQUARES)) {
    await sharp(path.join(SAMPLE_DIR, `${name}.jpg`)).extract({ left: x, top: y, width: 480, height: 480 }).png().toFile(p(`${name}.png`));
  }
  const gapFrames = { from: 10, to: 15 };
  await Promise.all([
    ffmpeg(['-loop', '1', '-framerate', '25', '-i', p('sample1.png'), '-vf', zoom, '-frames:v', '20', ...x264, p('real/face.mp4')]),
    ffmpeg([
      '-loop', '1', '-framerate', '25', '-i', p('sample6.png'),
      '-f', 'lavfi', '-i', 'testsrc2=s=256x256:r=25',
      '-filter_complex', `[0]${zoom}[f];[f][1]overlay=enable='between(n,${gapFrames.from},${gapFrames.to})'`,
      '-frames:v', '24', ...x264, p('real/gap.mp4'),
    ]),
    ffmpeg(['-loop', '1', '-framerate', '25', '-i', p('sample6.png'), '-vf', zoom, '-frames:v', '16', ...x264, p('fake/fake.mp4')]),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=256x256:r=25', '-frames:v', '10', ...x264, p('real/noface.mp4')]),
    // Index (moov) first, so a copy cut mid-way still opens and its first frames decode.
    ffmpeg(['-loop', '1', '-framerate', '25', '-i', p('sample1.png'), '-vf', zoom, '-frames:v', '75', ...x264, '-g', '25', '-movflags', '+faststart', p('whole-cut.mp4')]),
  ]);
  // The image row: sample2's only face (box 1448..1627 x 214..393), cropped and halved.
  await sharp(path.join(SAMPLE_DIR, 'sample2.jpg'))
    .extract({ left: 1297, top: 63, width: 480, height: 480 })
    .resize(320, 320)
    .jpeg({ quality: 92 })
    .toFile(p('images/face2.jpg'));
  const noise = Buffer.alloc(4096);
  for (let i = 0, s = 12345; i < noise.length; i++) noise[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  await writeFile(p('real/random.mp4'), noise);
  await writeFile(p('images/bad.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), noise]));
  const face = await readFile(p('real/face.mp4'));
  await writeFile(p('real/truncated.mp4'), face.subarray(0, Math.floor(face.length * 0.6)));
  const whole = await readFile(p('whole-cut.mp4'));
  await writeFile(p('real/cut.mp4'), whole.subarray(0, Math.floor(whole.length * 0.55)));
  return {
    root,
    rows: {
      face: row('real/face.mp4', 'real', 'train'),
      gap: row('real/gap.mp4', 'real', 'train'),
      fake: row('fake/fake.mp4', 'fake', 'train', { method: 'Deepfakes' }),
      noFace: row('real/noface.mp4', 'real', 'train'),
      image: row('images/face2.jpg', 'real', 'test', { kind: 'image', group: 'fx/images' }),
      badImage: row('images/bad.jpg', 'real', 'test', { kind: 'image', group: 'fx/images' }),
      random: row('real/random.mp4', 'real', 'train'),
      truncated: row('real/truncated.mp4', 'real', 'train'),
      cut: row('real/cut.mp4', 'real', 'train'),
      missing: row('real/missing.mp4', 'real', 'train'),
    },
    gapFrames,
    frameCounts: { face: 20, gap: 24, fake: 16, noFace: 10, cut: 75 },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
