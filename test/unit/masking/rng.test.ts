import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { Rng } from '../../../lib/masking/rng.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('repeats the same sequence for the same seed and differs for another seed', () => {
    expect(draws(Rng.fromSeed(42), 50)).toEqual(draws(Rng.fromSeed(42), 50));
    expect(draws(Rng.fromSeed(42), 50)).not.toEqual(draws(Rng.fromSeed(43), 50));
  });

  it('uses the high bits of seeds above 2^32', () => {
    expect(draws(Rng.fromSeed(7), 8)).not.toEqual(draws(Rng.fromSeed(7 + 2 ** 32), 8));
  });

  it('resumes exactly from a JSON round-tripped state', () => {
    const rng = Rng.fromSeed(1234);
    draws(rng, 37);
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const expected = draws(rng, 100);
    expect(draws(Rng.fromState(saved), 100)).toEqual(expected);
  });

  it('returns a state snapshot that later draws do not change', () => {
    const rng = Rng.fromSeed(5);
    const state = rng.state();
    const copy = structuredClone(state);
    draws(rng, 10);
    expect(state).toEqual(copy);
  });

  it('rejects invalid seeds and states with InvalidConfig', () => {
    expect(() => Rng.fromSeed(-1)).toThrow(InvalidConfig);
    expect(() => Rng.fromSeed(1.5)).toThrow(InvalidConfig);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0] })).toThrow(InvalidConfig);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 2 ** 32] })).toThrow(InvalidConfig);
    expect(() => Rng.fromState({ algorithm: 'mulberry32', s: [1, 2, 3, 4] } as never)).toThrow(InvalidConfig);
  });

  it('nextInt stays in range and is close to uniform', () => {
    const rng = Rng.fromSeed(99);
    const counts = new Array(7).fill(0);
    const n = 70_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.nextInt(7);
      if (v >= 0 && v < 7 && Number.isInteger(v)) counts[v]++;
      else outOfRange++;
    }
    expect(outOfRange).toBe(0);
    for (const c of counts) expect(Math.abs(c - n / 7)).toBeLessThan(400); // ~4.5 sigma
    expect(() => rng.nextInt(0)).toThrow(InvalidConfig);
  });

  it('nextFloat lies in [0, 1) with mean near 1/2', () => {
    const rng = Rng.fromSeed(3);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = rng.nextFloat();
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.01);
  });
});
