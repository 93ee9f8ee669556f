import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { parsePretrainConfig, peakLr, pretrainOptionsSchema, pretrainPreset } from '../../../lib/train/options.js';
import { learningRate, stepPlan, stepPosition } from '../../../lib/train/schedule.js';

describe('learning-rate schedule', () => {
  const s = { peakLr: 6e-4, minLr: 1e-6, warmupEpochs: 40, epochs: 400 };

  it('warms up linearly from 0 to the peak over warmupEpochs', () => {
    expect(learningRate(0, s)).toBe(0);
    expect(learningRate(10, s)).toBeCloseTo(1.5e-4, 12);
    expect(learningRate(20.5, s)).toBeCloseTo((6e-4 * 20.5) / 40, 12);
    expect(learningRate(40, s)).toBeCloseTo(6e-4, 12);
  });

  it('then follows a half-cycle cosine down to minLr', () => {
    expect(learningRate(220, s)).toBeCloseTo(1e-6 + (6e-4 - 1e-6) / 2, 12); // half way: cos = 0
    expect(learningRate(130, s)).toBeCloseTo(1e-6 + ((6e-4 - 1e-6) * (1 + Math.SQRT1_2)) / 2, 12);
    expect(learningRate(400, s)).toBeCloseTo(1e-6, 12);
    const lrs = [50, 100, 200, 300, 399].map((e) => learningRate(e, s));
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]).toBeLessThan(lrs[i - 1]);
  });

  it('peak lr is baseLr × batchSize × accumIter / 256 (1.5e-4 × 1024 / 256 with the defaults)', () => {
    const c = parsePretrainConfig();
    expect(peakLr(c)).toBeCloseTo(6e-4, 12);
    expect(peakLr({ baseLr: 1.5e-4, batchSize: 256, accumIter: 16 })).toBeCloseTo(2.4e-3, 12);
  });
});

describe('step plan', () => {
  it('drops the last partial batch and partial accumulation cycle of every epoch', () => {
    const plan = stepPlan(103, { batchSize: 10, accumIter: 3, epochs: 5 });
    expect(plan).toMatchObject({ batchesPerEpoch: 10, stepsPerEpoch: 3, totalSteps: 15 });
    expect(stepPosition(plan, 0)).toEqual({ epoch: 0, batchInEpoch: 0, epochFloat: 0 });
    expect(stepPosition(plan, 2)).toEqual({ epoch: 0, batchInEpoch: 6, epochFloat: 0.6 });
    expect(stepPosition(plan, 4)).toEqual({ epoch: 1, batchInEpoch: 3, epochFloat: 1.3 });
  });

  it('refuses a data set too small for one step', () => {
    expect(() => stepPlan(7, { batchSize: 4, accumIter: 2, epochs: 1 })).toThrow(InvalidConfig);
  });
});

describe('pretraining options', () => {
  it("defaults are the paper's", () => {
    const c = parsePretrainConfig();
    expect(c).toMatchObject({
      epochs: 400, warmupEpochs: 40, batchSize: 256, accumIter: 4, baseLr: 1.5e-4, minLr: 0, weightDecay: 0.05,
      betas: [0.9, 0.95], clipGrad: null, keepLastCheckpoints: 3, seed: 0, maxSteps: null,
    });
    expect(c.model.preset).toBe('base');
    expect(c.model.lambdaFr).toBe(0.007);
    expect(c.masking).toMatchObject({ strategy: 'crfr-p', maskRatio: 0.75, imageSizePx: 224, patchSizePx: 16 });
    expect(c.data.splits).toEqual(['train', 'val']);
    expect(c.data.normalization).toBe('dataset');
  });

  it('the bare schema applies nested defaults too (prefault)', () => {
    const c = pretrainOptionsSchema.parse({});
    expect(c.model.emaBase).toBe(0.996);
    expect(c.tensor.backend).toBe('auto');
  });

  it('masking geometry follows the model when not given, and must match it when given', () => {
    const c = parsePretrainConfig({ model: { preset: 'demo' } });
    expect(c.masking).toMatchObject({ imageSizePx: 112, patchSizePx: 8 });
    expect(() => parsePretrainConfig({ model: { preset: 'demo' }, masking: { imageSizePx: 224, patchSizePx: 16 } })).toThrow(/masking geometry/);
  });

  it('the demo preset is the demo model at batch 8 for a couple of epochs', () => {
    const c = pretrainPreset('demo', { seed: 5 });
    expect(c).toMatchObject({ batchSize: 8, accumIter: 1, epochs: 2, seed: 5 });
    expect(c.model.preset).toBe('demo');
    expect(c.masking.imageSizePx).toBe(112);
  });

  it('rejects inconsistent settings with every problem named', () => {
    expect(() => parsePretrainConfig({ epochs: 10, warmupEpochs: 10 })).toThrow(/warmupEpochs/);
    expect(() => parsePretrainConfig({ model: { dropPathRate: 0.1 } })).toThrow(/drop path/);
    expect(() => parsePretrainConfig({ batchSize: 0, betas: [1, 0.9] } as never)).toThrow(/batchSize.*betas|betas.*batchSize/s);
    expect(() => parsePretrainConfig({ bogus: 1 } as never)).toThrow(InvalidConfig);
  });
});
