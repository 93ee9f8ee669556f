/**
 * Runs finetuning in a child process (architecture.md: training must not block the worker's event loop), with
 * lib/train's child plumbing: progress comes back as messages, `cancel()` asks the child to write a checkpoint and
 * stop, a typed error comes back as the same type, and a child that dies without a result rejects with a
 * TransientError (a retry resumes from the newest committed checkpoint).
 */
import path from 'node:path';
import { forkTrainingChild, type TrainingChild } from '../train/child-process.js';
import type { FinetuneChildStart } from './child.js';
import type { FinetuneConfigInput } from './options.js';
import type { FinetuneProgress, FinetuneResult } from './train.js';

export interface FinetuneChildOptions {
  config: FinetuneConfigInput;
  /** The store URI (file://DIR or s3://bucket/prefix); credentials stay in `env`. */
  storeUri: string;
  runId: string;
  /** Folder for the child's local shard cache (default: the OS temp folder). */
  cacheRoot?: string;
  onProgress?: (p: FinetuneProgress) => void;
  onLog?: (line: string) => void;
  /** The child's environment; default: this process's. */
  env?: NodeJS.ProcessEnv;
}

export type FinetuneChild = TrainingChild<FinetuneProgress, FinetuneResult>;

const CHILD_ENTRY = path.join(__dirname, 'child.ts');

export function runFinetuningInChild(opts: FinetuneChildOptions): FinetuneChild {
  return forkTrainingChild<FinetuneChildStart, FinetuneProgress, FinetuneResult>({
    entry: CHILD_ENTRY,
    what: 'finetuning',
    start: { storeUri: opts.storeUri, runId: opts.runId, config: opts.config, cacheRoot: opts.cacheRoot },
    onProgress: opts.onProgress,
    onLog: opts.onLog,
    env: opts.env,
  });
}
