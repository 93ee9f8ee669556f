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

/**
 * `photos` (parallel to `ids`: the photo each face comes from), when given and the faces come from at least three
 * photos, makes the splits photo-disjoint: test and val take whole photos (in a seeded order, those that fit in
 * 14% of the ids, at least two), train the rest, and faces are paired within their split only. Faces of one photo
 * share lighting, camera and often the person's look, so a held-out split that shares a photo with train is not
 * unseen. When the photos cannot give every split two faces (a few faces from few photos), the pairing falls
 * back to the one without photos.
 */
export function pairIdentities(ids: readonly string[], seed: number, photos?: readonly string[]): Pairing {
  const byPhoto = photos && new Set(photos).size >= 3 ? pairByPhoto(ids, seed, photos) : null;
  if (byPhoto) return byPhoto;
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

/** Photo-disjoint pairing, or null when the photos cannot give every split two faces. */
function pairByPhoto(ids: readonly string[], seed: number, photos: readonly string[]): Pairing | null {
  if (photos.length !== ids.length) throw new Error(`pairIdentities: ${ids.length} ids but ${photos.length} photos`);
  const rng = Rng.fromSeed(streamSeed(seed, 0));
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
  const byPhoto = new Map<string, string[]>();
  ids.forEach((id, k) => byPhoto.set(photos[k], [...(byPhoto.get(photos[k]) ?? []), id]));
  const units = shuffle([...byPhoto.keys()].sort()).map((photo) => shuffle([...byPhoto.get(photo)!]));
  const target = Math.max(2, 2 * Math.ceil(HELD_OUT_FRACTION * Math.floor(ids.length / 2)));
  // Test, then val, take the photos (in the seeded order) that fit in `target` ids; one that ends with fewer than
  // two takes the smallest photo left; train keeps the rest (so a large photo stays in train).
  const members: Record<Split, string[]> = { test: [], val: [], train: [] };
  const left = [...units];
  for (const split of ['test', 'val'] as const) {
    for (let k = 0; k < left.length; ) {
      if (members[split].length + left[k].length <= target) members[split].push(...left.splice(k, 1)[0]);
      else k++;
    }
    if (members[split].length < 2 && left.length > 0) {
      const smallest = left.reduce((best, u, k) => (u.length < left[best].length ? k : best), 0);
      members[split].push(...left.splice(smallest, 1)[0]);
    }
  }
  for (const unit of left) members.train.push(...unit);
  if (members.train.length < 2 || members.test.length < 2 || members.val.length < 2) return null;
  const groupsOf = (order: string[]): string[][] => {
    const gs: string[][] = [];
    for (let i = 0; i + 1 < order.length; i += 2) gs.push(order.slice(i, i + 2));
    if (order.length % 2 === 1 && gs.length > 0) gs[gs.length - 1].push(order[order.length - 1]);
    return gs;
  };
  const asPairs = (gs: string[][]): Pair[] =>
    gs.flatMap((g): Pair[] => (g.length === 2 ? [[g[0], g[1]]] : g.map((a, k): Pair => [a, g[(k + 1) % g.length]])));
  const split = { test: groupsOf(members.test), val: groupsOf(members.val), train: groupsOf(members.train) };
  const groups = [...split.test, ...split.val, ...split.train];
  const swaps = groups
    .flatMap((g) => g.map((target, k) => ({ target, source: g[(k + 1) % g.length] })))
    .sort((a, b) => a.target.localeCompare(b.target));
  return { groups, swaps, splits: { train: asPairs(split.train), val: asPairs(split.val), test: asPairs(split.test) } };
}
