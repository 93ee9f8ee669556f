/**
 * bench/prepare: the project's prepare (lib/prepare prepareVideo, default options = the FSFM reference's faces) on
 * any dataset folder or list of videos, side by side with the Python reference peer (bench/prepare_reference.py) on
 * the same clips, in one run.
 *
 *   npx tsx bench/prepare.ts [--frames 32] [--jobs N] [--no-python] [--dataset DIR [--format auto]] [VIDEO ...]
 *
 * Without --dataset or videos it makes 5 clips of 640x480 (5 s, 25 fps) panning over the group photos of
 * @vladmandic/face-api (.state/bench/clips). Prints, per side: faces, wall s, faces/s, CPU s (this process and
 * its children: ffmpeg, or the reference's pool workers), faces per CPU-second, and the share of time per phase
 * (a sequential pass: one video, one frame at a time, so phases do not overlap); then whether the boxes,
 * landmarks, crops and 224 px face bytes are identical frame by frame, and the machine's load.
 * The Python peer needs `make bench-python` (a venv under .state/bench/pyref with dlib-bin, opencv-python-headless,
 * pillow, numpy from PyPI); without it that column is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildManifest, type ManifestRow } from '../lib/datasets';
import { preloadDlib } from '../lib/faces';
import { emptyPhaseTimes, prepareVideo, readVideoFaces, readVideoOutcome, type PhaseTimes } from '../lib/prepare';
import { FileStore } from '../lib/store';
import { repoRoot } from '../infra/paths';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    frames: { type: 'string', default: '32' },
    jobs: { type: 'string', default: String(os.cpus().length) },
    dataset: { type: 'string' },
    format: { type: 'string', default: 'auto' },
    'no-python': { type: 'boolean', default: false },
  },
});
const nFrames = Number(values.frames);
const jobs = Number(values.jobs);
const benchDir = path.join(repoRoot, '.state', 'bench');
const python = path.join(benchDir, 'pyref', 'bin', 'python');

function load(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** CPU seconds of this process (all threads) plus its reaped children (ffmpeg, ffprobe). */
function cpuNow(): number {
  const own = process.cpuUsage();
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const children = (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in USER_HZ (100 on Linux)
  return (own.user + own.system) / 1e6 + children;
}

async function makeClips(): Promise<string[]> {
  const dir = path.join(benchDir, 'clips');
  fs.mkdirSync(dir, { recursive: true });
  const photos = path.join(repoRoot, 'node_modules', '@vladmandic', 'face-api', 'demo');
  const files: string[] = [];
  for (const n of [1, 2, 3, 5, 6]) {
    const file = path.join(dir, `pan${n}.mp4`);
    files.push(file);
    if (fs.existsSync(file)) continue;
    // A 640x480 window panning across the photo scaled to 1280 px wide: faces move, enter and leave.
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-loop', '1', '-framerate', '25', '-i', path.join(photos, `sample${n}.jpg`),
      '-vf', "scale=1280:-2,crop=640:480:x='(iw-640)*t/5':y='(ih-480)*(0.5+0.3*sin(t))'",
      '-t', '5', '-c:v', 'libx264', '-preset', 'medium', '-crf', '23', '-pix_fmt', 'yuv420p', file,
    ]);
  }
  return files;
}

async function inputRows(): Promise<{ root: string; rows: ManifestRow[] }> {
  if (values.dataset) {
    const manifest = await buildManifest({ root: values.dataset, format: values.format as never });
    return { root: path.resolve(values.dataset), rows: manifest.rows.filter((r) => r.kind === 'video') };
  }
  const files = positionals.length > 0 ? positionals.map((f) => path.resolve(f)) : await makeClips();
  const root = path.dirname(files[0]);
  for (const f of files) if (path.dirname(f) !== root) throw new Error('bench/prepare: give videos from one folder (or --dataset)');
  const rows = files.map((f) => ({ id: path.basename(f), dataset: 'bench', path: path.basename(f), kind: 'video' as const, label: 'real' as const, split: 'test' as const }));
  return { root, rows };
}

interface Side {
  faces: number;
  wallS: number;
  cpuS: number;
  phases?: Record<string, number>;
}

/** Our prepare over every row, `jobs` videos at once, `framesInFlight` frames of each in DLIB. */
async function runProject(root: string, rows: ManifestRow[], jobs: number, framesInFlight: number, phases?: PhaseTimes) {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-bench-prep-'));
  const store = new FileStore(storeDir);
  const options = { purpose: 'test' as const, framesPerRealVideo: nFrames, framesPerFakeVideo: nFrames, framesInFlight };
  let faces = 0;
  const keys: { row: ManifestRow; key: string }[] = [];
  const cpu0 = cpuNow();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, rows.length) }, async () => {
      while (next < rows.length) {
        const row = rows[next++];
        const r = await prepareVideo(row, { datasetRoot: root, store, prefix: 'bench', options, decodeThreads: 1, phases });
        faces += r.faces;
        keys.push({ row, key: r.key });
      }
    }),
  );
  const side: Side = { faces, wallS: (performance.now() - t0) / 1000, cpuS: cpuNow() - cpu0 };
  return { side, store, storeDir, keys };
}

interface FaceRecord {
  box: { left: number; top: number; right: number; bottom: number; score: number };
  crop: { x: number; y: number; sizePx: number };
  landmarks: number[][];
  sha256: string;
}

async function projectFaces(store: FileStore, keys: { row: ManifestRow; key: string }[], root: string): Promise<Map<string, FaceRecord>> {
  const out = new Map<string, FaceRecord>();
  for (const { row, key } of keys) {
    const outcome = (await readVideoOutcome(store, 'bench', key))!;
    for (const f of (await readVideoFaces(store, outcome)).faces) {
      const png = await store.get(path.posix.join(outcome.prefix, f.image));
      const raw = await sharp(png).raw().toBuffer();
      out.set(`${path.join(root, row.path)}#${f.frameIndex}`, {
        box: f.box,
        crop: f.crop,
        landmarks: f.landmarks,
        sha256: crypto.createHash('sha256').update(raw).digest('hex'),
      });
    }
  }
  return out;
}

function runPython(files: string[], processes: number): { side: Side; faces: Map<string, FaceRecord> } | null {
  if (values['no-python'] || !fs.existsSync(python)) return null;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-bench-pyref-'));
  const res = spawnSync(python, [path.join(repoRoot, 'bench', 'prepare_reference.py'), '--out', out, '--frames', String(nFrames), '--processes', String(processes), ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (res.status !== 0) throw new Error(`prepare_reference.py failed: ${res.stderr}`);
  const summary = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { faces: number; wallS: number; cpuS: number; phasesS: Record<string, number> };
  const faces = new Map<string, FaceRecord>();
  for (const line of fs.readFileSync(path.join(out, 'faces.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(line) as FaceRecord & { video: string; frameIndex: number };
    faces.set(`${r.video}#${r.frameIndex}`, r);
  }
  fs.rmSync(out, { recursive: true, force: true });
  return { side: { faces: summary.faces, wallS: summary.wallS, cpuS: summary.cpuS, phases: Object.fromEntries(Object.entries(summary.phasesS).map(([k, v]) => [k, v * 1000])) }, faces };
}

function compare(ours: Map<string, FaceRecord>, theirs: Map<string, FaceRecord>): string {
  let same = 0;
  const diff = { missing: 0, extra: 0, box: 0, score: 0, landmarks: 0, crop: 0, bytes: 0 };
  const details: string[] = [];
  for (const [k, a] of theirs) {
    const b = ours.get(k);
    if (!b) {
      diff.missing++;
      continue;
    }
    const boxSame = (['left', 'top', 'right', 'bottom'] as const).every((e) => a.box[e] === b.box[e]);
    if (!boxSame) diff.box++;
    if (a.box.score !== b.box.score) diff.score++;
    if (JSON.stringify(a.landmarks) !== JSON.stringify(b.landmarks)) {
      diff.landmarks++;
      const moved = a.landmarks.flatMap((p, i) => (p[0] !== b.landmarks[i]?.[0] || p[1] !== b.landmarks[i]?.[1] ? [`#${i} ours ${JSON.stringify(b.landmarks[i])} ref ${JSON.stringify(p)}`] : []));
      details.push(`${path.basename(k)}: landmarks differ at ${moved.length} of 68 points: ${moved.join(', ')}`);
    }
    if (JSON.stringify(a.crop) !== JSON.stringify({ x: b.crop.x, y: b.crop.y, sizePx: b.crop.sizePx })) diff.crop++;
    if (a.sha256 !== b.sha256) diff.bytes++;
    if (boxSame && JSON.stringify(a.landmarks) === JSON.stringify(b.landmarks) && a.sha256 === b.sha256) same++;
  }
  for (const k of ours.keys()) if (!theirs.has(k)) diff.extra++;
  return `${same}/${theirs.size} faces identical (box, landmarks, 224 px bytes); differing: ${JSON.stringify(diff)}${details.map((d) => `\n  ${d}`).join('')}`;
}

function shares(phases: Record<string, number>): string {
  const total = Object.values(phases).reduce((a, b) => a + b, 0);
  return Object.entries(phases)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`)
    .join(', ');
}

const row = (name: string, s: Side) =>
  `| ${name} | ${s.faces} | ${s.wallS.toFixed(1)} | ${(s.faces / s.wallS).toFixed(2)} | ${s.cpuS.toFixed(1)} | ${(s.faces / s.cpuS).toFixed(2)} |`;

async function main() {
  const { root, rows } = await inputRows();
  const files = rows.map((r) => path.join(root, r.path));
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}; node ${process.version}; load at start ${load()}`);
  console.log(`input: ${rows.length} videos under ${root}, ${nFrames} frames each; DLIB upsample 1, first face, 224 px (defaults)\n`);
  await preloadDlib();

  // 1. Per core: one video and one frame at a time on each side, phases timed.
  const phases = emptyPhaseTimes();
  const seq = await runProject(root, rows, 1, 1, phases);
  const loadSeq = load();
  const ours = await projectFaces(seq.store, seq.keys, root);
  fs.rmSync(seq.storeDir, { recursive: true, force: true });
  const pySeq = runPython(files, 1);
  const loadPySeq = load();
  // 2. Whole machine, each as it naturally runs: ours `jobs` videos at once, 2 frames each in DLIB; the reference
  // one video at a time with a pool of cpu_count() workers.
  const par = await runProject(root, rows, jobs, 2);
  fs.rmSync(par.storeDir, { recursive: true, force: true });
  const loadPar = load();
  const pyPar = runPython(files, os.cpus().length);
  const loadPyPar = load();

  console.log('| run | faces | wall s | faces/s | CPU s (self + children) | faces per CPU-s |');
  console.log('|---|---|---|---|---|---|');
  console.log(`${row('project, 1 video x 1 frame at a time', seq.side)} load ${loadSeq}`);
  if (pySeq) console.log(`${row('Python reference, 1 process', pySeq.side)} load ${loadPySeq}`);
  console.log(`${row(`project, ${jobs} videos x 2 frames at a time`, par.side)} load ${loadPar}`);
  if (pyPar) console.log(`${row(`Python reference, pool of ${os.cpus().length}`, pyPar.side)} load ${loadPyPar}`);
  if (pySeq && pyPar) {
    const perCpu = (s: Side) => s.faces / s.cpuS;
    const perWall = (s: Side) => s.faces / s.wallS;
    console.log(`\nratios: faces per CPU-s ${(perCpu(seq.side) / perCpu(pySeq.side)).toFixed(2)}x (1 at a time), ${(perCpu(par.side) / perCpu(pyPar.side)).toFixed(2)}x (whole machine); wall faces/s ${(perWall(par.side) / perWall(pyPar.side)).toFixed(2)}x (whole machine, each as it naturally runs)`);
  }
  console.log(`\nproject phase shares (sequential pass, wall time; ffmpeg decodes ahead in its own process): ${shares(phases)}`);
  if (pySeq?.side.phases) console.log(`reference phase shares (1 process): ${shares(pySeq.side.phases)}`);
  if (pySeq) console.log(`\noutputs vs the reference: ${compare(ours, pySeq.faces)}`);
  console.log(`load at end ${load()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
