import { Client, Connection } from '@temporalio/client';
import { temporalEnv } from '../infra/temporal-env';

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

/** The Temporal UI page of a workflow: FSFM_UI_URL, else the local dev server's UI (gRPC port + 1000). */
export function uiUrl(address: string, namespace: string, workflowId?: string): string {
  let base = process.env.FSFM_UI_URL;
  if (!base) {
    const [host, port] = address.split(':');
    base = `http://${host}:${Number(port) + 1000}`;
  }
  const ns = `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  return workflowId ? `${ns}/${encodeURIComponent(workflowId)}` : ns;
}

/** An error the CLI reports as one line, with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
