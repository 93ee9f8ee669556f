/**
 * bench/prepare: the prepare stage's throughput on the sample videos, measured side by side in one run.
 *   npx tsx bench/prepare.ts [--videos N] [--frames N]
 * Prints: the select-filter sampler vs decode-all-then-pick (ratio), DLIB detection time per frame at upsample 0
 * and 1, and whole-video prepare throughput (frames/s, faces/s; per core = per CPU-second of this process, which
 * includes the libuv threads DLIB runs on).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildManifest } from '../lib/datasets';
import { detectFaces, preloadDlib } from '../lib/faces';
import { probeVideo, readAllFrames, readFrames, sampleIndices } from '../lib/media';
import { prepareVideo } from '../lib/prepare';
import { FileStore } from '../lib/store';
import { generateSampleDataset } from '../samples';
import { repoRoot } from '../infra/paths';

const { values } = parseArgs({ options: { videos: { type: 'string', default: '6' }, frames: { type: 'string', default: '32' } } });
const nVideos = Number(values.videos);
const nFrames = Number(values.frames);

async function compareSamplers(files: readonly string[]): Promise<{ selectMs: number; allMs: number; frames: number }> {
  let selectMs = 0;
  let allMs = 0;
  let frames = 0;
  for (const f of files) {
    const idx = sampleIndices((await probeVideo(f)).frames, nFrames);
    let t = performance.now();
    for await (const _fr of readFrames(f, idx)) frames++;
    selectMs += performance.now() - t;
    t = performance.now();
    const want = new Set(idx);
    let kept = 0;
    for await (const fr of readAllFrames(f)) if (want.has(fr.index)) kept++;
    allMs += performance.now() - t;
    if (kept !== idx.length) throw new Error(`decode-all kept ${kept} of ${idx.length}`);
  }
  return { selectMs, allMs, frames };
}

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

async function main() {
  const sample = await generateSampleDataset({ out: path.join(repoRoot, '.state', 'bench', 'sample-ffpp') });
  const manifest = await buildManifest({ root: sample.root, format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] });
  const rows = manifest.rows.filter((r) => r.kind === 'video').slice(0, nVideos);
  const files = rows.map((r) => path.join(sample.root, r.path));
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}; node ${process.version}`);
  console.log(`videos: ${rows.length} sample videos (${sample.root}), ${nFrames} frames each\n`);

  // 1. Sampler: one ffmpeg process with a select filter vs decoding every frame and keeping N, on the sample
  // videos (short: most frames are wanted anyway) and on a longer 640x480 clip, where N << T as in real datasets.
  const long = path.join(repoRoot, '.state', 'bench', 'long-640x480-10s.mp4');
  if (!fs.existsSync(long)) {
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-t', '10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', long]);
  }
  console.log('| sampler | videos | frames kept | select filter ms | decode-all ms | ratio (decode-all / select) |');
  console.log('|---|---|---|---|---|---|');
  for (const [label, set] of [['sample videos (45 frames, 256 px)', files], ['640x480 10 s clip (300 frames)', [long, long, long]]] as const) {
    const r = await compareSamplers(set);
    console.log(`| ${label} | ${set.length} | ${r.frames} | ${r.selectMs.toFixed(0)} | ${r.allMs.toFixed(0)} | ${(r.allMs / r.selectMs).toFixed(2)}x |`);
  }
  console.log();

  // 2. DLIB detection per frame, sequential (one call at a time).
  await preloadDlib();
  const frames = [];
  for await (const fr of readFrames(files[0], sampleIndices((await probeVideo(files[0])).frames, 10))) frames.push(fr);
  console.log('| detector | ms/frame | frame size |');
  console.log('|---|---|---|');
  for (const upsample of [0, 1]) {
    const t = performance.now();
    for (const fr of frames) await detectFaces(fr, upsample);
    console.log(`| upsample ${upsample} | ${((performance.now() - t) / frames.length).toFixed(1)} | ${frames[0].widthPx}x${frames[0].heightPx} |`);
  }

  // 3. Whole prepareVideo (probe, sample, detect, crop, landmarks, region map, PNGs, store writes), per upsample.
  console.log('\n| prepareVideo | videos | frames | faces | wall s | frames/s | faces/s | faces per CPU-s |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const upsample of [0, 1]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-bench-prep-'));
    const store = new FileStore(dir);
    let frames = 0;
    let faces = 0;
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    for (const row of rows) {
      const r = await prepareVideo(row, {
        datasetRoot: sample.root,
        store,
        prefix: 'bench',
        options: { purpose: 'test', framesPerRealVideo: nFrames, framesPerFakeVideo: nFrames, face: { upsample } },
        decodeThreads: 1,
      });
      frames += r.framesSampled;
      faces += r.faces;
    }
    const wallS = (performance.now() - t) / 1000;
    const cpuS = cpuSeconds(cpu0);
    console.log(`| upsample ${upsample} | ${rows.length} | ${frames} | ${faces} | ${wallS.toFixed(1)} | ${(frames / wallS).toFixed(1)} | ${(faces / wallS).toFixed(1)} | ${(faces / cpuS).toFixed(1)} |`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
