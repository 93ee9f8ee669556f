import { Client, Connection } from '@temporalio/client';
import { temporalEnv } from '../infra/temporal-env';
import { workflowUiUrl } from '../infra/ui-url';
import { CliError } from './errors';

export { CliError };

export async function connectClient(): Promise<{ client: Client; close: () => Promise<void>; address: string; namespace: string }> {
  const env = temporalEnv();
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
