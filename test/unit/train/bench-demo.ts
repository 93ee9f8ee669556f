/**
 * Throughput of the whole pretraining loop with the `demo` preset (batch 8) on faces from the face-api demo
 * photos, prepared at 224 px and resized on the fly. Not a test: `npx tsx test/unit/train/bench-demo.ts [steps]`.
 */
import path from 'node:path';
import { cropBox, cropSquare, decodeImage, detectFacesWithLandmarks, preloadDlib, regionMap, resizeSquare, toCropCoordinates } from '../../../lib/faces/index.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import { memoryFaceSource } from '../../../lib/train/data.js';
import { PRETRAIN_PRESETS } from '../../../lib/train/options.js';
import { type PretrainProgress, runPretraining } from '../../../lib/train/pretrain.js';
import { tempStore } from './helpers.js';

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 10);
  await preloadDlib();
  const faces: ShardRecord[] = [];
  for (const sample of [1, 2, 3, 4, 5, 6]) {
    const frame = await decodeImage(path.resolve(__dirname, `../../../node_modules/@vladmandic/face-api/demo/sample${sample}.jpg`));
    for (const [i, f] of (await detectFacesWithLandmarks(frame, 0)).entries()) {
      const crop = cropBox(f.box, frame.widthPx, frame.heightPx);
      const img = resizeSquare(cropSquare(frame, crop), 224);
      faces.push({
        faceId: `s${sample}-${i}`, dataset: 'demo', videoId: `s${sample}`, label: 'real', split: 'train', group: `s${sample}`,
        frameIndex: i, sizePx: 224, image: new Uint8Array(img.rgb), regionMap: regionMap(toCropCoordinates(f.landmarks, crop, 224)),
      });
    }
  }
  // ~200 faces as in the demo: the 20 real ones repeated (ids made unique).
  const many = Array.from({ length: 10 }, (_, k) => faces.map((f) => ({ ...f, faceId: `${f.faceId}-${k}` }))).flat();
  const { store, cleanup } = await tempStore();
  const seen: PretrainProgress[] = [];
  const t0 = performance.now();
  const r = await runPretraining({
    config: { ...PRETRAIN_PRESETS.demo, maxSteps: steps, checkpointEverySteps: 1000, data: { splits: ['train'] }, tensor: { backend: 'wasm' } },
    store,
    runId: 'bench',
    source: memoryFaceSource([many.slice(0, 100), many.slice(100)]),
    onProgress: (p) => seen.push(p),
  });
  const wallS = (performance.now() - t0) / 1000;
  const steady = seen.slice(2).map((p) => 8 / p.imagesPerSec);
  steady.sort((a, b) => a - b);
  console.log(JSON.stringify({
    backend: r.backend, faces: many.length, batch: 8, steps: r.step, totalStepsOfPreset: r.totalSteps,
    stepMsMedian: Math.round(steady[Math.floor(steady.length / 2)] * 1000), imagesPerSec: +(8 / steady[Math.floor(steady.length / 2)]).toFixed(2),
    wallSIncludingIndexAndCheckpoint: +wallS.toFixed(1), loss: [seen[0].loss, seen.at(-1)!.loss].map((x) => +x.toFixed(3)),
  }));
  await cleanup();
}

void main();
