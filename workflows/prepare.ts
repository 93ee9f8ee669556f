import { continueAsNew, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { CpuActivities } from '../activities';
import type { PrepareDatasetInput, PrepareDatasetResult, PrepareProgress } from '../lib/config/prepare';
import { markStage, progressQuery, validated } from './common';
import { FsfmDataset } from './search-attributes';

const { planPrepare, packPrepared } = proxyActivities<CpuActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 5, initialInterval: '5 seconds', nonRetryableErrorTypes: ['InvalidConfig', 'InvalidPath', 'InvalidDatasetLayout'] },
});

const { prepareUnit } = proxyActivities<CpuActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '5 seconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['InvalidConfig'] },
});

/** What a continued run carries over: where it was and what it counted. */
export interface PrepareCarry {
  plan: { planPrefix: string; prefix: string; dataset: string; units: number; videosTotal: number };
  nextUnit: number;
  progress: PrepareProgress;
  startedAtMs: number;
}

/**
 * Dataset folder -> prepared faces: plan (manifest rows cut into units), a bounded sliding window of per-unit
 * activities (videos fan out over every fsfm-cpu worker), then one pack into shards. Per-video failures are
 * recorded, never fatal; a re-run reuses every committed video and, when nothing changed, the whole set.
 */
export async function PrepareDataset(rawInput: PrepareDatasetInput, carry?: PrepareCarry): Promise<PrepareDatasetResult> {
  let progress: PrepareProgress = carry?.progress ?? {
    stage: 'plan', unitsTotal: 0, unitsDone: 0, videosTotal: 0, videosDone: 0, videosFailed: 0, videosSkipped: 0, faces: 0, facesPerSecond: 0,
  };
  setHandler(progressQuery, () => ({ ...progress }));
  const input = await validated<PrepareDatasetInput>('PrepareDataset', rawInput);
  const startedAtMs = carry?.startedAtMs ?? Date.now();

  let plan = carry?.plan;
  if (!plan) {
    markStage('prepare', 'running', `planning ${input.dataset.root}`);
    const planned = await planPrepare(input);
    upsertSearchAttributes([{ key: FsfmDataset, value: planned.dataset }]);
    if (planned.existing) {
      progress = { ...progress, stage: 'done', videosTotal: planned.videosTotal, videosDone: planned.videosTotal, videosSkipped: planned.videosTotal, faces: planned.existing.faces };
      markStage('prepare', 'completed', `already prepared: ${planned.existing.faces} faces in ${planned.prefix}`);
      return planned.existing;
    }
    plan = { planPrefix: planned.planPrefix, prefix: planned.prefix, dataset: planned.dataset, units: planned.units, videosTotal: planned.videosTotal };
    progress = { ...progress, stage: 'prepare', unitsTotal: planned.units, videosTotal: planned.videosTotal };
  }

  let next = carry?.nextUnit ?? 0;
  // Each unit costs ~6 history events; continuing as new every few hundred keeps history far below its limits.
  const stopAt = Math.min(plan.units, next + input.unitsPerRun);
  const inFlight = new Set<Promise<void>>();
  const launch = (unit: number) => {
    const p: Promise<void> = prepareUnit({ planPrefix: plan!.planPrefix, unit, force: input.force }).then((r) => {
      inFlight.delete(p);
      progress.unitsDone++;
      for (const e of r.entries) {
        if ('error' in e) progress.videosFailed++;
        else {
          progress.videosDone++;
          progress.faces += e.faces;
          if (e.skipped) progress.videosSkipped++;
        }
      }
      const elapsedS = Math.max(1, (Date.now() - startedAtMs) / 1000);
      progress.facesPerSecond = Math.round((progress.faces / elapsedS) * 10) / 10;
    });
    inFlight.add(p);
  };
  markStage('prepare', 'running', `preparing ${plan.videosTotal} videos of ${plan.dataset}`);
  while (next < stopAt) {
    while (inFlight.size < input.parallelism && next < stopAt) launch(next++);
    await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (next < plan.units) {
    // Drained the window above, so nothing is in flight when the history is cut here.
    await continueAsNew<typeof PrepareDataset>(rawInput, { plan, nextUnit: next, progress, startedAtMs });
  }

  progress.stage = 'pack';
  markStage('prepare', 'running', `packing ${progress.faces} faces into shards`);
  const processed = progress.videosDone - progress.videosSkipped;
  const result = await packPrepared({ planPrefix: plan.planPrefix, runStats: { processed, skipped: progress.videosSkipped } });
  progress.stage = 'done';
  markStage('prepare', 'completed', `${result.faces} faces from ${result.videosTotal - result.videosFailed}/${result.videosTotal} videos; ${result.videosFailed} failed; ${plan.prefix}`);
  return result;
}
