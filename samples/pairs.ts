/**
 * Who is swapped onto whom, and the splits. FF++ pairs ids off: a pair [a, b] yields the fakes a_b (target a,
 * source b) and b_a, and a split lists pairs. We do the same after a seeded shuffle; with an odd count the last
 * three ids form a cycle a_b, b_c, c_a (listed as pairs [a, b], [b, c], [c, a] in one split), so every identity
 * is a target exactly once and a source exactly once: a derangement made of 2- and 3-cycles.
 */
import { Rng } from '../lib/masking/rng.js';

export type Split = 'train' | 'val' | 'test';
export type Pair = [string, string];

export interface Swap {
  target: string;
  source: string;
}

export interface Pairing {
  /** Cycles of ids (length 2, and one of length 3 when the count is odd), in shuffled order. */
  groups: string[][];
  /** Every fake to make, in target order. */
  swaps: Swap[];
  /** The contents of splits/{train,val,test}.json. */
  splits: Record<Split, Pair[]>;
}

/**
 * Seed of one of the dataset's random streams: 0 = pairing, 1 + k = identity k's camera. Separate streams keep
 * the pairs independent of the camera code and each camera independent of how many identities are used.
 */
export function streamSeed(seed: number, stream: number): number {
  return seed * 256 + stream;
}

/** FF++'s official split sizes are 720 / 140 / 140 videos: 14% each for val and test. */
const HELD_OUT_FRACTION = 0.14;

export function pairIdentities(ids: readonly string[], seed: number): Pairing {
  const rng = Rng.fromSeed(streamSeed(seed, 0));
  const order = [...ids];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const groups: string[][] = [];
  for (let i = 0; i + 1 < order.length; i += 2) groups.push(order.slice(i, i + 2));
  if (order.length % 2 === 1 && groups.length > 0) groups[groups.length - 1].push(order[order.length - 1]);

  const swaps = groups
    .flatMap((g) => g.map((target, k) => ({ target, source: g[(k + 1) % g.length] })))
    .sort((a, b) => a.target.localeCompare(b.target));

  // Held-out groups come first in the shuffled order: test, then val; the rest train. With fewer than three
  // groups train is filled first, then test.
  const held = groups.length >= 3 ? Math.max(1, Math.ceil(HELD_OUT_FRACTION * groups.length)) : 0;
  const testGroups = groups.length >= 3 ? groups.slice(0, held) : groups.slice(1);
  const valGroups = groups.length >= 3 ? groups.slice(held, 2 * held) : [];
  const trainGroups = groups.length >= 3 ? groups.slice(2 * held) : groups.slice(0, 1);
  const asPairs = (gs: string[][]): Pair[] =>
    gs.flatMap((g): Pair[] => (g.length === 2 ? [[g[0], g[1]]] : g.map((a, k): Pair => [a, g[(k + 1) % g.length]])));
  return { groups, swaps, splits: { train: asPairs(trainGroups), val: asPairs(valGroups), test: asPairs(testGroups) } };
}
