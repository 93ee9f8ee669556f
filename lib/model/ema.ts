/**
 * Target-network EMA (method notes §3): θt ← m·θt + (1 − m)·θo for every parameter the two networks share
 * (encoder, mask token, representation decoder, projector), with
 *   m(i) = 1 − (1 − base)·(1 + cos(π·i/I))/2,  rising from `base` at i = 0 to 1 at i = I.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedLerp } from '../tensor/simd-kernels.js';
import type { FsfmNetwork } from './fsfm.js';

export function emaMomentum(iteration: number, totalIterations: number, base = 0.996): number {
  if (totalIterations <= 0) return 1;
  const progress = Math.min(Math.max(iteration / totalIterations, 0), 1);
  return 1 - ((1 - base) * (1 + Math.cos(Math.PI * progress))) / 2;
}

/** Names present in both networks: exactly the parameters the EMA updates. */
export function emaSharedNames(online: FsfmNetwork, target: FsfmNetwork): string[] {
  return target.params.names().filter((name) => online.params.has(name));
}

export function emaUpdate(target: FsfmNetwork, online: FsfmNetwork, momentum: number): void {
  // One tidy per parameter, so that only one parameter's temporaries are alive at a time.
  for (const name of emaSharedNames(online, target)) {
    const t = target.params.get(name);
    const o = online.params.get(name);
    // wasm: one fused pass, bit-identical to the two multiplies and the add.
    tf.tidy(() => t.assign(fusedLerp(t, o, momentum, 1 - momentum) ?? tf.add(tf.mul(t, momentum), tf.mul(o, 1 - momentum))));
  }
}

/** Target ← online for the shared parameters (the reference loads the online state_dict into the target). */
export function copyOnlineToTarget(target: FsfmNetwork, online: FsfmNetwork): void {
  tf.tidy(() => {
    for (const name of emaSharedNames(online, target)) target.params.get(name).assign(online.params.get(name));
  });
}
