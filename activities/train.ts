import { CancelledFailure, Context } from '@temporalio/activity';
import type { FinetuneChunkResult } from '../lib/config/finetune';
import { TRAINING_PROGRESS_SIGNAL, type TrainingProgressReport } from '../lib/config/signals';
import type { LossPoint, PretrainChunkResult } from '../lib/config/pretrain';
import { runFinetuningInChild, type FinetuneProgress } from '../lib/finetune';
import type { FinetuneConfig } from '../lib/finetune/options';
import { runPretrainingInChild, type PretrainProgress } from '../lib/train';
import type { TrainingChild } from '../lib/train/child-process';
import type { PretrainConfig } from '../lib/train/options';
import type { ArtifactStore } from '../lib/store';

/** Keeps at most `max` points, evenly thinned, always keeping the last. */
export function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.floor((i * (points.length - 1)) / (max - 1))]);
  return out;
}

/**
 * Runs a training child under this activity: heartbeats `details()` on every progress event and every 5 s (long
 * phases without steps: the first pass over the data, a checkpoint upload), turns activity cancellation or worker
 * shutdown into child.cancel() (checkpoint, then stop), and rethrows the cancellation once the child has stopped.
 */
export async function superviseChild<P, R>(child: TrainingChild<P, R>, details: () => unknown): Promise<R> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(details()), 5_000);
  const onCancel = () => child.cancel();
  ctx.cancellationSignal.addEventListener('abort', onCancel);
  try {
    const r = await child.result.catch((err: unknown) => {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason instanceof Error ? ctx.cancellationSignal.reason : err;
      throw err;
    });
    if ((r as { status?: unknown }).status === 'cancelled' || ctx.cancellationSignal.aborted) {
      throw ctx.cancellationSignal.reason instanceof Error ? ctx.cancellationSignal.reason : new CancelledFailure('training cancelled after its checkpoint');
    }
    return r;
  } finally {
    clearInterval(timer);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
  }
}

/**
 * Relays training progress to the workflow that runs this activity (TrainingProgressReport): the first report of
 * the attempt at once, then at most one per `intervalS`; a failed signal is only logged (progress is advisory).
 */
export function progressRelay(intervalS: number): (p: { step: number; totalSteps: number; loss: number | null; checkpointKey: string | null }) => void {
  const ctx = Context.current();
  const execution = ctx.info.workflowExecution;
  if (!execution) return () => undefined; // a standalone activity has no workflow to report to
  let first: { step: number; atMs: number } | null = null;
  let lastSentMs = Number.NEGATIVE_INFINITY;
  return (p) => {
    const now = Date.now();
    first ??= { step: p.step, atMs: now };
    if (now - lastSentMs < intervalS * 1000) return;
    lastSentMs = now;
    const secondsPerStep = p.step > first.step ? (now - first.atMs) / 1000 / (p.step - first.step) : null;
    const report: TrainingProgressReport = { ...p, secondsPerStep };
    ctx.client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .signal(TRAINING_PROGRESS_SIGNAL, report)
      .catch((err: unknown) => ctx.log.warn(`progress report to ${execution.workflowId} failed: ${(err as Error).message}`));
  };
}

export function makeTrainActivities(store: ArtifactStore) {
  return {
    /** Pretrains until `untilStep` (or the end), resuming from the run's newest committed checkpoint. */
    async pretrainChunk(args: { runId: string; config: PretrainConfig; untilStep: number; progressIntervalS?: number }): Promise<PretrainChunkResult> {
      const ctx = Context.current();
      const relay = progressRelay(args.progressIntervalS ?? 15);
      const history: LossPoint[] = [];
      let last = { step: 0, totalSteps: 0, loss: null as number | null, checkpointKey: null as string | null };
      const child = runPretrainingInChild({
        config: { ...args.config, maxSteps: args.untilStep },
        storeUri: store.uri,
        runId: args.runId,
        onProgress: (p: PretrainProgress) => {
          last = { step: p.step, totalSteps: p.totalSteps, loss: Number.isFinite(p.loss) ? p.loss : null, checkpointKey: p.checkpointKey ?? last.checkpointKey };
          history.push({ step: p.step, loss: p.loss, lRec: p.lRec, lFr: p.lFr, lCl: p.lCl, lr: p.lr });
          ctx.heartbeat(last);
          relay(last);
        },
      });
      const r = await superviseChild(child, () => last);
      return {
        status: r.status as 'completed' | 'stopped',
        step: r.step,
        totalSteps: r.totalSteps,
        checkpointKey: r.checkpointKey,
        resumedFromStep: r.resumedFromStep,
        imagesPerSec: r.imagesPerSec,
        backend: r.backend,
        normalization: { mean: [...r.normalization.mean], std: [...r.normalization.std] },
        history: thin(history.filter((h) => Number.isFinite(h.loss)), 200),
      };
    },

    /** Finetunes until `untilStep` (or the end), resuming from the run's newest committed checkpoint. */
    async finetuneChunk(args: { runId: string; config: FinetuneConfig; untilStep: number; progressIntervalS?: number }): Promise<FinetuneChunkResult> {
      const ctx = Context.current();
      const relay = progressRelay(args.progressIntervalS ?? 15);
      let last = { step: 0, totalSteps: 0, loss: null as number | null, checkpointKey: null as string | null, bestKey: null as string | null };
      const child = runFinetuningInChild({
        config: { ...args.config, maxSteps: args.untilStep },
        storeUri: store.uri,
        runId: args.runId,
        onProgress: (p: FinetuneProgress) => {
          last = { step: p.step, totalSteps: p.totalSteps, loss: Number.isFinite(p.loss) ? p.loss : null, checkpointKey: p.checkpointKey ?? last.checkpointKey, bestKey: p.bestKey ?? last.bestKey };
          ctx.heartbeat(last);
          relay(last);
        },
      });
      const r = await superviseChild(child, () => last);
      return {
        status: r.status as 'completed' | 'stopped',
        step: r.step,
        totalSteps: r.totalSteps,
        bestKey: r.bestKey,
        bestValLoss: r.bestValLoss,
        bestEpoch: r.bestEpoch,
        bestByDomain: r.bestByDomain ? Object.fromEntries(Object.entries(r.bestByDomain).map(([d, b]) => [d, { key: b.key, epoch: b.epoch, valLoss: b.valLoss }])) : null,
        lastKey: r.lastKey,
        resumedFromStep: r.resumedFromStep,
        history: r.history.map((h) => ({ epoch: h.epoch, step: h.step, trainLoss: h.trainLoss, valLoss: h.valLoss })),
        backend: r.backend,
        msPerStep: r.msPerStep,
      };
    },
  };
}
