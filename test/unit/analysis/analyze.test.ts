import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCheckpoint, checkpointKind, type AnalysisProgress } from '../../../lib/analysis/analyze.js';
import { analyzeCheckpointInChild } from '../../../lib/analysis/child-runner.js';
import { renderAnalysisHtml, renderAnalysisMarkdown } from '../../../lib/analysis/figures.js';
import { ANALYSIS_SET_KIND, writeAnalysis } from '../../../lib/analysis/write.js';
import { parseWorkflowInput } from '../../../lib/config/index.js';
import { readMember, readSet } from '../../../lib/store/sets.js';
import { InvalidConfig, NotFound } from '../../../lib/errors.js';
import { classifierWeights, writeSelectedModel } from '../../../lib/finetune/checkpoint.js';
import { parseFinetuneConfig } from '../../../lib/finetune/options.js';
import { Rng } from '../../../lib/masking/rng.js';
import { ClassifierModel } from '../../../lib/model/heads.js';
import { FsfmModel } from '../../../lib/model/model.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import { AdamW } from '../../../lib/train/adamw.js';
import { modelWeights, writeCheckpoint } from '../../../lib/train/checkpoint.js';
import { parsePretrainConfig } from '../../../lib/train/options.js';
import { writeFaceSet } from '../finetune/face-set.js';
import { TINY_ARCH, lcg, useTestBackend } from '../finetune/helpers.js';
import { tempStore } from '../train/helpers.js';

const STATS: { mean: [number, number, number]; std: [number, number, number] } = { mean: [0.5, 0.45, 0.4], std: [0.25, 0.24, 0.23] };

/** Random 32 px faces: 6 per split. */
function records(): ShardRecord[] {
  const rand = lcg(9);
  return Array.from({ length: 12 }, (_, i) => ({
    faceId: `face-${i}`,
    dataset: 'random',
    videoId: `video-${i}`,
    label: i % 2 ? ('fake' as const) : ('real' as const),
    split: i < 6 ? 'train' : 'test',
    group: `video-${i}`,
    frameIndex: 0,
    sizePx: 32,
    image: Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rand() * 256)),
    regionMap: new Uint8Array(0),
  }));
}

describe('analyzeCheckpoint', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    await useTestBackend();
    ctx = await tempStore();
    await writeFaceSet(ctx.store, 'prepared/faces', records());
    const source = new FsfmModel({ preset: 'demo', arch: TINY_ARCH, seed: 5 });
    const adamw = new AdamW(source.paramGroups(), { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    await writeCheckpoint(
      ctx.store,
      'pre',
      {
        ...modelWeights(source),
        optimizer: adamw.state(),
        state: {
          format: 'fsfm-pretrain-state/1', step: 3, totalSteps: 3, epoch: 0, batchInEpoch: 3,
          maskRng: Rng.fromSeed(1).state(), shuffle: { seed: 0, windowShards: 1 }, normalization: STATS,
          data: { shards: [], total: 0, splits: ['train'] },
          config: parsePretrainConfig({ model: { preset: 'demo', arch: TINY_ARCH } }),
          skippedBatches: 0, lastLosses: null, backend: 'wasm', trainMs: 0,
        },
      },
      { keepLast: 1 },
    );
    adamw.dispose();
    source.dispose();
    const clf = new ClassifierModel({ preset: 'demo', arch: TINY_ARCH, head: 'dfd', seed: 2 });
    const cfg = parseFinetuneConfig({ task: 'dfd', model: { preset: 'demo', arch: TINY_ARCH } } as never);
    await writeSelectedModel(ctx.store, 'ft', classifierWeights(clf), {
      step: 4, epoch: 0, valLoss: 0.7, selection: cfg.selection,
      input: { task: 'dfd', model: clf.options, imageSizePx: 32, normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, evalTransform: { kind: 'dfd', cropPct: 0.875 } },
    });
    clf.dispose();
  });
  afterAll(async () => {
    await ctx?.cleanup();
  });

  it('tells pretrained from finetuned checkpoints and names what is missing', async () => {
    expect(await checkpointKind(ctx.store, 'runs/pre/pretrain')).toBe('pretrained');
    expect(await checkpointKind(ctx.store, 'runs/ft/finetune')).toBe('finetuned');
    await expect(checkpointKind(ctx.store, 'runs/none')).rejects.toThrow(NotFound);
    await expect(checkpointKind(ctx.store, 'prepared/faces')).rejects.toThrow(/holds a prepared set/);
  });

  it('a pretrained encoder: per block and head distances within the image, KL ≥ 0, last-block maps that sum to 1', async () => {
    const s = await analyzeCheckpoint({ backend: 'wasm', store: ctx.store, checkpoint: 'runs/pre/pretrain', prepared: 'prepared/faces', split: 'test', faces: 5, mapFaces: 2, batchSize: 2, label: 'tiny' });
    expect(s.kind).toBe('pretrained');
    expect(s.mapKind).toBe('mean-attention');
    expect(s.faces).toBe(5);
    expect(s.meanDistancePx).toHaveLength(TINY_ARCH.depth!);
    for (const heads of s.meanDistancePx) {
      expect(heads).toHaveLength(TINY_ARCH.numHeads!);
      // 4×4 grid of 8 px patches: distances lie between 0 and the diagonal 3·8·√2.
      for (const d of heads) expect(d).toBeGreaterThan(0), expect(d).toBeLessThan(3 * 8 * Math.SQRT2);
    }
    for (const heads of s.klPerHead) for (const k of heads) expect(k).toBeGreaterThanOrEqual(0);
    expect(s.maps).toHaveLength(2);
    expect(s.maps[0].faceId).toBe('face-6');
    expect(s.maps[0].map).toHaveLength(16);
    expect(s.maps[0].map.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(Buffer.from(s.maps[0].facePngBase64, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('a finetuned detector gets rollout maps; the page draws both side by side', async () => {
    const pre = await analyzeCheckpoint({ backend: 'wasm', store: ctx.store, checkpoint: 'runs/pre/pretrain', prepared: 'prepared/faces', faces: 4, mapFaces: 1, label: 'pretrained' });
    const ft = await analyzeCheckpoint({ backend: 'wasm', store: ctx.store, checkpoint: 'runs/ft/finetune', prepared: 'prepared/faces', faces: 4, mapFaces: 1, label: 'finetuned' });
    expect(ft.mapKind).toBe('rollout');
    expect(ft.meanDistancePx).not.toEqual(pre.meanDistancePx);
    const html = renderAnalysisHtml([pre, ft]);
    expect(html.match(/class="head-dot"/g)).toHaveLength(2 * 2 * 2);
    expect(html.match(/class="kl-line"/g)).toHaveLength(2);
    expect(html.match(/class="attention-overlay"/g)).toHaveLength(2);
    expect(html.match(/class="attention-cell"/g)).toHaveLength(2 * 16);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(renderAnalysisMarkdown([pre, ft]).split('\n').filter((l) => l.startsWith('| pretrained'))).toHaveLength(2);
  });

  it('reconstructionFaces: a pretrained checkpoint gets masked / reconstruction / original panels with its own mask ratio; a finetuned one none', async () => {
    const pre = await analyzeCheckpoint({ backend: 'wasm', store: ctx.store, checkpoint: 'runs/pre/pretrain', prepared: 'prepared/faces', split: 'test', faces: 3, mapFaces: 0, reconstructionFaces: 2, label: 'pre' });
    expect(pre.reconstructions?.normPixLoss).toBe(true);
    const random = pre.reconstructions!.strategies.find((s) => s.strategy === 'random')!;
    expect(random.maskRatio).toBe(0.75);
    expect(random.faces.map((f) => f.faceId)).toEqual(['face-6', 'face-7']);
    expect(renderAnalysisHtml([pre]).match(/class="reconstruction-panel"/g)).toHaveLength(2);
    expect(renderAnalysisMarkdown([pre])).toMatch(/\| pre \| random \| 0.75 \| 2 \| \d/);
    const ft = await analyzeCheckpoint({ backend: 'wasm', store: ctx.store, checkpoint: 'runs/ft/finetune', prepared: 'prepared/faces', faces: 2, mapFaces: 0, reconstructionFaces: 2 });
    expect(ft.reconstructions).toBeUndefined();
  });

  it('writeAnalysis commits summary.json, report.md and a self-contained report.html as one set', async () => {
    const pre = await analyzeCheckpoint({ backend: 'wasm', store: ctx.store, checkpoint: 'runs/pre/pretrain', prepared: 'prepared/faces', faces: 3, mapFaces: 1, label: 'pretrained' });
    const w = await writeAnalysis(ctx.store, 'an1', [pre], '2026-01-01T00:00:00Z');
    expect(w.reportHtmlKey).toBe('runs/an1/analysis/report.html');
    const set = (await readSet<{ checkpoints: { label: string; faces: number }[] }>(ctx.store, 'runs/an1/analysis'))!;
    expect(set.kind).toBe(ANALYSIS_SET_KIND);
    expect(set.meta.checkpoints).toEqual([expect.objectContaining({ label: 'pretrained', faces: 3 })]);
    const summary = JSON.parse((await readMember(ctx.store, set, 'summary.json')).toString('utf8'));
    expect(summary.summaries[0].meanDistancePx).toEqual(pre.meanDistancePx);
    expect((await readMember(ctx.store, set, 'report.html')).toString('utf8')).toMatch(/class="attention-distance-chart"/);
  });

  it('the Analyze workflow input: defaults, unique labels, one-line errors', () => {
    const input = parseWorkflowInput('Analyze', { checkpoints: [{ checkpoint: 'runs/pre/pretrain' }], prepared: 'prepared/faces' });
    expect(input).toMatchObject({ faces: 32, mapFaces: 4, reconstructionFaces: 2, batchSize: 8, checkpoints: [{ checkpoint: 'runs/pre/pretrain', branch: 'online' }] });
    expect(() => parseWorkflowInput('Analyze', { checkpoints: [{ checkpoint: 'a', label: 'x' }, { checkpoint: 'b', label: 'x' }], prepared: 'p' })).toThrow(/checkpoint labels must be unique/);
    expect(() => parseWorkflowInput('Analyze', { checkpoints: [], prepared: 'p' })).toThrow(/invalid Analyze input: checkpoints/);
  });

  it('rejects a bad face count with a message naming it', async () => {
    await expect(analyzeCheckpoint({ backend: 'wasm', store: ctx.store, checkpoint: 'runs/pre/pretrain', prepared: 'prepared/faces', faces: 0, mapFaces: 1 })).rejects.toThrow(InvalidConfig);
  });

  it('in a child process (as the Analyze activity runs it): the same summary as in process, progress per batch, typed errors', async () => {
    const opts = { backend: 'wasm' as const, checkpoint: 'runs/pre/pretrain', prepared: 'prepared/faces', split: 'test', faces: 5, mapFaces: 1, reconstructionFaces: 1, batchSize: 2, label: 'tiny' };
    const here: AnalysisProgress[] = [];
    const inProcess = await analyzeCheckpoint({ ...opts, store: ctx.store, onProgress: (p) => here.push(p) });
    expect(here).toEqual([{ faces: 2, of: 5 }, { faces: 4, of: 5 }, { faces: 5, of: 5 }]);
    const seen: AnalysisProgress[] = [];
    // The worker's event loop stays free meanwhile: a timer keeps firing while the child computes.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      const inChild = await analyzeCheckpointInChild({ ...opts, storeUri: ctx.store.uri, onProgress: (p) => seen.push(p) }).result;
      expect(inChild).toEqual(JSON.parse(JSON.stringify(inProcess)));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(5);
    expect(seen).toEqual(here);
    await expect(analyzeCheckpointInChild({ ...opts, faces: 0, storeUri: ctx.store.uri }).result).rejects.toThrow(InvalidConfig);
  }, 120_000);
});
