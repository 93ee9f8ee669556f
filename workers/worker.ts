/**
 * Builds and runs the workers of one process. The fsfm-cpu queue hosts the workflows and the prepare/evaluate
 * activities; fsfm-gpu hosts training activities only (one at a time per GPU by default).
 * SIGINT/SIGTERM trigger a graceful shutdown: in-flight activities are cancelled and get the chance to checkpoint.
 */
import path from 'node:path';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createCpuActivities, createGpuActivities } from '../activities';
import { defaultStoreUri, openStore, type ArtifactStore } from '../lib/store';
import { temporalEnv } from '../infra/temporal-env';
import { chooseTrainingBackend, type QueueKind } from './backend-choice';
import { TASK_QUEUE_CPU, TASK_QUEUE_GPU } from '../workflows/common';

export type { QueueKind };

export interface WorkerOptions {
  queues: QueueKind[];
  store?: ArtifactStore;
  connection?: NativeConnection;
  namespace?: string;
  /** Pre-built workflow bundle (tests build it once); otherwise bundled from workflows/ at start. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Concurrent activities per queue (env FSFM_CPU_CONCURRENCY / FSFM_GPU_CONCURRENCY). */
  cpuConcurrency?: number;
  gpuConcurrency?: number;
  /** Suffix for task queue names, so parallel test runs do not steal each other's tasks. */
  taskQueueSuffix?: string;
}

export const workflowsPath = path.resolve(__dirname, '../workflows/index.ts');

export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never });
}

export async function createWorkers(opts: WorkerOptions): Promise<Worker[]> {
  const env = temporalEnv();
  const connection = opts.connection ?? (await NativeConnection.connect({ address: env.address, tls: env.tls, apiKey: env.apiKey }));
  const namespace = opts.namespace ?? env.namespace;
  const store = opts.store ?? openStore(defaultStoreUri());
  const suffix = opts.taskQueueSuffix ?? process.env.FSFM_TASK_QUEUE_SUFFIX ?? '';
  const workers: Worker[] = [];
  if (opts.queues.includes('cpu')) {
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue: TASK_QUEUE_CPU + suffix,
        ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
        activities: createCpuActivities(store),
        maxConcurrentActivityTaskExecutions: opts.cpuConcurrency ?? Number(process.env.FSFM_CPU_CONCURRENCY ?? 2),
        shutdownGraceTime: '30 seconds',
        // Heartbeats carry cancellation back to activities: send them within seconds, not the SDK's 30-60 s.
        maxHeartbeatThrottleInterval: '3 seconds',
        defaultHeartbeatThrottleInterval: '3 seconds',
      }),
    );
  }
  if (opts.queues.includes('gpu')) {
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue: TASK_QUEUE_GPU + suffix,
        activities: createGpuActivities(store),
        maxConcurrentActivityTaskExecutions: opts.gpuConcurrency ?? Number(process.env.FSFM_GPU_CONCURRENCY ?? 1),
        shutdownGraceTime: '60 seconds',
        maxHeartbeatThrottleInterval: '3 seconds',
        defaultHeartbeatThrottleInterval: '3 seconds',
      }),
    );
  }
  return workers;
}

/** Entry point shared by workers/{cpu,gpu,dev}.ts: runs until a shutdown signal. */
export async function main(queues: QueueKind[]): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const backend = chooseTrainingBackend(process.argv.slice(2), queues);
  console.log(`[worker] ${backend.line}`);
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const store = openStore(defaultStoreUri());
  const workers = await createWorkers({ queues, store });
  const env = temporalEnv();
  console.log(`[worker] ${queues.map((q) => (q === 'cpu' ? TASK_QUEUE_CPU : TASK_QUEUE_GPU)).join(' + ')} on ${env.address}/${env.namespace}, store ${store.uri}`);
  await Promise.all(workers.map((w) => w.run()));
  console.log('[worker] stopped');
}
