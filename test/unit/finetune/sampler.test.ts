import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { FinetuneRng } from '../../../lib/finetune/random.js';
import { WeightedSampler, classBalancedSampler, classBalancedWeights, type SampleRecord } from '../../../lib/finetune/sampler.js';

// Real: video A with 1 frame, video B with 3 frames. Fake: video C with 4 frames, one frame with no video.
const records: SampleRecord[] = [
  { label: 'real', videoId: 'A' },
  { label: 'real', videoId: 'B' },
  { label: 'real', videoId: 'B' },
  { label: 'real', videoId: 'B' },
  { label: 'fake', videoId: 'C' },
  { label: 'fake', videoId: 'C' },
  { label: 'fake', videoId: 'C' },
  { label: 'fake', videoId: 'C' },
  { label: 1 },
];

describe('class-balanced sampler', () => {
  it('per video: each class 1/2, each video an equal share of it, each frame an equal share of its video', () => {
    const w = classBalancedWeights(records, 'video');
    const expected = [1 / 4, 1 / 12, 1 / 12, 1 / 12, 1 / 16, 1 / 16, 1 / 16, 1 / 16, 1 / 4];
    expected.forEach((e, i) => expect(w[i]).toBeCloseTo(e, 12));
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('per record: each class 1/2 split equally over its frames', () => {
    const w = classBalancedWeights(records, 'record');
    [0, 1, 2, 3].forEach((i) => expect(w[i]).toBeCloseTo(1 / 8, 12));
    [4, 5, 6, 7, 8].forEach((i) => expect(w[i]).toBeCloseTo(1 / 10, 12));
  });

  it('one class alone gets all the mass; empty or negative inputs are refused', () => {
    const w = classBalancedWeights([{ label: 0, videoId: 'x' }, { label: 0, videoId: 'x' }]);
    expect([...w]).toEqual([0.5, 0.5]);
    expect(() => classBalancedWeights([])).toThrow(InvalidConfig);
    expect(() => new WeightedSampler([1, -1])).toThrow(InvalidConfig);
  });

  it('draws fake about half the time from a 10:1 imbalanced set, reproducibly by seed', () => {
    const skewed: SampleRecord[] = [
      ...Array.from({ length: 100 }, (_, i) => ({ label: 'real' as const, videoId: `r${i % 10}` })),
      ...Array.from({ length: 10 }, (_, i) => ({ label: 'fake' as const, videoId: `f${i % 2}` })),
    ];
    const sampler = classBalancedSampler(skewed);
    const idx = sampler.sample(4000, FinetuneRng.fromSeed(1));
    const fake = [...idx].filter((i) => skewed[i].label === 'fake').length / idx.length;
    expect(fake).toBeGreaterThan(0.46);
    expect(fake).toBeLessThan(0.54);
    expect(sampler.sample(50, FinetuneRng.fromSeed(2))).toEqual(sampler.sample(50, FinetuneRng.fromSeed(2)));
  });
});
