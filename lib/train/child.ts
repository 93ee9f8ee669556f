/**
 * Process entry of a pretraining child (started by child-runner.ts with tsx): training runs here so that the
 * worker's event loop stays free. The protocol and signal handling are child-process.ts / child-entry.ts.
 * Store credentials come from the environment (openStore), never from the message.
 */
import { openStore } from '../store/index.js';
import { serveChild } from './child-entry.js';
import type { TrainingChildStart } from './child-process.js';
import type { PretrainConfigInput } from './options.js';
import { type PretrainProgress, type PretrainResult, runPretraining } from './pretrain.js';

export type PretrainChildStart = TrainingChildStart<PretrainConfigInput>;

serveChild<PretrainChildStart, PretrainProgress, PretrainResult>((start, ctx) =>
  runPretraining({
    config: start.config,
    store: openStore(start.storeUri),
    runId: start.runId,
    signal: ctx.signal,
    onProgress: ctx.progress,
    log: ctx.log,
  }),
);
