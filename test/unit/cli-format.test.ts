import { describe, expect, it } from 'vitest';
import { finetuneCurve, formatResult, pretrainCurve } from '../../cli/format.js';
import type { PrepareDatasetResult } from '../../lib/config/index.js';

const point = (step: number, lRec: number) => ({ step, loss: lRec + 0.1, lRec, lFr: 2 * lRec, lCl: -0.5, lr: 1e-3 });

describe('training curves in the CLI', () => {
  it('pretraining: means of each loss component over up to eight stretches of the run', () => {
    const history = Array.from({ length: 16 }, (_, k) => point(k + 1, 1 - k / 16));
    const lines = pretrainCurve(history);
    expect(lines).toHaveLength(9);
    expect(lines[0]).toContain('L_rec | L_fr | L_cl');
    // First stretch: steps 1-2, L_rec mean (1 + 0.9375) / 2.
    expect(lines[1].trim()).toBe('1-2 | 1.0688 | 0.9688 | 1.9375 | -0.5000');
    expect(lines[8].trim()).toMatch(/^15-16 \| /);
    expect(pretrainCurve([])).toEqual([]);
    expect(pretrainCurve(history.slice(0, 3))).toHaveLength(4);
  });

  it('finetuning: train and validation loss per epoch', () => {
    const lines = finetuneCurve([
      { epoch: 0, step: 10, trainLoss: 0.7, valLoss: 0.69 },
      { epoch: 1, step: 20, trainLoss: 0.4, valLoss: null },
    ]);
    expect(lines.slice(1).map((l) => l.trim())).toEqual(['0 (10) | 0.7000 | 0.6900', '1 (20) | 0.4000 | -']);
  });

  it('the pipeline table shows AUC intervals and flags a test set whose video AUC interval includes 50%', () => {
    const text = formatResult('FsfmPipeline', {
      runId: 'r',
      stages: {
        prepare: [],
        pretrain: { stage: 'pretrain', key: 'k', status: 'ran', result: { lossHistory: [point(1, 1), point(2, 0.5)] } },
        finetune: { stage: 'finetune', key: 'k', status: 'ran', result: { history: [{ epoch: 0, step: 5, trainLoss: 0.6, valLoss: 0.65 }] } },
        evaluate: { stage: 'evaluate', key: 'k', status: 'ran' },
      },
      metrics: [
        { testSet: 'good', faces: 10, videoAuc: 0.95, frameAuc: 0.9, eer: 0.1, videoAucCi: { low: 0.8, high: 1 }, frameAucCi: { low: 0.85, high: 0.95 } },
        { testSet: 'coin', faces: 10, videoAuc: 0.6, frameAuc: 0.55, eer: 0.4, videoAucCi: { low: 0.3, high: 0.85 }, frameAucCi: { low: 0.5, high: 0.6 } },
      ],
      reportMarkdownKey: null,
      reportHtmlKey: null,
    });
    const row = (name: string) => text.split('\n').find((l) => l.startsWith(`| ${name} |`))!;
    expect(row('good')).toBe('| good | 95.00% [80.0, 100.0] | 90.00% [85.0, 95.0] | 10.00% | 10 |');
    expect(row('coin')).toContain('60.00% [30.0, 85.0] (not better than chance)');
    expect(text).toContain('pretrain curve');
    expect(text).toContain('0 (5) | 0.6000 | 0.6500');
    expect(text).toContain('model selection: source-val-loss');
    expect(text).not.toContain('TARGET-DOMAIN');
  });
});

describe('target-domain selection in the CLI summaries', () => {
  const finetune = { runId: 'ft', task: 'diff', bestKey: 'runs/ft/finetune/best/000000004', bestValLoss: 0.2, bestEpoch: 1, lastKey: null, step: 6, totalSteps: 6, resumedFromStep: null, backend: 'wasm', history: [] };

  it('Finetune says TARGET-DOMAIN SELECTION for a target rule and lists each subset’s own model', () => {
    const text = formatResult('Finetune', {
      ...finetune,
      selection: 'target-val-loss-per-domain',
      bestByDomain: { T2I: { key: 'runs/ft/finetune/best/000000002', epoch: 0, valLoss: 0.3 }, FE: { key: 'runs/ft/finetune/best/000000004', epoch: 1, valLoss: 0.1 } },
    });
    expect(text).toMatch(/selected \(target-val-loss-per-domain — TARGET-DOMAIN SELECTION \(picked on target-domain data; optimistic for cross-domain claims\)\)/);
    expect(text).toContain('selected for T2I: runs/ft/finetune/best/000000002 (epoch 0, T2I val loss 0.3000)');
    expect(text).toContain('selected for FE: runs/ft/finetune/best/000000004 (epoch 1, FE val loss 0.1000)');
    expect(formatResult('Finetune', { ...finetune, selection: 'source-val-loss' })).not.toContain('TARGET-DOMAIN');
  });

  it('Evaluate marks each test set scored with a target-selected model; FsfmPipeline names its finetune selection', () => {
    const t = { scoresKey: 's', metricsKey: 'm', faces: 4, frameAuc: 0.8, videoAuc: 0.8, eer: 0.2, hter: null };
    const text = formatResult('Evaluate', {
      runId: 'ev', reportMarkdownKey: 'r.md', reportHtmlKey: 'r.html', failed: [],
      testSets: [{ ...t, name: 'DiFF-T2I', domain: 'T2I', model: 'runs/ft/finetune/best/000000002', selection: 'target-val-loss-per-domain' }, { ...t, name: 'cdf', model: 'm', selection: 'source-val-loss' }],
    });
    const line = (name: string) => text.split('\n').find((l) => l.startsWith(`  ${name}:`))!;
    expect(line('DiFF-T2I')).toContain('[model runs/ft/finetune/best/000000002: target-val-loss-per-domain — TARGET-DOMAIN SELECTION');
    expect(line('cdf')).not.toContain('TARGET');
    const pipeline = formatResult('FsfmPipeline', {
      runId: 'r',
      stages: { prepare: [], pretrain: { status: 'ran' }, finetune: { status: 'ran', result: { ...finetune, selection: 'target-hter' } }, evaluate: { status: 'ran' } },
      metrics: [], reportMarkdownKey: null, reportHtmlKey: null,
    });
    expect(pipeline).toContain('model selection: target-hter — TARGET-DOMAIN SELECTION');
  });
});

describe('PrepareDataset summary in the CLI', () => {
  it('names partial videos with their frame counts next to the failures', () => {
    const result: PrepareDatasetResult = {
      prefix: 'prepared/x', manifestKey: 'prepared/x/faces.jsonl', summaryKey: 'prepared/x/summary.json', dataset: 'd', reused: false,
      videosTotal: 3, videosProcessed: 3, videosSkipped: 0, videosFailed: 1, faces: 20, shards: 1,
      countsBySplit: { train: { real: 20, fake: 0 } }, failedByType: { CorruptVideo: 1 },
      failures: [{ videoId: 'd/bad.mp4', type: 'CorruptVideo', message: 'no decodable frame' }],
      videosPartial: 1,
      partial: [{ videoId: 'd/cut.mp4', framesSampled: 16, framesUndecodable: 7, warning: 'd/cut.mp4: 9 of 16 sampled frames decoded, 7 skipped (ended early)' }],
    };
    const text = formatResult('PrepareDataset', result);
    expect(text).toContain('1 partial (stream cut short; the sampled frames that decode are kept)');
    expect(text).toContain('partial: d/cut.mp4: 9 of 16 sampled frames decoded, 7 skipped');
    expect(text).toContain('1 failed: 1 CorruptVideo');
  });
});
