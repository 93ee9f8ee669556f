/**
 * analyzeCheckpoint in a child process, for callers whose event loop must stay free (a Temporal worker: heartbeats
 * and cancellation). Same result; progress as messages; `cancel()` stops the analysis between batches and the result
 * then rejects; a crash is a TransientError.
 */
import path from 'node:path';
import { childRunner } from '../train/child-process.js';
import type { AnalysisProgress, AnalyzedCheckpoint } from './analyze.js';
import type { AnalyzeChildStart } from './child.js';

export const analyzeCheckpointInChild = childRunner<AnalyzeChildStart, AnalysisProgress, AnalyzedCheckpoint>(path.join(__dirname, 'child.ts'), 'analysis');
