import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CpuActivities } from '../activities';
import type { AnalyzeInput, AnalyzeResult } from '../lib/config/analyze';
import { markStage, progressQuery, validated } from './common';

const { analyzeCheckpoints } = proxyActivities<CpuActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '5 minutes',
  retry: { maximumAttempts: 3, initialInterval: '5 seconds', nonRetryableErrorTypes: ['InvalidConfig', 'NotFound', 'IntegrityError'] },
});

/** Attention analysis (mean attention distance, KL between heads, attention maps) of checkpoints side by side. */
export async function Analyze(rawInput: AnalyzeInput): Promise<AnalyzeResult> {
  const state = { stage: 'analyze', status: 'running', checkpoints: 0 };
  setHandler(progressQuery, () => ({ ...state }));
  const input = await validated<AnalyzeInput>('Analyze', rawInput);
  const runId = input.runId ?? workflowInfo().workflowId;
  state.checkpoints = input.checkpoints.length;
  markStage('analyze', 'running', `analysing ${input.checkpoints.length} checkpoint(s) on ${input.prepared}`);
  const result = await analyzeCheckpoints({ runId, input });
  state.status = 'completed';
  markStage('analyze', 'completed', result.checkpoints.map((c) => `${c.label}: last block ${c.lastBlockDistancePx.toFixed(1)} px`).join(', '));
  return result;
}
