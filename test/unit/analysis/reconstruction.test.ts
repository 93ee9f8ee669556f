import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderAnalysisHtml } from '../../../lib/analysis/figures.js';
import {
  NORM_PIX_EPS,
  denormalizePatches,
  onlineNetwork,
  patchStats,
  patchifyImage,
  reconstructFaces,
  reconstructionPanels,
  toRgb8,
  unpatchifyImage,
} from '../../../lib/analysis/reconstruction.js';
import type { AttentionSummary } from '../../../lib/analysis/summary.js';
import { InvalidConfig } from '../../../lib/errors.js';
import { MASKING_STRATEGIES } from '../../../lib/masking/options.js';
import { normalizePatches } from '../../../lib/model/loss.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { patchify, unpatchify } from '../../../lib/model/patchify.js';
import { decodeFacePng } from '../../../lib/prepare/png.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import { modelWeights } from '../../../lib/train/checkpoint.js';
import { TINY_ARCH, lcg, useTestBackend } from '../finetune/helpers.js';
import { faceLikeMap } from '../masking/region-maps.js';

const NORM = { mean: [0.5, 0.45, 0.4] as [number, number, number], std: [0.25, 0.24, 0.23] as [number, number, number] };

describe('reconstruction geometry', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('an impulse in patch (r, s) at (i, j, c) lands on pixel (r·p + i, s·p + j), channel c, and round-trips', () => {
    const size = 12;
    const p = 4; // 3×3 grid, P = 48
    for (const [r, s, i, j, c] of [
      [0, 0, 0, 0, 0],
      [1, 2, 3, 1, 2],
      [2, 1, 0, 3, 1],
    ]) {
      const patches = new Float32Array(size * size * 3);
      patches[(r * 3 + s) * p * p * 3 + (i * p + j) * 3 + c] = 1;
      const image = unpatchifyImage(patches, size, p);
      const hot = [...image.keys()].filter((k) => image[k] !== 0);
      expect(hot).toEqual([((r * p + i) * size + s * p + j) * 3 + c]);
      expect(patchifyImage(image, size, p)).toEqual(patches);
    }
  });

  it('patchifyImage / unpatchifyImage are exactly the model’s patchify / unpatchify (einsum nchpwq->nhwpqc)', () => {
    const size = 16;
    const p = 4;
    const pixels = Float32Array.from({ length: size * size * 3 }, (_, k) => k);
    const mine = patchifyImage(pixels, size, p);
    const theirs = tf.tidy(() => patchify(tf.tensor4d(pixels, [1, size, size, 3]), p).dataSync() as Float32Array);
    expect(Array.from(mine)).toEqual(Array.from(theirs));
    const back = tf.tidy(() => unpatchify(tf.tensor3d(mine, [1, 16, p * p * 3]), p).dataSync() as Float32Array);
    expect(Array.from(unpatchifyImage(mine, size, p))).toEqual(Array.from(back));
    expect(Array.from(back)).toEqual(Array.from(pixels));
    expect(() => unpatchifyImage(mine, 15, p)).toThrow(InvalidConfig);
  });

  it('patch statistics are those of the norm-pix target: de-normalising the loss’s target gives the original patch', () => {
    const rand = lcg(4);
    const P = 4 * 4 * 3;
    const patches = Float32Array.from({ length: 5 * P }, () => rand() * 3 - 1.5);
    // A flat patch: variance 0, scale √1e-6.
    patches.fill(0.25, 4 * P, 5 * P);
    const stats = patchStats(patches, P);
    // Hand check on patch 0: mean and √(Σ(x−μ)²/(P−1) + 1e-6).
    const first = Array.from(patches.subarray(0, P));
    const mu = first.reduce((a, b) => a + b, 0) / P;
    expect(stats.mean[0]).toBeCloseTo(mu, 12);
    expect(stats.scale[0]).toBeCloseTo(Math.sqrt(first.reduce((a, b) => a + (b - mu) ** 2, 0) / (P - 1) + NORM_PIX_EPS), 12);
    expect(stats.scale[4]).toBeCloseTo(Math.sqrt(NORM_PIX_EPS), 12);
    const target = tf.tidy(() => normalizePatches(tf.tensor3d(patches, [1, 5, P])).dataSync() as Float32Array);
    const back = denormalizePatches(target, stats, P);
    for (let k = 0; k < patches.length; k++) expect(back[k]).toBeCloseTo(patches[k], 5);
  });

  it('panels: a perfect prediction reconstructs the original; visible patches are always the original; hidden ones are blank in the masked input', () => {
    const size = 8;
    const p = 4; // 2×2 grid
    const P = p * p * 3;
    const rand = lcg(7);
    const pixels = Float32Array.from({ length: size * size * 3 }, () => rand() * 2 - 1);
    const original = patchifyImage(pixels, size, p);
    const target = tf.tidy(() => normalizePatches(tf.tensor3d(original, [1, 4, P])).dataSync() as Float32Array);
    const mask = [0, 1, 1, 0];
    const perfect = reconstructionPanels(original, target, mask, { sizePx: size, patchSizePx: p, normPixLoss: true });
    for (let k = 0; k < pixels.length; k++) expect(perfect.reconstruction[k]).toBeCloseTo(pixels[k], 5);
    expect(perfect.hiddenMse).toBeCloseTo(0, 8);

    const garbage = new Float32Array(original.length).fill(3);
    const bad = reconstructionPanels(original, garbage, mask, { sizePx: size, patchSizePx: p, normPixLoss: false });
    const patchOfPixel = (k: number) => {
      const px = Math.floor(k / 3);
      return Math.floor(Math.floor(px / size) / p) * 2 + Math.floor((px % size) / p);
    };
    for (let k = 0; k < pixels.length; k++) {
      const hidden = mask[patchOfPixel(k)] === 1;
      expect(bad.reconstruction[k]).toBe(hidden ? 3 : pixels[k]);
      expect(Number.isNaN(bad.masked[k])).toBe(hidden);
    }
    // Without norm-pix the target is the pixels: MSE over the two hidden patches.
    const hiddenSq = [...pixels.keys()].filter((k) => mask[patchOfPixel(k)] === 1).map((k) => (3 - pixels[k]) ** 2);
    expect(bad.hiddenMse).toBeCloseTo(hiddenSq.reduce((a, b) => a + b, 0) / hiddenSq.length, 5);
  });

  it('toRgb8 inverts the input normalisation', () => {
    const rgb = [0, 128, 255, 17, 200, 3];
    const x = Float32Array.from(rgb, (v, i) => (v / 255 - NORM.mean[i % 3]) / NORM.std[i % 3]);
    expect(Array.from(toRgb8(x, NORM))).toEqual(rgb);
  });
});

describe('reconstructFaces', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  function faces(withMaps: boolean): ShardRecord[] {
    const rand = lcg(11);
    return Array.from({ length: 2 }, (_, i) => ({
      faceId: `face-${i}`,
      dataset: 'random',
      videoId: `v${i}`,
      label: 'real' as const,
      split: 'test',
      group: `v${i}`,
      frameIndex: 0,
      sizePx: 32,
      image: Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rand() * 256)),
      regionMap: withMaps ? faceLikeMap(32, { hair: true }) : new Uint8Array(0),
    }));
  }

  it('draws every masking strategy on faces with region maps: three 32 px panels per face, the original as given, and a page with one panel each', async () => {
    const source = new FsfmModel({ preset: 'demo', arch: TINY_ARCH, seed: 3 });
    const net = onlineNetwork(source.arch, modelWeights(source).online);
    source.dispose();
    try {
      const records = faces(true);
      const r = await reconstructFaces({ net, normalization: NORM, normPixLoss: true, maskRatio: 0.75, records });
      expect(r.strategies.map((s) => s.strategy)).toEqual([...MASKING_STRATEGIES]);
      for (const s of r.strategies) {
        expect(s.skipped).toBeUndefined();
        expect(s.faces).toHaveLength(2);
        for (const f of s.faces) {
          expect(f.hiddenMse).toBeGreaterThan(0);
          for (const png of [f.maskedPngBase64, f.reconstructionPngBase64, f.originalPngBase64]) {
            const img = await decodeFacePng(Buffer.from(png, 'base64'), 32, f.faceId);
            expect(img).toHaveLength(32 * 32 * 3);
          }
        }
      }
      // The original panel is the face itself (the checkpoint's size, so no resampling).
      const original = await decodeFacePng(Buffer.from(r.strategies[0].faces[0].originalPngBase64, 'base64'), 32, 'original');
      expect(Buffer.from(original).equals(Buffer.from(records[0].image))).toBe(true);
      // 75% of 16 patches hidden: 12 grey 8 px squares in the masked input.
      const masked = await decodeFacePng(Buffer.from(r.strategies[0].faces[0].maskedPngBase64, 'base64'), 32, 'masked');
      let greyPatches = 0;
      for (let pr = 0; pr < 4; pr++)
        for (let pc = 0; pc < 4; pc++) {
          let grey = true;
          for (let y = 0; y < 8 && grey; y++) for (let x = 0; x < 8 && grey; x++) for (let c = 0; c < 3; c++) if (masked[((pr * 8 + y) * 32 + pc * 8 + x) * 3 + c] !== 128) grey = false;
          if (grey) greyPatches++;
        }
      expect(greyPatches).toBe(12);

      const summary = { label: 'tiny', imageSizePx: 32, gridSize: 4, patchSizePx: 8, faces: 2, meanDistancePx: [[1, 2]], klPerHead: [[0.1, 0.2]], mapKind: 'mean-attention', maps: [], reconstructions: r } satisfies AttentionSummary;
      const html = renderAnalysisHtml([summary]);
      expect(html.match(/class="reconstruction-panel"/g)).toHaveLength(5 * 2);
      for (const s of MASKING_STRATEGIES) expect(html).toContain(`data-strategy="${s}" data-face="face-1"`);
      expect(html.match(/class="recon-(masked|output|original)"/g)).toHaveLength(5 * 2 * 3);
      expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    } finally {
      net.dispose();
    }
  });

  it('without region maps only random masking is drawn; the others say why not', async () => {
    const source = new FsfmModel({ preset: 'demo', arch: TINY_ARCH, seed: 3 });
    const net = onlineNetwork(source.arch, modelWeights(source).online);
    source.dispose();
    try {
      const r = await reconstructFaces({ net, normalization: NORM, normPixLoss: false, maskRatio: 0.5, records: faces(false) });
      expect(r.strategies.filter((s) => s.faces.length).map((s) => s.strategy)).toEqual(['random']);
      expect(r.strategies.filter((s) => s.skipped).every((s) => /no region maps/.test(s.skipped!))).toBe(true);
      const html = renderAnalysisHtml([{ label: 'x', imageSizePx: 32, gridSize: 4, patchSizePx: 8, faces: 2, meanDistancePx: [[1]], klPerHead: [[0]], mapKind: 'mean-attention', maps: [], reconstructions: r }]);
      expect(html.match(/class="reconstruction-panel"/g)).toHaveLength(2);
      expect(html.match(/not drawn: the faces have no region maps/g)).toHaveLength(4);
    } finally {
      net.dispose();
    }
  });

  it('a checkpoint whose online weights do not fit says which', () => {
    const source = new FsfmModel({ preset: 'demo', arch: TINY_ARCH, seed: 3 });
    const weights = modelWeights(source).online;
    source.dispose();
    weights.delete('decoder_pred.weight');
    expect(() => onlineNetwork({ ...source.arch }, weights)).toThrow(/decoder_pred.weight is missing/);
  });
});
