/**
 * FsfmPipeline's evaluation plan: the source's test split (per DiFF subset with each subset's own model when the
 * finetune selected per domain) plus the unseen test sets. A pure function of the workflow, run here without Temporal.
 */
import { describe, expect, it } from 'vitest';
import { evaluationPlan } from '../../../workflows/pipeline.js';

const base = { trainName: 'diff', trainPrefix: 'prepared/abc', unseen: [{ name: 'cdf', prepared: 'prepared/cdf' }] };

describe('evaluationPlan', () => {
  it('scores the source test split as one set with the run model when the finetune kept one model', () => {
    for (const bestByDomain of [undefined, null, {}]) {
      expect(evaluationPlan({ ...base, trainTestSplit: true, bestByDomain })).toEqual({
        testSets: [{ name: 'diff-test', prepared: 'prepared/abc', split: 'test' }, { name: 'cdf', prepared: 'prepared/cdf' }],
      });
    }
  });

  it('scores each subset of the source test split with the model selected on that subset (DiFF protocol)', () => {
    const bestByDomain = {
      T2I: { key: 'runs/ft/finetune/best-T2I/000000004', epoch: 1, valLoss: 0.3 },
      FE: { key: 'runs/ft/finetune/best-FE/000000008', epoch: 2, valLoss: 0.2 },
      'odd name': { key: 'runs/ft/finetune/best-odd/000000002', epoch: 0, valLoss: 0.4 },
    };
    expect(evaluationPlan({ ...base, trainTestSplit: true, bestByDomain })).toEqual({
      testSets: [
        { name: 'diff-test-FE', prepared: 'prepared/abc', split: 'test', domain: 'FE' },
        { name: 'diff-test-T2I', prepared: 'prepared/abc', split: 'test', domain: 'T2I' },
        { name: 'diff-test-odd_name', prepared: 'prepared/abc', split: 'test', domain: 'odd name' },
        { name: 'cdf', prepared: 'prepared/cdf' },
      ],
      modelsByDomain: { FE: bestByDomain.FE.key, T2I: bestByDomain.T2I.key, 'odd name': bestByDomain['odd name'].key },
    });
  });

  it('leaves the source test split out when asked (leave-one-domain-out), whatever the finetune kept', () => {
    expect(evaluationPlan({ ...base, trainTestSplit: false, bestByDomain: { T2I: { key: 'k' } } })).toEqual({ testSets: [{ name: 'cdf', prepared: 'prepared/cdf' }] });
  });
});
