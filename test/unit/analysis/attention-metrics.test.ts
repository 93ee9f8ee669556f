import { describe, expect, it } from 'vitest';
import {
  type AttentionMaps,
  attentionRollout,
  headKlMatrix,
  klPerHead,
  meanAttentionDistancePx,
  meanClsAttentionMaps,
  patchDistancesPx,
} from '../../../lib/analysis/attention-metrics.js';

/** [H][T][T] rows -> AttentionMaps for one image. */
function maps(rowsPerHead: number[][][]): AttentionMaps {
  const heads = rowsPerHead.length;
  const tokens = rowsPerHead[0].length;
  return { data: Float32Array.from(rowsPerHead.flat(2)), batch: 1, heads, tokens };
}

// 2×2 grid of 10 px patches plus CLS: tokens 0 = CLS, 1..4 = patches (0,0) (0,1) (1,0) (1,1).
const geometry = { gridSize: 2, patchSizePx: 10, prefixTokens: 1 };
const uniformCls = [0.2, 0.2, 0.2, 0.2, 0.2];
const onehot = (t: number, w = 1, rest: Record<number, number> = {}) =>
  Array.from({ length: 5 }, (_, k) => (k === t ? w : 0) + (rest[k] ?? 0));

describe('mean attention distance', () => {
  it('patch centres are patchSize apart horizontally and patchSize·√2 diagonally', () => {
    const d = patchDistancesPx(2, 10);
    expect(Array.from(d)).toEqual([0, 10, 10, 10 * Math.SQRT2, 10, 0, 10 * Math.SQRT2, 10, 10, 10 * Math.SQRT2, 0, 10, 10 * Math.SQRT2, 10, 10, 0]);
  });

  it('matches hand-computed values: self 0 px, diagonal 14.142 px with CLS weight renormalised away, uniform 8.536 px', () => {
    const selfHead = [uniformCls, onehot(1), onehot(2), onehot(3), onehot(4)];
    // Half on CLS, half on the diagonally opposite patch: renormalised over patches -> all of it 10·√2 away.
    const diagonalHead = [uniformCls, onehot(0, 0.5, { 4: 0.5 }), onehot(0, 0.5, { 3: 0.5 }), onehot(0, 0.5, { 2: 0.5 }), onehot(0, 0.5, { 1: 0.5 })];
    // Uniform over the 4 patches: (0 + 10 + 10 + 14.1421) / 4 = 8.5355 from every query.
    const u = [0, 0.25, 0.25, 0.25, 0.25];
    const uniformHead = [uniformCls, u, u, u, u];
    const d = meanAttentionDistancePx(maps([selfHead, diagonalHead, uniformHead]), geometry);
    expect(d[0]).toBeCloseTo(0, 10);
    expect(d[1]).toBeCloseTo(14.142136, 5);
    expect(d[2]).toBeCloseTo(8.535534, 5);
  });

  it('averages over images', () => {
    const near = maps([[uniformCls, onehot(1), onehot(2), onehot(3), onehot(4)]]);
    const far = maps([[uniformCls, onehot(4), onehot(3), onehot(2), onehot(1)]]);
    const both: AttentionMaps = { ...near, batch: 2, data: Float32Array.from([...near.data, ...far.data]) };
    expect(meanAttentionDistancePx(both, geometry)[0]).toBeCloseTo((0 + 10 * Math.SQRT2) / 2, 5);
  });

  it('rejects maps whose token count does not fit the grid', () => {
    expect(() => meanAttentionDistancePx(maps([[[1, 0], [0, 1]]]), geometry)).toThrow(/2 tokens; a 2² grid plus 1 prefix token\(s\) needs 5/);
  });
});

describe('KL divergence between heads', () => {
  // Two heads over 2 tokens.
  const m = maps([
    [[0.5, 0.5], [0.9, 0.1]],
    [[0.25, 0.75], [0.5, 0.5]],
  ]);

  it('KL(i‖j) is the mean over queries of Σ_k p_i ln(p_i/p_j), by hand', () => {
    // KL(0‖1): q0 = .5·ln 2 + .5·ln(2/3) = 0.143841; q1 = .9·ln 1.8 + .1·ln .2 = 0.368064; mean 0.255953.
    // KL(1‖0): q0 = .25·ln .5 + .75·ln 1.5 = 0.130812; q1 = .5·ln(5/9) + .5·ln 5 = 0.510826; mean 0.320819.
    const kl = headKlMatrix(m);
    expect(kl[0][0]).toBe(0);
    expect(kl[1][1]).toBe(0);
    expect(kl[0][1]).toBeCloseTo(0.255953, 5);
    expect(kl[1][0]).toBeCloseTo(0.320819, 5);
    expect(klPerHead(kl)).toEqual(kl.map((row, i) => row[1 - i]));
  });

  it('identical heads have zero divergence; three heads average over the other two', () => {
    const same = maps([[[0.3, 0.7], [0.6, 0.4]], [[0.3, 0.7], [0.6, 0.4]], [[0.5, 0.5], [0.5, 0.5]]]);
    const kl = headKlMatrix(same);
    expect(kl[0][1]).toBeCloseTo(0, 7);
    expect(kl[0][2]).toBeGreaterThan(0);
    expect(klPerHead(kl)[0]).toBeCloseTo(kl[0][2] / 2, 7);
  });
});

describe('mean attention map and rollout', () => {
  it('the mean map is the CLS row over patches, averaged over heads and renormalised', () => {
    const rest = [onehot(1), onehot(2), onehot(3), onehot(4)];
    const m = maps([[[0, 0.4, 0.2, 0.2, 0.2], ...rest], [[0.5, 0.5, 0, 0, 0], ...rest]]);
    // mean over heads on patches: [.45, .1, .1, .1], sum .75
    const [map] = meanClsAttentionMaps(m, geometry);
    expect(Array.from(map).map((v) => +v.toFixed(6))).toEqual([0.6, 0.133333, 0.133333, 0.133333]);
  });

  it('rollout of ½A + ½I over one and two blocks, read by the mean patch token, by hand', () => {
    // Every patch attends only to patch 0 (token 1).
    const toFirst = maps([[uniformCls, onehot(1), onehot(1), onehot(1), onehot(1)]]);
    // One block: patch rows of ½A + ½I are e1 (query 1), ½e1 + ½e_q otherwise -> column sums [2.5, .5, .5, .5] / 4.
    expect(Array.from(attentionRollout([toFirst], geometry)[0])).toEqual([0.625, 0.125, 0.125, 0.125]);
    // Two blocks: rows become ¾e1 + ¼e_q -> [3.25, .25, .25, .25] / 4.
    const [two] = attentionRollout([toFirst, toFirst], geometry);
    expect(Array.from(two).map((v) => +v.toFixed(6))).toEqual([0.8125, 0.0625, 0.0625, 0.0625]);
  });
});
