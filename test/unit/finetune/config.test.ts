import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import {
  FINETUNE_PRESETS,
  finetuneConfigSchema,
  finetunePeakLr,
  finetunePreset,
  parseFinetuneConfig,
} from '../../../lib/finetune/options.js';

describe('finetune run config', () => {
  it('defaults to the paper DfD recipe', () => {
    const c = parseFinetuneConfig({ init: { from: 'fsfm', checkpoint: 'runs/p/pretrain/ckpt/000000100' } });
    expect(c).toMatchObject({
      task: 'dfd',
      batchSize: 64,
      accumIter: 1,
      epochs: 10,
      baseLr: 2.5e-4,
      warmupEpochs: 5,
      minLr: 1e-6,
      weightDecay: 0.05,
      layerDecay: 0.65,
      betas: [0.9, 0.999],
      clipGrad: null,
      selection: 'source-val-loss',
      normalization: 'checkpoint',
      maxSteps: null,
      init: { from: 'fsfm', checkpoint: 'runs/p/pretrain/ckpt/000000100', branch: 'online' },
      data: { trainSplit: 'train', valSplit: 'val', sampling: 'class-balanced' },
    });
    expect(c.regularization).toMatchObject({ labelSmoothing: 0.1, mixupAlpha: 0.8, cutmixAlpha: 1.0 });
    // The head follows the task; drop path 0.1 and the ViT-B/16 encoder at 224 px are the DfD model's defaults.
    expect(c.model).toMatchObject({ head: 'dfd', preset: 'base', dropPathRate: 0.1 });
    expect(finetunePeakLr(c)).toBeCloseTo((2.5e-4 * 64) / 256, 12);
  });

  it('fills normalisation from the init: checkpoint stats for fsfm, ImageNet otherwise and for DiFF', () => {
    expect(parseFinetuneConfig({}).normalization).toBe('imagenet');
    expect(parseFinetuneConfig({ init: { from: 'pth', key: 'w/ckpt.pth' } }).normalization).toBe('imagenet');
    expect(finetunePreset('diff', { init: { from: 'fsfm', checkpoint: 'c' } })).toMatchObject({ normalization: 'imagenet', batchSize: 256, epochs: 50, baseLr: 5e-4 });
    expect(parseFinetuneConfig({ task: 'fas' }).model).toMatchObject({ head: 'fas', dropPathRate: 0, bottleneckDim: 512 });
  });

  it('the demo preset is the 112 px demo model at batch 8', () => {
    const c = finetunePreset('demo', { data: { prepared: ['prepared/x'] } });
    expect(c).toMatchObject({ batchSize: 8, epochs: 3, model: { preset: 'demo', head: 'dfd' }, data: { prepared: ['prepared/x'], valSplit: 'val' } });
    expect(c.epochs).toBeLessThanOrEqual(3);
    expect(Object.keys(FINETUNE_PRESETS)).toEqual(['paper', 'diff', 'fas', 'demo']);
  });

  it('a parsed config parses to itself', () => {
    const c = finetunePreset('demo', { init: { from: 'fsfm', checkpoint: 'c' } });
    expect(parseFinetuneConfig(c)).toEqual(c);
  });

  it('names every problem in one InvalidConfig', () => {
    let err: unknown;
    try {
      parseFinetuneConfig({
        batchSize: 7,
        warmupEpochs: 20,
        normalization: 'checkpoint',
        model: { preset: 'huge', dropPathRate: 2 },
        data: { valSplit: null },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidConfig);
    const message = (err as Error).message;
    for (const part of ['batchSize', 'warmupEpochs', 'normalization', 'model.preset', 'model.dropPathRate', 'selection']) expect(message).toContain(part);
    expect(() => parseFinetuneConfig({ model: { head: 'fas' } })).toThrow(/head follows task/);
    expect(() => parseFinetuneConfig({ mixup: 0.8 } as never)).toThrow(InvalidConfig);
    expect(() => parseFinetuneConfig({ init: { from: 'fsfm' } } as never)).toThrow(/init/);
  });

  it('converts to JSON Schema (input side) for the docs and the UI form', () => {
    const schema = z.toJSONSchema(finetuneConfigSchema, { io: 'input' }) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['task', 'init', 'model', 'data', 'normalization', 'selection', 'maxSteps']));
  });
});
