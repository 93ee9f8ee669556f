import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { ArtifactStore } from '../../lib/store';
import { bundleWorkflows, createWorkers, type QueueKind } from '../../workers/worker';

let bundle: ReturnType<typeof bundleWorkflows> | undefined;
let runtimeInstalled = false;

export interface TestWorkers {
  client: Client;
  /** Suffix appended to the task queue names; pass it to the CLI as FSFM_TASK_QUEUE_SUFFIX. */
  suffix: string;
  stop(): Promise<void>;
}

/** The Temporal runtime of a test process, once: worker logs at FSFM_TEST_LOG_LEVEL (default WARN). */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger((process.env.FSFM_TEST_LOG_LEVEL as 'WARN') ?? 'WARN') });
}

/** Runs real workers in this process against the given Temporal server, on task queues unique to this test file. */
export async function startTestWorkers(address: string, store: ArtifactStore, queues: QueueKind[] = ['cpu', 'gpu']): Promise<TestWorkers> {
  installTestRuntime();
  bundle ??= bundleWorkflows();
  const suffix = `-test-${crypto.randomBytes(4).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const workers: Worker[] = await createWorkers({ queues, store, connection: nativeConnection, namespace: 'default', workflowBundle: await bundle, taskQueueSuffix: suffix });
  const running = workers.map((w) => w.run());
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    client,
    suffix,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
      await connection.close();
      await nativeConnection.close();
    },
  };
}
