/**
 * Fixtures of the training tests: synthetic ShardRecords (a face-like layout of LaPa regions over seeded
 * pixels), a temporary file store, a committed prepared set built with lib/prepare's own shard encoder, and a
 * tiny pretraining config.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeShard, type ShardRecord } from '../../../lib/prepare/shards.js';
import { FileStore } from '../../../lib/store/file-store.js';
import { SetWriter } from '../../../lib/store/sets.js';
import type { PretrainConfigInput } from '../../../lib/train/options.js';
import { lcg, TEST_ARCH } from '../model/backend-for-tests.js';

/** A LaPa map with background, skin, brows, eyes, nose, mouth and hair at sizePx. */
export function syntheticRegionMap(sizePx: number): Uint8Array {
  const map = new Uint8Array(sizePx * sizePx);
  const s = sizePx;
  const box = (x0: number, y0: number, x1: number, y1: number, label: number) => {
    for (let y = Math.floor(y0 * s); y < Math.ceil(y1 * s); y++) for (let x = Math.floor(x0 * s); x < Math.ceil(x1 * s); x++) map[y * s + x] = label;
  };
  box(0.1, 0.0, 0.9, 0.15, 10); // hair
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const dx = (x + 0.5) / s - 0.5;
      const dy = (y + 0.5) / s - 0.55;
      if ((dx / 0.35) ** 2 + (dy / 0.42) ** 2 < 1) map[y * s + x] = 1; // skin
    }
  }
  box(0.25, 0.3, 0.42, 0.35, 2);
  box(0.58, 0.3, 0.75, 0.35, 3);
  box(0.27, 0.38, 0.4, 0.44, 4);
  box(0.6, 0.38, 0.73, 0.44, 5);
  box(0.45, 0.45, 0.55, 0.62, 6);
  box(0.35, 0.68, 0.65, 0.72, 7);
  box(0.35, 0.72, 0.65, 0.75, 8);
  box(0.35, 0.75, 0.65, 0.8, 9);
  return map;
}

/** Records of one video: `frames` faces with seeded pixels (smooth gradients plus noise). */
export function syntheticRecords(opts: {
  videoId: string;
  frames: number;
  sizePx: number;
  label?: 'real' | 'fake';
  split?: string;
  seed?: number;
}): ShardRecord[] {
  const rand = lcg(opts.seed ?? 1);
  const { sizePx } = opts;
  const map = syntheticRegionMap(sizePx);
  return Array.from({ length: opts.frames }, (_, frameIndex) => {
    const image = new Uint8Array(sizePx * sizePx * 3);
    const tint = [rand(), rand(), rand()];
    for (let p = 0; p < sizePx * sizePx; p++) {
      const x = p % sizePx;
      const y = Math.floor(p / sizePx);
      for (let c = 0; c < 3; c++) {
        const v = 40 + 120 * tint[c] + 60 * Math.sin((x + 2 * y + 7 * c) / sizePx * 6) + 20 * (map[p] / 10) + 30 * rand();
        image[p * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return {
      faceId: `${opts.videoId}-${String(frameIndex).padStart(4, '0')}`,
      dataset: 'synthetic',
      videoId: opts.videoId,
      label: opts.label ?? 'real',
      split: opts.split ?? 'train',
      group: opts.videoId,
      frameIndex,
      sizePx,
      image,
      regionMap: map.slice(),
    };
  });
}

/** Shards of synthetic records: each shard one video of `framesPerVideo` real train faces, plus one fake video. */
export function syntheticShards(opts: { shards: number; framesPerVideo: number; sizePx: number; seed?: number }): ShardRecord[][] {
  const out: ShardRecord[][] = [];
  for (let s = 0; s < opts.shards; s++) {
    const real = syntheticRecords({ videoId: `real${s}`, frames: opts.framesPerVideo, sizePx: opts.sizePx, seed: (opts.seed ?? 1) * 100 + s });
    const fake = syntheticRecords({ videoId: `fake${s}`, frames: 2, sizePx: opts.sizePx, label: 'fake', seed: 999 + s });
    // Fakes between reals: the selection must skip them by position.
    out.push([...real.slice(0, 2), ...fake, ...real.slice(2)]);
  }
  return out;
}

export async function tempStore(): Promise<{ store: FileStore; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fsfm-train-'));
  return { store: new FileStore(dir), dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A committed set that lib/prepare's openPrepared reads: shards encoded by lib/prepare's encodeShard. */
export async function writePreparedSet(store: FileStore, prefix: string, shards: ShardRecord[][]): Promise<void> {
  const writer = new SetWriter(store, prefix);
  const names: string[] = [];
  const counts: Record<string, { real: number; fake: number }> = {};
  for (const [i, records] of shards.entries()) {
    const name = `shards/shard-${String(i).padStart(5, '0')}.bin`;
    await writer.put(name, await encodeShard(records));
    names.push(name);
    for (const r of records) (counts[r.split] ??= { real: 0, fake: 0 })[r.label]++;
  }
  await writer.commit('prepared', {
    kind: 'prepared',
    codeVersion: 'test',
    purpose: 'pretrain',
    framesPerRealVideo: 0,
    framesPerFakeVideo: 0,
    faceSizePx: shards[0][0].sizePx,
    regionMaps: true,
    imageFormat: 'png',
    faces: shards.flat().length,
    counts,
    videoCounts: {},
    shards: names,
    shardsBySplit: { train: names },
    videos: { done: shards.length, failed: 0 },
  });
}

/** A pretraining config for the 32 px test model (16 patches): 2 epochs, batch 4, accumIter 2. */
export function tinyConfig(overrides: PretrainConfigInput = {}): PretrainConfigInput {
  return {
    epochs: 2,
    warmupEpochs: 0.5,
    batchSize: 4,
    accumIter: 2,
    baseLr: 0.05,
    checkpointEverySteps: 2,
    keepLastCheckpoints: 2,
    seed: 3,
    ...overrides,
    model: { preset: 'demo', arch: TEST_ARCH, ...overrides.model },
    data: { splits: ['train'], shuffleWindowShards: 2, ...overrides.data },
    tensor: { backend: 'wasm', ...overrides.tensor },
  };
}
