import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CpuActivities } from '../activities';
import type { ProbeVideosInput, ProbeVideosResult } from '../lib/config/probe';
import { markStage, progressQuery, validated } from './common';

// No taskQueue: the activity runs on the workflow's own queue (fsfm-cpu, or a suffixed test queue).
const { probeVideos } = proxyActivities<CpuActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', nonRetryableErrorTypes: ['InvalidConfig', 'InvalidPath'] },
});

/** Probes every video in a folder with ffprobe and commits a manifest (probe.jsonl) to the store. */
export async function ProbeVideos(rawInput: ProbeVideosInput): Promise<ProbeVideosResult> {
  let state: Record<string, unknown> = { stage: 'validate', status: 'running' };
  setHandler(progressQuery, () => state);
  const input = await validated<ProbeVideosInput>('ProbeVideos', rawInput);
  state = { stage: 'probe', status: 'running' };
  markStage('probe', 'running', `probing ${input.videosDir}`);
  try {
    const result = await probeVideos({ ...input, workflowId: workflowInfo().workflowId });
    state = { stage: 'probe', status: 'completed', done: result.total, failed: result.failed, total: result.total };
    markStage('probe', 'completed', `${result.ok}/${result.total} videos probed, ${result.failed} failed; manifest ${result.manifestKey}`);
    return result;
  } catch (err) {
    state = { stage: 'probe', status: 'failed', error: (err as Error).message };
    markStage('probe', 'failed', (err as Error).message);
    throw err;
  }
}
