/**
 * `make demo`: brings up the embedded stack (Temporal dev server with its SQLite file, a worker, the local
 * file:// artifact store), builds a few sample clips, runs a workflow end to end and prints what it produced.
 * Stops what it started when done (history stays in .state/temporal/temporal.db); FSFM_DEMO_KEEP=1 leaves the
 * services up so the UI link keeps working.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { ProbeVideosResult } from '../lib/config';
import { defaultStoreUri, openStore } from '../lib/store';
import { repoRoot, stateDir } from '../infra/paths';
import { startTemporal, stopService } from '../infra/services';
import { createWorkers } from '../workers/worker';
import { TASK_QUEUE_CPU } from '../workflows/common';
import { formatResult } from './format';
import { uiUrl } from './client';
import { makeDemoClips } from './demo-clips';

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const t0 = Date.now();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = await startTemporal();
  console.log(`[demo] Temporal ${temporal.started ? 'started' : 'already running'} at ${temporal.info.address}`);
  const store = openStore(defaultStoreUri());
  const videosDir = path.join(stateDir(), 'demo', 'videos');
  const made = makeDemoClips(videosDir);
  console.log(`[demo] sample clips in ${path.relative(repoRoot, videosDir)}: ${made.join(', ')}`);

  const nativeConnection = await NativeConnection.connect({ address: temporal.info.address });
  const workers = await createWorkers({ queues: ['cpu', 'gpu'], store, connection: nativeConnection, namespace: 'default' });
  const running = workers.map((w) => w.run());
  console.log(`[demo] worker running (fsfm-cpu + fsfm-gpu), store ${store.uri}`);
  const connection = await Connection.connect({ address: temporal.info.address });
  let failed = false;
  try {
    const client = new Client({ connection });
    const workflowId = `demo-probe-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`;
    const handle = await client.workflow.start('ProbeVideos', { taskQueue: TASK_QUEUE_CPU, workflowId, args: [{ videosDir }] });
    const result = (await handle.result()) as ProbeVideosResult;
    console.log(formatResult('ProbeVideos', result));
    console.log(`[demo] manifest: ${store.uri}/${result.manifestKey}`);
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
      console.log('[demo] stopped the Temporal dev server it started (history kept; `make up` serves the UI again, FSFM_DEMO_KEEP=1 keeps it running)');
    }
    console.log(`[demo] done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`[demo] ${(err as Error).message}`);
  process.exit(1);
});
