import { describe, expect, it } from 'vitest';
import { InvalidConfig, SingleClassTestSet } from '../../../lib/errors.js';
import { createRng, evalOptionsSchema, evaluateScores, type ScoreRow } from '../../../lib/eval/index.js';

/** `videos` videos of `frames` frames; fakes score higher on average, frames are noisy around their video's mean. */
function syntheticRows(videos: number, frames: number, seed = 3): ScoreRow[] {
  const rng = createRng(seed);
  const rows: ScoreRow[] = [];
  for (let v = 0; v < videos; v++) {
    const label = v % 3 === 0 ? 'real' : 'fake';
    const videoMean = (label === 'fake' ? 0.6 : 0.4) + (rng() - 0.5) * 0.3;
    for (let f = 0; f < frames; f++) {
      const score = Math.min(1, Math.max(0, videoMean + (rng() - 0.5) * 0.8));
      rows.push({ id: `v${v}/f${f}`, group: `v${v}`, label, score });
    }
  }
  return rows;
}

describe('evaluateScores', () => {
  /*
   * Two real videos and two fake videos, two frames each:
   *   real r1 {0.1, 0.5} -> 0.3   real r2 {0.2, 0.6} -> 0.4   fake f1 {0.45, 0.55} -> 0.5   fake f2 {0.9, 0.3} -> 0.6
   * Video level: every fake mean beats every real mean -> AUC 1. Frame level: fakes 0.45, 0.55, 0.9, 0.3 vs reals
   *   0.1, 0.5, 0.2, 0.6: wins 0.45 -> 2 (0.1, 0.2), 0.55 -> 3, 0.9 -> 4, 0.3 -> 2 => 11 / 16.
   */
  const rows: ScoreRow[] = [
    { id: 'r1/0', group: 'r1', label: 'real', score: 0.1 },
    { id: 'r1/1', group: 'r1', label: 'real', score: 0.5 },
    { id: 'r2/0', group: 'r2', label: 'real', score: 0.2 },
    { id: 'r2/1', group: 'r2', label: 'real', score: 0.6 },
    { id: 'f1/0', group: 'f1', label: 'fake', score: 0.45 },
    { id: 'f1/1', group: 'f1', label: 'fake', score: 0.55 },
    { id: 'f2/0', group: 'f2', label: 'fake', score: 0.9 },
    { id: 'f2/1', group: 'f2', label: 'fake', score: 0.3 },
  ];

  it('computes frame metrics over frames and video metrics over per-video mean scores', () => {
    const m = evaluateScores(rows, { bootstrap: { replicates: 0 } });
    expect(m.labelConvention).toBe('score = P(fake), fake = 1');
    expect(m.frame).toMatchObject({ n: 8, nReal: 4, nFake: 4, auc: 11 / 16 });
    expect(m.video).toMatchObject({ n: 4, nReal: 2, nFake: 2, auc: 1, eer: 0, ap: 1, hterAtEer: 0 });
    // Video means 0.3, 0.4 (real) and 0.5, 0.6 (fake); at 0.5 both fakes are called fake (>=).
    expect(m.video.balancedAccuracy).toBe(1);
    expect(m.video.eerThreshold).toBeCloseTo(0.5, 14);
    expect(m.video.accuracyThreshold).toBe(0.5);
    expect(m.frame.ci).toBeNull();
    expect(m.fas.ci).toBeNull();
  });

  it('fills the FAS block at video level with HTER at the EER threshold', () => {
    const m = evaluateScores(rows, { bootstrap: { replicates: 0 } });
    expect(m.fas).toMatchObject({ level: 'video', auc: 1, hter: 0, far: 0, frr: 0, eer: 0, liveTprAtAttackFpr1pct: 1 });
    expect(m.fas.hterThreshold).toBe(m.video.eerThreshold);
  });

  it('histograms count every item once per level, by class', () => {
    const m = evaluateScores(rows, { bootstrap: { replicates: 0 }, histogramBins: 10 });
    expect(m.frame.histogram.binEdges).toHaveLength(11);
    expect(m.frame.histogram.real.reduce((a, b) => a + b)).toBe(4);
    expect(m.frame.histogram.fake.reduce((a, b) => a + b)).toBe(4);
    // Frame 0.9 lands in bin [0.9, 1.0]; frame 0.1 in [0.1, 0.2).
    expect(m.frame.histogram.fake[9]).toBe(1);
    expect(m.frame.histogram.real[1]).toBe(1);
    expect(m.video.histogram.fake.reduce((a, b) => a + b)).toBe(2);
  });

  it('reports bootstrap CIs that contain the point estimates, reproducibly by seed', () => {
    const data = syntheticRows(60, 8);
    const options = { bootstrap: { replicates: 200, seed: 11 } };
    const m = evaluateScores(data, options);
    for (const level of [m.frame, m.video]) {
      for (const key of ['auc', 'eer', 'ap', 'balancedAccuracy', 'hterAtEer'] as const) {
        expect(level.ci![key].low).toBeLessThanOrEqual(level[key]);
        expect(level.ci![key].high).toBeGreaterThanOrEqual(level[key]);
      }
    }
    // Video-level intervals resample 60 videos, frame-level ones 480 frames: the video AUC interval is wider.
    expect(m.video.ci!.auc.high - m.video.ci!.auc.low).toBeGreaterThan(m.frame.ci!.auc.high - m.frame.ci!.auc.low);
    expect(m.fas.ci!.hter).toEqual(m.video.ci!.hterAtEer);
    expect(evaluateScores(data, options)).toEqual(m);
    expect(m.bootstrap).toMatchObject({ replicates: 200, seed: 11, confidence: 0.95 });
  });

  it('returns JSON-safe metrics (no Infinity or NaN) with a thinned ROC', () => {
    const m = evaluateScores(syntheticRows(300, 4), { bootstrap: { replicates: 20 }, rocMaxPoints: 50 });
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    expect(m.frame.roc.length).toBeLessThanOrEqual(50);
    expect(m.frame.roc[0]).toEqual({ fpr: 0, tpr: 0, threshold: null });
  });

  it('takes its defaults from one schema: 0.5 accuracy threshold, 1000 replicates, 200 ROC points', () => {
    expect(evalOptionsSchema.parse({})).toEqual({
      accuracyThreshold: 0.5,
      bootstrap: { replicates: 1000, seed: 0, confidence: 0.95 },
      rocMaxPoints: 200,
      histogramBins: 20,
    });
    expect(() => evaluateScores(rows, { accuracyThreshold: 2 })).toThrow();
  });

  it('refuses single-class, empty and NaN input with typed errors', () => {
    const allFake = rows.filter((r) => r.label === 'fake');
    expect(() => evaluateScores(allFake)).toThrow(SingleClassTestSet);
    expect(() => evaluateScores(allFake)).toThrow(/all 4 items are fake/);
    expect(() => evaluateScores([])).toThrow(InvalidConfig);
    expect(() => evaluateScores([...rows, { id: 'n', label: 'real', score: NaN }])).toThrow(/score is NaN/);
  });

  it('evaluates 16k frames with 1000 bootstrap replicates', () => {
    const data = syntheticRows(500, 32);
    const m = evaluateScores(data);
    expect(m.frame.n).toBe(16000);
    expect(m.frame.ci).not.toBeNull();
  });
});
