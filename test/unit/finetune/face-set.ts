/**
 * A small prepared face set from real photos (the faces DLIB finds in @vladmandic/face-api's demo pictures),
 * labelled so that the task is learnable: every face appears as 'real' (its crop) and as 'fake' (the same crop
 * with a blocky, pixelated centre and a warm colour cast, visible stand-ins for face-swap artefacts; the colour cast
 * is what a tiny model picks up within a few dozen steps). Each face gives two "frames"
 * (the crop and a slightly tighter one), and each (face, label) is one video, so video-level metrics have groups.
 * Splits by photo: samples 1-4 train, 5 val, 6 test.
 */
import path from 'node:path';
import { cropBox, cropSquare, decodeImage, detectFaces, preloadDlib, resizeSquare } from '../../../lib/faces/index.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import type { FileStore } from '../../../lib/store/file-store.js';
import { encodeShard } from '../../../lib/prepare/shards.js';
import { SetWriter } from '../../../lib/store/sets.js';

const SAMPLE_DIR = path.resolve(__dirname, '../../../node_modules/@vladmandic/face-api/demo');
export const FACE_PX = 112;
const SPLIT_OF: Record<number, string> = { 1: 'train', 2: 'train', 3: 'train', 4: 'train', 5: 'val', 6: 'test' };

/** A fake of a real face: the centre pixelated, then a warm cast (red +40, blue −40). */
export function fakeOf(rgb: Uint8Array, sizePx: number): Uint8Array {
  const out = pixelateCentre(rgb, sizePx);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = Math.min(255, out[i] + 40);
    out[i + 2] = Math.max(0, out[i + 2] - 40);
  }
  return out;
}

/** The centre half of the face replaced by 8 px blocks (each the block's mean colour). */
export function pixelateCentre(rgb: Uint8Array, sizePx: number, blockPx = 8): Uint8Array {
  const out = rgb.slice();
  const lo = Math.floor(sizePx / 4);
  const hi = Math.ceil((3 * sizePx) / 4);
  for (let by = lo; by < hi; by += blockPx) {
    for (let bx = lo; bx < hi; bx += blockPx) {
      const sum = [0, 0, 0];
      let n = 0;
      for (let y = by; y < Math.min(by + blockPx, hi); y++) {
        for (let x = bx; x < Math.min(bx + blockPx, hi); x++) {
          for (let c = 0; c < 3; c++) sum[c] += rgb[(y * sizePx + x) * 3 + c];
          n++;
        }
      }
      for (let y = by; y < Math.min(by + blockPx, hi); y++) {
        for (let x = bx; x < Math.min(bx + blockPx, hi); x++) for (let c = 0; c < 3; c++) out[(y * sizePx + x) * 3 + c] = Math.round(sum[c] / n);
      }
    }
  }
  return out;
}

let cached: Promise<ShardRecord[]> | null = null;

/** All records (cached per test file): ~21 faces × 2 frames × 2 labels. */
export function realFaceRecords(): Promise<ShardRecord[]> {
  cached ??= build();
  return cached;
}

async function build(): Promise<ShardRecord[]> {
  await preloadDlib({ predictor: false });
  const out: ShardRecord[] = [];
  for (const sample of [1, 2, 3, 4, 5, 6]) {
    const photo = await decodeImage(path.join(SAMPLE_DIR, `sample${sample}.jpg`));
    const boxes = await detectFaces(photo, 0);
    for (const [i, box] of boxes.entries()) {
      const crop = cropBox(box, photo.widthPx, photo.heightPx);
      if (crop.sizePx < 32) continue;
      const inset = Math.floor(crop.sizePx * 0.06);
      const frames = [crop, { x: crop.x + inset, y: crop.y + inset, sizePx: crop.sizePx - 2 * inset }];
      for (const label of ['real', 'fake'] as const) {
        const videoId = `sample${sample}-face${i}-${label}`;
        for (const [frameIndex, square] of frames.entries()) {
          const face = resizeSquare(cropSquare(photo, square), FACE_PX);
          const rgb = new Uint8Array(face.rgb);
          out.push({
            faceId: `${videoId}-f${frameIndex}`,
            dataset: 'face-api-demo',
            videoId,
            label,
            split: SPLIT_OF[sample],
            group: videoId,
            frameIndex,
            sizePx: FACE_PX,
            image: label === 'fake' ? fakeOf(rgb, FACE_PX) : rgb,
            regionMap: new Uint8Array(0),
          });
        }
      }
    }
  }
  return out;
}

/**
 * Commits `records` as a prepared set lib/prepare's openPrepared reads: one shard per split (a shard never
 * mixes splits), `perShard` records at most per shard.
 */
export async function writeFaceSet(store: FileStore, prefix: string, records: readonly ShardRecord[], perShard = 16): Promise<void> {
  const writer = new SetWriter(store, prefix);
  const shards: string[] = [];
  const shardsBySplit: Record<string, string[]> = {};
  const counts: Record<string, { real: number; fake: number }> = {};
  const splits = [...new Set(records.map((r) => r.split))].sort();
  for (const split of splits) {
    const inSplit = records.filter((r) => r.split === split);
    for (let start = 0; start < inSplit.length; start += perShard) {
      const name = `shards/shard-${String(shards.length).padStart(5, '0')}.bin`;
      await writer.put(name, await encodeShard(inSplit.slice(start, start + perShard)));
      shards.push(name);
      (shardsBySplit[split] ??= []).push(name);
    }
    for (const r of inSplit) (counts[split] ??= { real: 0, fake: 0 })[r.label]++;
  }
  await writer.commit('prepared', {
    kind: 'prepared',
    codeVersion: 'test',
    purpose: 'finetune',
    framesPerRealVideo: 2,
    framesPerFakeVideo: 2,
    faceSizePx: records[0].sizePx,
    regionMaps: false,
    imageFormat: 'png',
    videosRoot: prefix,
    faces: records.length,
    counts,
    videoCounts: {},
    shards,
    shardsBySplit,
    videos: { done: new Set(records.map((r) => r.videoId)).size, failed: 0 },
    framesSampled: records.length,
    framesWithoutFace: 0,
  });
}
