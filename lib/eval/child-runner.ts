/**
 * evaluateTestSet in a child process, for callers whose event loop must stay free (a Temporal worker scoring
 * with a ViT-B: one batch's forward pass takes seconds). Same result; progress as messages; `cancel()` stops
 * the scoring between batches and the result then rejects (nothing is committed); a crash is a TransientError.
 */
import path from 'node:path';
import { type ChildCallbacks, childRunner, type TrainingChild } from '../train/child-process.js';
import type { EvalChildStart } from './child.js';
import type { ScoreProgress, TestSetEvaluation } from './score.js';

export type EvalChildOptions = EvalChildStart & ChildCallbacks<ScoreProgress>;
export type EvalChild = TrainingChild<ScoreProgress, TestSetEvaluation>;

export const evaluateTestSetInChild = childRunner<EvalChildStart, ScoreProgress, TestSetEvaluation>(path.join(__dirname, 'child.ts'), 'evaluation');
