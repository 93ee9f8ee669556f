/**
 * evaluateTestSet in a child process, for callers whose event loop must stay free (a Temporal worker scoring
 * with a ViT-B: one batch's forward pass takes seconds). Same result; progress as messages; `cancel()` stops
 * the scoring between batches and the result then rejects (nothing is committed); a crash is a TransientError.
 */
import path from 'node:path';
import { forkTrainingChild, type TrainingChild } from '../train/child-process.js';
import type { EvalChildStart } from './child.js';
import type { ScoreProgress, TestSetEvaluation } from './score.js';

export interface EvalChildOptions extends EvalChildStart {
  onProgress?: (p: ScoreProgress) => void;
  onLog?: (line: string) => void;
  /** The child's environment; default: this process's. */
  env?: NodeJS.ProcessEnv;
}

export type EvalChild = TrainingChild<ScoreProgress, TestSetEvaluation>;

const CHILD_ENTRY = path.join(__dirname, 'child.ts');

export function evaluateTestSetInChild(opts: EvalChildOptions): EvalChild {
  const { onProgress, onLog, env, ...start } = opts;
  return forkTrainingChild<EvalChildStart, ScoreProgress, TestSetEvaluation>({ entry: CHILD_ENTRY, what: 'evaluation', start, onProgress, onLog, env });
}
