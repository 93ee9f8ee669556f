/**
 * Seeded parameter initialisation (the reference's `initialize_weights`, deterministic by seed).
 *
 * Each parameter draws from its own stream, seeded from (seed, parameter name), so values do not
 * depend on creation order and adding a parameter elsewhere does not change the others.
 */

export type InitSpec =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'normal'; std: number }
  /** Glorot/Xavier uniform: U(±√(6/(fanIn+fanOut))), as torch.nn.init.xavier_uniform_. */
  | { kind: 'xavier-uniform'; fanIn: number; fanOut: number }
  /** He/Kaiming normal, mode fan_out, ReLU gain: N(0, 2/fanOut), as torch.nn.init.kaiming_normal_. */
  | { kind: 'kaiming-normal-fan-out'; fanOut: number };

export function initValues(spec: InitSpec, size: number, seed: number, name: string): Float32Array {
  const out = new Float32Array(size);
  switch (spec.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'xavier-uniform': {
      const bound = Math.sqrt(6 / (spec.fanIn + spec.fanOut));
      const rand = streamFor(seed, name);
      for (let i = 0; i < size; i++) out[i] = (2 * rand() - 1) * bound;
      return out;
    }
    case 'normal':
      return fillNormal(out, spec.std, streamFor(seed, name));
    case 'kaiming-normal-fan-out':
      return fillNormal(out, Math.sqrt(2 / spec.fanOut), streamFor(seed, name));
  }
}

function fillNormal(out: Float32Array, std: number, rand: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    // Box-Muller; 1 - u keeps log() away from 0.
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const theta = 2 * Math.PI * rand();
    out[i] = r * Math.cos(theta) * std;
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta) * std;
  }
  return out;
}

/** A uniform [0,1) generator seeded from (seed, name): FNV-1a of the name mixed into splitmix32. */
export function streamFor(seed: number, name: string): () => number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let state = h >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}
