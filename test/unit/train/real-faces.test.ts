/**
 * Pretraining on real faces: the 20 faces DLIB finds in @vladmandic/face-api's demo photos, cropped with the
 * reference formula at 224 px with landmark region maps (as lib/prepare stores them), trained with the demo
 * preset (112 px, resized on the fly) for a twenty steps.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropBox, cropSquare, decodeImage, detectFacesWithLandmarks, preloadDlib, regionMap, resizeSquare, toCropCoordinates } from '../../../lib/faces/index.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import { memoryFaceSource } from '../../../lib/train/data.js';
import { PRETRAIN_PRESETS } from '../../../lib/train/options.js';
import { type PretrainProgress, runPretraining } from '../../../lib/train/pretrain.js';
import { useTestBackend } from '../model/backend-for-tests.js';
import { tempStore } from './helpers.js';

const SAMPLE_DIR = path.resolve(__dirname, '../../../node_modules/@vladmandic/face-api/demo');
const FACE_PX = 224;

async function sampleFaces(): Promise<ShardRecord[]> {
  await preloadDlib();
  const out: ShardRecord[] = [];
  for (const sample of [1, 2, 3, 4, 5, 6]) {
    const frame = await decodeImage(path.join(SAMPLE_DIR, `sample${sample}.jpg`));
    for (const [i, face] of (await detectFacesWithLandmarks(frame, 0)).entries()) {
      const crop = cropBox(face.box, frame.widthPx, frame.heightPx);
      if (crop.sizePx < 32) continue;
      const img = resizeSquare(cropSquare(frame, crop), FACE_PX);
      out.push({
        faceId: `sample${sample}-${i}`,
        dataset: 'face-api-demo',
        videoId: `sample${sample}`,
        label: 'real',
        split: 'train',
        group: `sample${sample}`,
        frameIndex: i,
        sizePx: FACE_PX,
        image: new Uint8Array(img.rgb),
        regionMap: regionMap(toCropCoordinates(face.landmarks, crop, FACE_PX), { sizePx: FACE_PX }),
      });
    }
  }
  return out;
}

describe('pretraining on real faces', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  let faces: ShardRecord[];
  beforeAll(async () => {
    await useTestBackend();
    ctx = await tempStore();
    faces = await sampleFaces();
  }, 60_000);
  afterAll(() => ctx.cleanup());

  it('the demo preset lowers the loss within twenty steps', async () => {
    expect(faces.length).toBeGreaterThanOrEqual(18);
    const source = memoryFaceSource([faces.slice(0, 10), faces.slice(10)]);
    const seen: PretrainProgress[] = [];
    const result = await runPretraining({
      // The demo preset at batch 4: 5 steps per epoch over the 20 faces.
      config: { ...PRETRAIN_PRESETS.demo, batchSize: 4, epochs: 4, warmupEpochs: 0.5, checkpointEverySteps: 1000, data: { splits: ['train'] }, tensor: { backend: 'wasm' } },
      store: ctx.store,
      runId: 'faces',
      source,
      onProgress: (p) => seen.push(p),
    });
    expect(result).toMatchObject({ status: 'completed', step: 20, skippedBatches: 0 });
    // Dataset statistics of real faces: skin tones make red the brightest channel.
    expect(result.normalization.mean[0]).toBeGreaterThan(result.normalization.mean[2]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(seen.slice(0, 4).map((p) => p.lRec));
    const last = mean(seen.slice(-4).map((p) => p.lRec));
    const steady = seen.slice(4);
    const msPerStep = 1000 / (mean(steady.map((p) => p.imagesPerSec)) / 4);
    console.info(
      `demo preset, batch 4, ${result.backend}: ${msPerStep.toFixed(0)} ms/step, ${result.imagesPerSec.toFixed(1)} faces/s; ` +
        `L_rec ${first.toFixed(3)} -> ${last.toFixed(3)}, loss ${seen[0].loss.toFixed(3)} -> ${seen.at(-1)!.loss.toFixed(3)}`,
    );
    expect(last).toBeLessThan(0.85 * first);
    expect(mean(seen.slice(-4).map((p) => p.loss))).toBeLessThan(mean(seen.slice(0, 4).map((p) => p.loss)));
  }, 120_000);
});
