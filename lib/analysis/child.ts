/**
 * Process entry of an analysis child (started by child-runner.ts with tsx), on lib/train's child plumbing: the
 * attention and reconstruction forward passes run here instead of on a worker's event loop (a ViT-B batch on a CPU
 * takes seconds). Cancel, SIGTERM/SIGINT or a lost parent abort the analysis between batches (nothing is written:
 * the parent writes the report). Store credentials come from the environment (openStore), never from the message.
 */
import { openStore } from '../store/index.js';
import { serveChild } from '../train/child-entry.js';
import { type AnalysisProgress, type AnalyzeCheckpointOptions, type AnalyzedCheckpoint, analyzeCheckpoint } from './analyze.js';

export type AnalyzeChildStart = Omit<AnalyzeCheckpointOptions, 'store' | 'signal' | 'onProgress'> & { storeUri: string };

serveChild<AnalyzeChildStart, AnalysisProgress, AnalyzedCheckpoint>(({ storeUri, ...rest }, ctx) =>
  analyzeCheckpoint({ ...rest, store: openStore(storeUri), signal: ctx.signal, onProgress: ctx.progress }),
);
