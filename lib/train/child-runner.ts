/**
 * Runs pretraining in a child process (architecture.md: training must not block the worker's event loop).
 * The child is lib/train/child.ts under tsx; progress comes back as messages, `cancel()` asks it to write a
 * checkpoint and stop, and a child that dies without a result rejects with its exit code and stderr tail
 * (a TransientError: a retry resumes from the newest committed checkpoint). The plumbing is child-process.ts.
 */
import path from 'node:path';
import type { PretrainChildStart } from './child.js';
import { forkTrainingChild, type TrainingChild } from './child-process.js';
import type { PretrainConfigInput } from './options.js';
import type { PretrainProgress, PretrainResult } from './pretrain.js';

export interface PretrainChildOptions {
  config: PretrainConfigInput;
  /** The store URI (file://DIR or s3://bucket/prefix); credentials stay in `env`. */
  storeUri: string;
  runId: string;
  onProgress?: (p: PretrainProgress) => void;
  onLog?: (line: string) => void;
  /** The child's environment; default: this process's. */
  env?: NodeJS.ProcessEnv;
}

export type PretrainChild = TrainingChild<PretrainProgress, PretrainResult>;

const CHILD_ENTRY = path.join(__dirname, 'child.ts');

/** Starts the child; listen for 'progress' and 'log' events or pass the callbacks. */
export function runPretrainingInChild(opts: PretrainChildOptions): PretrainChild {
  return forkTrainingChild<PretrainChildStart, PretrainProgress, PretrainResult>({
    entry: CHILD_ENTRY,
    what: 'pretraining',
    start: { storeUri: opts.storeUri, runId: opts.runId, config: opts.config },
    onProgress: opts.onProgress,
    onLog: opts.onLog,
    env: opts.env,
  });
}
