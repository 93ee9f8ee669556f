import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { failureMessage } from '../../../cli/main';

const enoent = () => ApplicationFailure.create({ type: 'Error', message: "ENOENT: no such file or directory, realpath '/data/nope'" });

describe('the CLI names the domain error of a failed workflow', () => {
  it('a missing dataset root reads as the InvalidPath message, not the raw ENOENT it wraps', () => {
    const domain = ApplicationFailure.create({ type: 'InvalidPath', message: 'dataset root not found: /data/nope', nonRetryable: true, cause: enoent() });
    const activity = new ActivityFailure('activity failed', 'planPrepare', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', domain);
    const child = new ChildWorkflowFailure('default', { workflowId: 'c', runId: 'r' }, 'PrepareDataset', RetryState.NON_RETRYABLE_FAILURE, activity);
    expect(failureMessage(new WorkflowFailedError('Workflow execution failed', child, RetryState.NON_RETRYABLE_FAILURE))).toBe('dataset root not found: /data/nope');
  });

  it('falls back to the deepest message when no domain error is in the chain, on one line', () => {
    const raw = ApplicationFailure.create({ type: 'Error', message: 'boom\n  at x' });
    const activity = new ActivityFailure('activity failed', 'x', '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'worker', raw);
    expect(failureMessage(new WorkflowFailedError('failed', activity, RetryState.MAXIMUM_ATTEMPTS_REACHED))).toBe('boom; at x');
  });
});
