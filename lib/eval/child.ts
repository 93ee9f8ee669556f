/**
 * Process entry of an evaluation child (started by child-runner.ts with tsx), on lib/train's child plumbing:
 * scoring's synchronous forward passes run here instead of on a worker's event loop. Cancel, SIGTERM/SIGINT or a
 * lost parent abort the scoring between batches (nothing is committed). Store credentials come from the
 * environment (openStore), never from the message.
 */
import { openStore } from '../store/index.js';
import { serveChild } from '../train/child-entry.js';
import { type EvaluateTestSetOptions, evaluateTestSet, type ScoreProgress, type TestSetEvaluation } from './score.js';

export type EvalChildStart = Omit<EvaluateTestSetOptions, 'store' | 'signal' | 'onProgress'> & { storeUri: string };

serveChild<EvalChildStart, ScoreProgress, TestSetEvaluation>(({ storeUri, ...rest }, ctx) =>
  evaluateTestSet({ ...rest, store: openStore(storeUri), signal: ctx.signal, onProgress: ctx.progress }),
);
