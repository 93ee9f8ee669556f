import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { PerDomainSampler } from '../../../lib/finetune/domain-sampler.js';
import { FINETUNE_PRESETS, finetunePeakLr, finetunePreset, parseFinetuneConfig } from '../../../lib/finetune/options.js';
import { learningRate } from '../../../lib/train/schedule.js';

/** `n` records of each (domain, label), interleaved so that pools are not contiguous. */
function records(domains: Record<string, { real: number; fake: number }>) {
  const out: { label: 'real' | 'fake'; domain: string; id: string }[] = [];
  for (const [domain, c] of Object.entries(domains)) {
    for (let i = 0; i < Math.max(c.real, c.fake); i++) {
      if (i < c.real) out.push({ label: 'real', domain, id: `${domain}-r${i}` });
      if (i < c.fake) out.push({ label: 'fake', domain, id: `${domain}-f${i}` });
    }
  }
  return out;
}

describe('per-domain sampler (FAS protocol)', () => {
  const recs = records({ oulu: { real: 30, fake: 50 }, casia: { real: 26, fake: 40 }, msu: { real: 25, fake: 24 }, celeb: { real: 60, fake: 60 } });

  it('every batch holds 12 real then 12 fake faces from each source domain, domains in a fixed order: 96 in all', () => {
    const s = new PerDomainSampler(recs, { real: 12, fake: 12 }, 3);
    expect(s.batchSize).toBe(96);
    expect(s.domains).toEqual(['casia', 'celeb', 'msu', 'oulu']);
    for (let it = 0; it < 25; it++) {
      const batch = Array.from(s.batch(it), (i) => recs[i]);
      expect(batch).toHaveLength(96);
      s.domains.forEach((domain, d) => {
        const part = batch.slice(d * 24, (d + 1) * 24);
        expect(part.every((r) => r.domain === domain)).toBe(true);
        expect(part.slice(0, 12).every((r) => r.label === 'real')).toBe(true);
        expect(part.slice(12).every((r) => r.label === 'fake')).toBe(true);
        // Within a pass over a pool a face is drawn at most once per batch.
        expect(new Set(part.map((r) => r.id)).size).toBe(24);
      });
    }
    expect(s.layout().slice(0, 13).map((p) => `${p.domain}/${p.label}`)).toEqual([...Array(12).fill('casia/real'), 'casia/fake']);
  });

  it('reads each pool in passes without replacement (drop_last) and reshuffles per pass; batches are a pure function of (seed, iteration)', () => {
    const s = new PerDomainSampler(recs, { real: 12, fake: 12 }, 3);
    // msu real has 25 faces: 2 batches per pass (24 used, 1 left out), then a new permutation.
    const msuReal = (it: number) => Array.from(s.batch(it).subarray(48, 60), (i) => recs[i].id);
    const pass0 = [...msuReal(0), ...msuReal(1)];
    expect(new Set(pass0).size).toBe(24);
    const pass1 = [...msuReal(2), ...msuReal(3)];
    expect(new Set(pass1).size).toBe(24);
    expect(pass1).not.toEqual(pass0);
    const again = new PerDomainSampler(recs, { real: 12, fake: 12 }, 3);
    expect(Array.from(again.batch(7))).toEqual(Array.from(s.batch(7)));
    expect(Array.from(new PerDomainSampler(recs, { real: 12, fake: 12 }, 4).batch(7))).not.toEqual(Array.from(s.batch(7)));
  });

  it('a pool smaller than its share cycles through its faces', () => {
    const s = new PerDomainSampler(records({ a: { real: 5, fake: 12 } }), { real: 12, fake: 12 }, 1);
    const reals = Array.from(s.batch(0).subarray(0, 12));
    expect(new Set(reals).size).toBe(5);
  });

  it('names faces without a domain and domains lacking a label', () => {
    expect(() => new PerDomainSampler([{ label: 'real' }, { label: 'fake', domain: 'x' }], { real: 1, fake: 1 }, 0)).toThrow(/1 of 2 have none/);
    expect(() => new PerDomainSampler(records({ a: { real: 3, fake: 3 }, b: { real: 3, fake: 0 } }), { real: 1, fake: 1 }, 0)).toThrow(/b has no fake faces/);
    expect(() => new PerDomainSampler(records({ a: { real: 3, fake: 3 } }), { real: 0, fake: 0 }, 0)).toThrow(InvalidConfig);
  });
});

describe('the FAS recipe preset', () => {
  it('is the protocol: Adam lr 1e-4 wd 1e-6 constant over 4000 iterations, validation every 100, HTER selection, no mixup', () => {
    const c = finetunePreset('fas');
    expect(c.task).toBe('fas');
    expect(c.model.head).toBe('fas');
    expect(c.optimizer).toBe('adam');
    expect(c.weightDecay).toBe(1e-6);
    expect(c.layerDecay).toBe(1);
    expect(c.data.sampling).toBe('per-domain');
    expect(c.data.perDomain).toEqual({ real: 12, fake: 12 });
    expect(c.epochs * c.data.iterationsPerEpoch!).toBe(4000);
    expect(c.data.iterationsPerEpoch).toBe(100);
    expect(c.selection).toBe('source-hter');
    expect(c.regularization).toMatchObject({ mixupProb: 0, labelSmoothing: 0 });
    const schedule = { peakLr: finetunePeakLr(c), minLr: c.minLr, warmupEpochs: c.warmupEpochs, epochs: c.epochs };
    expect(schedule.peakLr).toBe(1e-4);
    for (let step = 0; step < 4000; step += 37) expect(learningRate(step / 100, schedule)).toBeCloseTo(1e-4, 15);
  });

  it('target-domain selection needs a target domain; per-domain sampling refuses mixup', () => {
    expect(() => finetunePreset('fas', { selection: 'target-hter' })).toThrow(/target-hter.*needs data.targetDomain/);
    expect(finetunePreset('fas', { selection: 'target-hter', data: { targetDomain: 'oulu' } }).data.targetDomain).toBe('oulu');
    expect(() => finetunePreset('fas', { regularization: { mixupProb: 1, mixupAlpha: 0.8 } })).toThrow(/without mixup/);
    expect(() => parseFinetuneConfig({ ...FINETUNE_PRESETS.fas, data: { sampling: 'per-domain', perDomain: { real: 0, fake: 0 } } } as never)).toThrow(/perDomain/);
  });
});
