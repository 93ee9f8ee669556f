/**
 * Live progress while `fsfm run --wait` waits: polls the workflow's `progress` query (and that of the child stage
 * it is running, for FsfmPipeline) and prints one line per change to stderr, redrawn in place on a terminal.
 */
import type { Client } from '@temporalio/client';

type Progress = Record<string, unknown>;

function bar(done: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

export function describeProgress(p: Progress | undefined): string | null {
  if (!p) return null;
  const n = (k: string) => Number(p[k] ?? 0);
  switch (p.stage) {
    case 'prepare':
    case 'plan':
    case 'pack':
      return `prepare ${bar(n('videosDone') + n('videosFailed'), n('videosTotal'))} videos ${n('videosDone') + n('videosFailed')}/${n('videosTotal')} (${n('videosFailed')} failed, ${n('videosSkipped')} reused), ${n('faces')} faces, ${n('facesPerSecond')}/s`;
    case 'pretrain':
    case 'finetune': {
      const loss = typeof p.loss === 'number' ? ` loss ${p.loss.toFixed(4)}` : typeof p.bestValLoss === 'number' ? ` best val loss ${p.bestValLoss.toFixed(4)}` : '';
      const eta = typeof p.etaS === 'number' ? ` eta ${p.etaS}s` : '';
      return `${p.stage} ${bar(n('step'), n('totalSteps'))} step ${n('step')}/${n('totalSteps') || '?'}${loss}${eta}`;
    }
    case 'evaluate':
      return `evaluate ${bar(n('done') + n('failed'), n('total'))} test sets ${n('done')}/${n('total')}${n('failed') ? ` (${n('failed')} failed)` : ''}`;
    default:
      return typeof p.stage === 'string' ? `${p.stage}${p.status ? ` (${String(p.status)})` : ''}` : null;
  }
}

/**
 * A child's progress: its query, plus the step and loss its running training activity last heartbeated (the
 * workflow itself only learns them at the end of each chunk of steps).
 */
async function childProgress(client: Client, workflowId: string): Promise<Progress> {
  const handle = client.workflow.getHandle(workflowId);
  const p = (await handle.query('progress')) as Progress;
  if (p.stage === 'pretrain' || p.stage === 'finetune') {
    const d = await handle.describe();
    const beat = d.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
    if (beat) {
      const h = client.options.loadedDataConverter.payloadConverter.fromPayload(beat) as { step?: number; totalSteps?: number; loss?: number | null };
      if (typeof h.step === 'number' && h.step > Number(p.step ?? 0)) {
        return { ...p, step: h.step, totalSteps: Number(p.totalSteps) || h.totalSteps || 0, loss: h.loss ?? p.loss };
      }
    }
  }
  return p;
}

export function watchProgress(client: Client, workflowId: string, intervalMs = 2000): () => void {
  const tty = process.stderr.isTTY;
  let last = '';
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      const top = (await client.workflow.getHandle(workflowId).query('progress')) as Progress;
      let children = Array.isArray(top.children) ? (top.children as string[]) : [];
      if (typeof top.points === 'number') {
        // FsfmSweep: its children are pipelines; show the stage each of them is running.
        const nested = await Promise.all(children.map((c) => client.workflow.getHandle(c).query('progress').then((p) => (p as Progress).children as string[] | undefined, () => undefined)));
        children = children.flatMap((c, i) => (nested[i]?.length ? nested[i] : [c]));
      }
      const childLines = await Promise.all(children.map((c) => childProgress(client, c).then(describeProgress, () => null)));
      const stages =
        typeof top.points === 'number' // FsfmSweep: its points, then each running point's pipeline stage
          ? `points ${Number(top.done) + Number(top.failed)}/${top.points} (${Number(top.failed)} failed)`
          : top.stages && typeof top.stages === 'object'
            ? Object.entries(top.stages as Record<string, string>).map(([s, st]) => `${s}:${st}`).join(' ')
            : '';
      const line = [stages, ...childLines.filter(Boolean), children.length ? '' : describeProgress(top)].filter(Boolean).join(' | ');
      if (!stopped && line && line !== last) {
        process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
        last = line;
      }
    } catch {
      /* not started yet, or between continue-as-new runs */
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  let timer = setTimeout(tick, 500);
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (tty && last) process.stderr.write('\n');
  };
}
