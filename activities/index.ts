/**
 * Activity registry. Activities are thin: validate, call lib/, heartbeat, map errors (activities/failures.ts),
 * and hand back store keys, never bulk data.
 */
import { Context } from '@temporalio/activity';
import { onStoreWait, type ArtifactStore } from '../lib/store';
import { mapFailures } from './failures';
import { makeAnalyzeActivities } from './analyze';
import { makeEvaluateActivities } from './evaluate';
import { makePipelineActivities } from './pipeline';
import { makePrepareActivities } from './prepare';
import { makeProbeActivities } from './probe';
import { makeSweepActivities } from './sweep';
import { makeTrainActivities } from './train';
import { validateInput } from './validate';

/**
 * While an activity waits out a store outage (lib/store/retry.ts), it heartbeats what it waits for, so Temporal
 * does not take it for a dead worker; the details show in the UI and `fsfm status`.
 */
function heartbeatStoreWaits<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args: A) => {
    let ctx: Context | undefined;
    try {
      ctx = Context.current();
    } catch {
      return fn(...args);
    }
    return onStoreWait((w) => ctx.heartbeat({ storeWait: w }), () => fn(...args));
  };
}

function mapAll<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  return Object.fromEntries(Object.entries(acts).map(([k, fn]) => [k, mapFailures(heartbeatStoreWaits(fn as (...a: unknown[]) => Promise<unknown>))])) as unknown as T;
}

/** Activities of the fsfm-cpu queue (and the validation local activity every workflow starts with). */
export function createCpuActivities(store: ArtifactStore) {
  return mapAll({ validateInput, ...makeProbeActivities(store), ...makePrepareActivities(store), ...makeEvaluateActivities(store), ...makeAnalyzeActivities(store), ...makePipelineActivities(store), ...makeSweepActivities(store) });
}

/** Activities of the fsfm-gpu queue (training). */
export function createGpuActivities(store: ArtifactStore) {
  return mapAll({ validateInput, ...makeTrainActivities(store) });
}

export type CpuActivities = ReturnType<typeof createCpuActivities>;
export type GpuActivities = ReturnType<typeof createGpuActivities>;
