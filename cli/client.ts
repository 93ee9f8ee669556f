import { Client, Connection, decodePendingActivityState, WorkflowNotFoundError } from '@temporalio/client';
import { temporalEnv } from '../infra/temporal-env';
import { workflowUiUrl } from '../infra/ui-url';
import { CliError } from './errors';
import { type Described, iso, type WorkflowStatus } from './status';

export { CliError };

export async function connectClient(processEnv: NodeJS.ProcessEnv = process.env): Promise<{ client: Client; close: () => Promise<void>; address: string; namespace: string }> {
  const env = temporalEnv(processEnv);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: env.address, tls: env.tls, apiKey: env.apiKey, connectTimeout: 10_000 });
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${env.address} (${(err as Error).message}); start it with 'make up' or set TEMPORAL_ADDRESS`, 3);
  }
  const client = new Client({ connection, namespace: env.namespace });
  return { client, close: () => connection.close(), address: env.address, namespace: env.namespace };
}

/** The Temporal UI page of a workflow (infra/ui-url.ts: FSFM_UI_URL, else the started dev server's record, else gRPC port + 1000). */
export function uiUrl(address: string, namespace: string, workflowId?: string): string {
  return workflowUiUrl(address, namespace, workflowId);
}

/** Reads a workflow for `fsfm status` over gRPC (cli/status.ts reads it over HTTP when it can). */
export async function readStatusOverGrpc(id: string, env: NodeJS.ProcessEnv = process.env): Promise<Omit<WorkflowStatus, 'ui'>> {
  const { client, close, namespace } = await connectClient(env);
  try {
    const handle = client.workflow.getHandle(id);
    const d = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new CliError(`no workflow ${id} in namespace ${namespace}`, 2);
      throw err;
    });
    const payloads = client.options.loadedDataConverter.payloadConverter;
    const described: Described = {
      workflowId: id,
      type: d.type,
      status: d.status.name,
      startTime: iso(d.startTime),
      closeTime: d.closeTime ? iso(d.closeTime) : undefined,
      pendingActivities: (d.raw.pendingActivities ?? []).map((a) => ({
        activity: a.activityType?.name ?? undefined,
        attempt: a.attempt ?? undefined,
        state: a.state == null ? undefined : decodePendingActivityState(a.state),
        lastFailure: a.lastFailure?.message || undefined,
        heartbeat: a.heartbeatDetails?.payloads?.length ? payloads.fromPayload(a.heartbeatDetails.payloads[0]) : undefined,
      })),
    };
    const progress = described.status === 'RUNNING' ? await handle.query('progress').catch(() => undefined) : undefined;
    return { ...described, progress };
  } finally {
    await close();
  }
}
