/**
 * The FAS protocol's batch composition (MCIO leave-one-domain-out, as the reference's train_vit.py builds it): every
 * training iteration takes `perDomain.real` real and `perDomain.fake` fake faces from each source domain, concatenated domain by domain (domain 1 real, domain 1 fake, domain 2 real, …), so a
 * batch has domains × (real + fake) faces (the paper: 12 + 12 from each of 4 sources = 96).
 *
 * Each (domain, label) pool is read like the reference's per-pool data loader with drop_last: a fresh seeded
 * permutation per pass over the pool, ⌊pool / n⌋ batches per pass (the tail of a pass is not used). A pool smaller
 * than n cycles through its one permutation, so faces repeat within a batch. Iteration i's batch is a pure
 * function of (seed, i), so a resumed run draws the same faces.
 */
import { InvalidConfig } from '../errors.js';
import { FinetuneRng, subSeed } from './random.js';

export interface DomainRecord {
  label: 'real' | 'fake';
  /** The source domain; records without one cannot be sampled per domain. */
  domain?: string;
}

export interface PerDomainCounts {
  real: number;
  fake: number;
}

interface Pool {
  domain: string;
  label: 'real' | 'fake';
  count: number;
  indices: number[];
}

export class PerDomainSampler {
  readonly domains: string[];
  readonly batchSize: number;
  private readonly pools: Pool[];
  private readonly permutations = new Map<string, Int32Array>();

  constructor(
    records: readonly DomainRecord[],
    readonly perDomain: PerDomainCounts,
    private readonly seed: number,
  ) {
    if (!(Number.isInteger(perDomain.real) && perDomain.real >= 0 && Number.isInteger(perDomain.fake) && perDomain.fake >= 0) || perDomain.real + perDomain.fake === 0) {
      throw new InvalidConfig(`per-domain counts must be non-negative integers, not both 0 (got real ${perDomain.real}, fake ${perDomain.fake})`);
    }
    const noDomain = records.filter((r) => r.domain === undefined).length;
    if (noDomain > 0) {
      throw new InvalidConfig(`per-domain sampling needs a domain on every face; ${noDomain} of ${records.length} have none (prepare the set from a dataset whose layout names domains, e.g. MCIO)`);
    }
    this.domains = [...new Set(records.map((r) => r.domain!))].sort();
    this.pools = [];
    const missing: string[] = [];
    for (const domain of this.domains) {
      for (const label of ['real', 'fake'] as const) {
        const count = perDomain[label];
        if (count === 0) continue;
        const indices: number[] = [];
        records.forEach((r, i) => {
          if (r.domain === domain && r.label === label) indices.push(i);
        });
        if (indices.length === 0) missing.push(`${domain} has no ${label} faces`);
        this.pools.push({ domain, label, count, indices });
      }
    }
    if (missing.length) throw new InvalidConfig(`per-domain sampling: ${missing.join('; ')}`);
    this.batchSize = this.domains.length * (perDomain.real + perDomain.fake);
  }

  /** Record indices of iteration `iteration`'s batch, in the reference's order. */
  batch(iteration: number): Int32Array {
    const out = new Int32Array(this.batchSize);
    let o = 0;
    this.pools.forEach((pool, p) => {
      const size = pool.indices.length;
      const n = pool.count;
      const batchesPerPass = Math.max(1, Math.floor(size / n));
      const pass = Math.floor(iteration / batchesPerPass);
      const start = (iteration % batchesPerPass) * n;
      const perm = this.permutation(p, pass, size);
      for (let j = 0; j < n; j++) out[o++] = pool.indices[perm[(start + j) % size]];
    });
    return out;
  }

  /** Domain and label of each batch position (the same for every iteration). */
  layout(): { domain: string; label: 'real' | 'fake' }[] {
    return this.pools.flatMap((pool) => Array.from({ length: pool.count }, () => ({ domain: pool.domain, label: pool.label })));
  }

  private permutation(pool: number, pass: number, size: number): Int32Array {
    const key = `${pool}/${pass}`;
    let perm = this.permutations.get(key);
    if (!perm) {
      if (this.permutations.size > 4 * this.pools.length) this.permutations.clear();
      const rng = FinetuneRng.fromSeed(subSeed(this.seed, 'domain-pool', pool, pass));
      perm = Int32Array.from(rng.shuffle(Array.from({ length: size }, (_, i) => i)));
      this.permutations.set(key, perm);
    }
    return perm;
  }
}
