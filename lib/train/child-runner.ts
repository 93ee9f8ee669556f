/**
 * Runs pretraining in a child process (architecture.md: training must not block the worker's event loop).
 * The child is lib/train/child.ts under tsx; progress comes back as messages, `cancel()` asks it to write a
 * checkpoint and stop, and a child that dies without a result rejects with its exit code and stderr tail
 * (a TransientError: a retry resumes from the newest committed checkpoint). The plumbing is child-process.ts.
 */
import path from 'node:path';
import type { PretrainChildStart } from './child.js';
import { type ChildCallbacks, childRunner, type TrainingChild } from './child-process.js';
import type { PretrainProgress, PretrainResult } from './pretrain.js';

export type PretrainChildOptions = PretrainChildStart & ChildCallbacks<PretrainProgress>;
export type PretrainChild = TrainingChild<PretrainProgress, PretrainResult>;

/** Starts the child; listen for 'progress' and 'log' events or pass the callbacks. */
export const runPretrainingInChild = childRunner<PretrainChildStart, PretrainProgress, PretrainResult>(path.join(__dirname, 'child.ts'), 'pretraining');
