/**
 * Process entry of a finetuning child (started by child-runner.ts with tsx), on lib/train's child plumbing:
 * training runs here so that the worker's event loop stays free; cancel, SIGTERM/SIGINT or a lost parent make the
 * run checkpoint and stop. Store credentials come from the environment (openStore), never from the message.
 */
import { openStore } from '../store/index.js';
import { serveChild } from '../train/child-entry.js';
import type { TrainingChildStart } from '../train/child-process.js';
import type { FinetuneConfigInput } from './options.js';
import { type FinetuneProgress, type FinetuneResult, runFinetuning } from './train.js';

export interface FinetuneChildStart extends TrainingChildStart<FinetuneConfigInput> {
  /** Folder for the child's local shard cache (default: the OS temp folder). */
  cacheRoot?: string;
}

serveChild<FinetuneChildStart, FinetuneProgress, FinetuneResult>((start, ctx) =>
  runFinetuning({
    config: start.config,
    store: openStore(start.storeUri),
    runId: start.runId,
    cacheRoot: start.cacheRoot,
    signal: ctx.signal,
    onProgress: ctx.progress,
    log: ctx.log,
  }),
);
