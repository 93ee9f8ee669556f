/**
 * Runs finetuning in a child process (architecture.md: training must not block the worker's event loop), with
 * lib/train's child plumbing: progress comes back as messages, `cancel()` asks the child to write a checkpoint and
 * stop, a typed error comes back as the same type, and a child that dies without a result rejects with a
 * TransientError (a retry resumes from the newest committed checkpoint).
 */
import path from 'node:path';
import { type ChildCallbacks, childRunner, type TrainingChild } from '../train/child-process.js';
import type { FinetuneChildStart } from './child.js';
import type { FinetuneProgress, FinetuneResult } from './train.js';

export type FinetuneChildOptions = FinetuneChildStart & ChildCallbacks<FinetuneProgress>;
export type FinetuneChild = TrainingChild<FinetuneProgress, FinetuneResult>;

export const runFinetuningInChild = childRunner<FinetuneChildStart, FinetuneProgress, FinetuneResult>(path.join(__dirname, 'child.ts'), 'finetuning');
