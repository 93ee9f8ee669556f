import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { finetuneOptionsSchema } from '../../../lib/finetune/options.js';
import { classifierOptionsSchema } from '../../../lib/model/heads-options.js';

describe('finetune options', () => {
  it('default to the reference recipe and reject unknown keys', () => {
    const o = finetuneOptionsSchema.parse({});
    expect(o.layerDecay).toBe(0.65);
    expect(o.regularization).toEqual({ labelSmoothing: 0.1, mixupAlpha: 0.8, cutmixAlpha: 1.0, mixupProb: 1, mixupSwitchProb: 0.5 });
    expect(o.augment).toMatchObject({ cropScale: [0.08, 1], cropRatio: [0.75, 4 / 3], hflipProb: 0.5, evalCropPct: 0.875 });
    expect(o.augment.randAugment).toMatchObject({ numOps: 2, magnitude: 9, magnitudeStd: 0.5, opProb: 0.5 });
    expect(o.augment.randAugment.ops).toHaveLength(15);
    expect(o.augment.randomErasing).toMatchObject({ prob: 0.25, mode: 'pixel', count: 1 });
    expect(o.fasAugment).toEqual({ saturationProb: 0.5, saturationRange: [0.8, 1.2], hflipProb: 0.5 });
    expect(o.balanceWithin).toBe('video');
    expect(finetuneOptionsSchema.parse({ regularization: { mixupAlpha: 0 } }).regularization.cutmixAlpha).toBe(1);
    expect(() => finetuneOptionsSchema.parse({ mixup: 0.8 })).toThrow();
    expect(() => finetuneOptionsSchema.parse({ augment: { randAugment: { ops: ['Blur'] } } })).toThrow();
  });

  it('convert to JSON Schema for the config docs', () => {
    expect(() => z.toJSONSchema(finetuneOptionsSchema)).not.toThrow();
    expect(() => z.toJSONSchema(classifierOptionsSchema)).not.toThrow();
  });
});
