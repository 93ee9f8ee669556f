/**
 * `make demo`: the whole pipeline on the bundled sample data, on the embedded stack. Brings up the Temporal dev
 * server (SQLite file in .state/, so runs survive restarts), runs a worker for both task queues in this process
 * (training itself runs in child processes), builds the sample FF++-layout dataset (and a c40 re-encode of its
 * held-out test identities) if missing, runs FsfmPipeline with the 2-core demo preset while streaming progress, and prints
 * the final table, the report paths and the UI link. Stops what it started (FSFM_DEMO_KEEP=1 keeps the services).
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { FsfmPipelineResult } from '../lib/config';
import { defaultStoreUri, FileStore, openStore, RetryingStore } from '../lib/store';
import { repoRoot, stateDir } from '../infra/paths';
import { startTemporal, stopService } from '../infra/services';
import { generateSampleDataset } from '../samples';
import { createWorkers } from '../workers/worker';
import { TASK_QUEUE_CPU } from '../workflows/common';
import { uiUrl } from './client';
import { formatResult } from './format';
import { demoHeldOutC40, demoPipelineInput, demoSource } from './demo-input';
import { watchProgress } from './progress';

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const t0 = Date.now();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const temporal = await startTemporal();
  console.log(`[demo] Temporal ${temporal.started ? 'started' : 'already running'} at ${temporal.info.address} (UI ${temporal.info.uiUrl})`);
  const store = openStore(defaultStoreUri());

  const dataDir = path.join(stateDir(), 'demo');
  const source = await generateSampleDataset(demoSource(dataDir));
  const unseen = await generateSampleDataset(demoHeldOutC40(dataDir));
  console.log(`[demo] sample datasets: ${path.relative(repoRoot, source.root)} (${source.reused ? 'reused' : 'built'}), ${path.relative(repoRoot, unseen.root)} (${unseen.reused ? 'reused' : 'built'})`);

  const nativeConnection = await NativeConnection.connect({ address: temporal.info.address });
  const workers = await createWorkers({ queues: ['cpu', 'gpu'], store, connection: nativeConnection, namespace: 'default' });
  const running = workers.map((w) => w.run());
  console.log(`[demo] worker running (fsfm-cpu + fsfm-gpu), store ${store.uri}`);
  const connection = await Connection.connect({ address: temporal.info.address });
  let failed = false;
  try {
    const client = new Client({ connection });
    const workflowId = `demo-pipeline-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`;
    const handle = await client.workflow.start('FsfmPipeline', { taskQueue: TASK_QUEUE_CPU, workflowId, args: [demoPipelineInput(source.root, unseen.root)] });
    console.log(`[demo] FsfmPipeline ${workflowId}: ${uiUrl(temporal.info.address, 'default', workflowId)}`);
    const stop = watchProgress(client, workflowId);
    const result = (await handle.result().finally(stop)) as FsfmPipelineResult;
    console.log(`\n${formatResult('FsfmPipeline', result)}`);
    const local = store instanceof RetryingStore ? store.inner : store;
    if (local instanceof FileStore && result.reportHtmlKey) console.log(`[demo] open the report: ${path.join(local.root, result.reportHtmlKey)}`);
    console.log(`[demo] Temporal UI: ${uiUrl(temporal.info.address, 'default', workflowId)}`);
  } catch (err) {
    failed = true;
    console.error(`[demo] failed: ${(err as Error).message}`);
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.allSettled(running);
    await connection.close();
    await nativeConnection.close();
    if (temporal.started && process.env.FSFM_DEMO_KEEP !== '1') {
      await stopService('temporal');
      console.log('[demo] stopped the Temporal dev server it started (history kept in .state/temporal; `make up` serves the UI again, FSFM_DEMO_KEEP=1 keeps it running)');
    }
    console.log(`[demo] done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`[demo] ${(err as Error).message}`);
    process.exit(1);
  });
}
