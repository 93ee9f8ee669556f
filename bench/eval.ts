/**
 * bench/eval: frames scored per second, per TensorFlow.js backend, for the demo preset and the ViT-B/16 shape, side
 * by side in one run (random weights: the speed does not depend on them).
 *
 *   npx tsx bench/eval.ts [--backends wasm,cpu] [--presets demo,base] [--batch demo=16,base=4] [--cpu-batch demo=2,base=1]
 *                         [--seconds 10] [--face-px 224] [--json]
 *
 * A frame is scored as lib/eval/score.ts scores it: a stored face (face-px, default 224 as lib/prepare stores them)
 * -> the DfD eval transform (bicubic resize of the shorter side to size/0.875, centre crop, normalise) -> the
 * classifier's forward pass -> P(fake). Each wasm cell first scores one warm-up batch (kernel set-up; the pure-JS cpu
 * backend has none to do), then batches until `seconds` have passed (at least one batch). The cpu backend runs ~40×
 * slower than wasm: one ViT-B frame takes about a minute there, hence its small batches. Reported: frames/s end to end, the forward pass's ms per frame and its GFLOP/s
 * (matMul FLOPs counted analytically: 2 per multiply-add), and the transform's ms per frame.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { evalTransform, IMAGENET_NORMALIZATION } from '../lib/finetune/transforms';
import { ClassifierModel } from '../lib/model/heads';
import { FSFM_PRESETS, type FsfmArch } from '../lib/model/presets';
import { type BackendPreference, initBackend } from '../lib/tensor/backend';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    presets: { type: 'string', default: 'demo,base' },
    batch: { type: 'string', default: 'demo=16,base=4' },
    'cpu-batch': { type: 'string', default: 'demo=2,base=1' },
    seconds: { type: 'string', default: '10' },
    'face-px': { type: 'string', default: '224' },
    json: { type: 'boolean', default: false },
  },
});

const backends = values.backends.split(',') as BackendPreference[];
const presets = values.presets.split(',') as (keyof typeof FSFM_PRESETS)[];
const perPreset = (text: string): Record<string, number> => Object.fromEntries(text.split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
const batchOf = perPreset(values.batch);
const cpuBatchOf = perPreset(values['cpu-batch']);
const budgetMs = Number(values.seconds) * 1000;
const facePx = Number(values['face-px']);

/** Forward matMul FLOPs of the classifier per frame: patch embedding, the blocks, the head. */
function forwardFlops(a: FsfmArch): number {
  const L = (a.imageSizePx / a.patchSizePx) ** 2;
  const T = L + 1;
  const D = a.embedDim;
  const lin = (t: number, i: number, o: number) => 2 * t * i * o;
  const block = lin(T, D, 3 * D) + lin(T, D, D) + lin(T, D, a.mlpRatio * D) + lin(T, a.mlpRatio * D, D) + 4 * T * T * D;
  return lin(L, a.patchSizePx * a.patchSizePx * 3, D) + a.depth * block + lin(1, D, 2);
}

function randomFace(seed: number): { rgb: Buffer; widthPx: number; heightPx: number } {
  let s = seed >>> 0;
  const rgb = Buffer.alloc(facePx * facePx * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return { rgb, widthPx: facePx, heightPx: facePx };
}

interface Cell {
  backend: string;
  preset: string;
  imageSizePx: number;
  batch: number;
  frames: number;
  framesPerSec: number;
  forwardMsPerFrame: number;
  forwardGflops: number;
  transformMsPerFrame: number;
  warmupMs: number;
}

async function measure(backend: BackendPreference, preset: keyof typeof FSFM_PRESETS): Promise<Cell> {
  const sel = await initBackend({ prefer: backend, log: () => {} });
  const batch = (backend === 'cpu' ? cpuBatchOf[preset] : batchOf[preset]) ?? 1;
  const model = new ClassifierModel({ head: 'dfd', preset, seed: 1 });
  const size = model.arch.imageSizePx;
  const faces = Array.from({ length: batch }, (_, i) => randomFace(i + 1));
  let transformMs = 0;
  let forwardMs = 0;
  const scoreBatch = () => {
    let t = performance.now();
    const pixels = new Float32Array(batch * size * size * 3);
    faces.forEach((f, i) => pixels.set(evalTransform(f, size, 224 / 256, IMAGENET_NORMALIZATION), i * size * size * 3));
    const tMs = performance.now() - t;
    t = performance.now();
    const p = tf.tidy(() => model.predictProba(tf.tensor4d(pixels, [batch, size, size, 3])).dataSync());
    if (p.length !== batch) throw new Error('wrong output size');
    return { tMs, fMs: performance.now() - t };
  };
  try {
    const w0 = performance.now();
    if (sel.backend !== 'cpu') scoreBatch();
    const warmupMs = performance.now() - w0;
    let frames = 0;
    const started = performance.now();
    do {
      const { tMs, fMs } = scoreBatch();
      transformMs += tMs;
      forwardMs += fMs;
      frames += batch;
    } while (performance.now() - started < budgetMs);
    const totalMs = performance.now() - started;
    return {
      backend: sel.backend,
      preset,
      imageSizePx: size,
      batch,
      frames,
      framesPerSec: frames / (totalMs / 1000),
      forwardMsPerFrame: forwardMs / frames,
      forwardGflops: (forwardFlops(model.arch) * frames) / (forwardMs / 1000) / 1e9,
      transformMsPerFrame: transformMs / frames,
      warmupMs,
    };
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  const cells: Cell[] = [];
  for (const backend of backends) {
    for (const preset of presets) {
      const cell = await measure(backend, preset);
      cells.push(cell);
      if (!values.json) {
        console.log(
          `${cell.backend.padEnd(5)} ${cell.preset.padEnd(5)} ${cell.imageSizePx}px batch ${String(cell.batch).padStart(2)}: ` +
            `${cell.framesPerSec.toFixed(2).padStart(7)} frames/s  (forward ${cell.forwardMsPerFrame.toFixed(1)} ms/frame, ` +
            `${cell.forwardGflops.toFixed(2)} GFLOP/s; transform ${cell.transformMsPerFrame.toFixed(1)} ms/frame; ` +
            `${cell.frames} frames${cell.warmupMs > 1 ? `; warm-up batch ${cell.warmupMs.toFixed(0)} ms` : ''})`,
        );
      }
    }
  }
  if (values.json) console.log(JSON.stringify({ facePx, cells }, null, 1));
}

void main();
