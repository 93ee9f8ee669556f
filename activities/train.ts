import { CancelledFailure, Context } from '@temporalio/activity';
import type { LossPoint, PretrainChunkResult } from '../lib/config/pretrain';
import type { PretrainConfig } from '../lib/train/options';
import { runPretrainingInChild, type PretrainProgress } from '../lib/train';
import type { ArtifactStore } from '../lib/store';

/** Keeps at most `max` points, evenly thinned, always keeping the last. */
export function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.floor((i * (points.length - 1)) / (max - 1))]);
  return out;
}

export function makeTrainActivities(store: ArtifactStore) {
  return {
    /**
     * Trains until `untilStep` (or the end) in a child process, resuming from the run's newest committed checkpoint.
     * Heartbeats {step, loss, checkpointKey}; cancellation or worker shutdown asks the child to checkpoint and stop,
     * and a retry on any worker picks up from there.
     */
    async pretrainChunk(args: { runId: string; config: PretrainConfig; untilStep: number }): Promise<PretrainChunkResult> {
      const ctx = Context.current();
      const history: LossPoint[] = [];
      let last: { step: number; loss: number | null; checkpointKey: string | null; phase: string } = { step: 0, loss: null, checkpointKey: null, phase: 'starting' };
      const child = runPretrainingInChild({
        config: { ...args.config, maxSteps: args.untilStep },
        storeUri: store.uri,
        runId: args.runId,
        onProgress: (p: PretrainProgress) => {
          last = { step: p.step, loss: Number.isFinite(p.loss) ? p.loss : null, checkpointKey: p.checkpointKey ?? last.checkpointKey, phase: 'training' };
          history.push({ step: p.step, loss: p.loss, lRec: p.lRec, lFr: p.lFr, lCl: p.lCl, lr: p.lr });
          ctx.heartbeat(last);
        },
      });
      // The child owns the event loop's heavy work; this timer keeps heartbeats flowing through long phases
      // without steps (the first pass over the data, a checkpoint upload).
      const timer = setInterval(() => ctx.heartbeat(last), 5_000);
      const onCancel = () => child.cancel();
      ctx.cancellationSignal.addEventListener('abort', onCancel);
      try {
        const r = await child.result;
        if (r.status === 'cancelled' || ctx.cancellationSignal.aborted) {
          throw ctx.cancellationSignal.reason instanceof Error ? ctx.cancellationSignal.reason : new CancelledFailure('pretraining cancelled after its checkpoint');
        }
        return {
          status: r.status,
          step: r.step,
          totalSteps: r.totalSteps,
          checkpointKey: r.checkpointKey,
          resumedFromStep: r.resumedFromStep,
          imagesPerSec: r.imagesPerSec,
          backend: r.backend,
          normalization: { mean: [...r.normalization.mean], std: [...r.normalization.std] },
          history: thin(history.filter((h) => Number.isFinite(h.loss)), 200),
        };
      } finally {
        clearInterval(timer);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
      }
    },
  };
}
