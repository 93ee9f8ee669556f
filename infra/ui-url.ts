/**
 * Where the Temporal UI of a server lives, for the links the CLI prints. One rule, first match wins:
 *   1. FSFM_UI_URL (a remote or cloud UI; `fsfm services env` exports it for the local one);
 *   2. the record of the dev server that `fsfm services up` / `make up` / the tests started (infra/services.ts),
 *      when its gRPC address is the one the client talks to: it names the UI port it chose;
 *   3. the `temporal server start-dev` default for a server started by hand: the gRPC port + 1000.
 */
import { stateDir } from './paths';
import { readRecord, serviceRecordFile } from './process';

export function temporalUiBase(address: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.FSFM_UI_URL) return env.FSFM_UI_URL.replace(/\/$/, '');
  const record = readRecord(serviceRecordFile(stateDir(), 'temporal'));
  const info = record?.info as { address?: unknown; uiUrl?: unknown } | undefined;
  if (info && info.address === address && typeof info.uiUrl === 'string') return info.uiUrl.replace(/\/$/, '');
  const at = address.lastIndexOf(':');
  return `http://${address.slice(0, at)}:${Number(address.slice(at + 1)) + 1000}`;
}

/** The UI page of a workflow (or the namespace's workflow list). */
export function workflowUiUrl(address: string, namespace: string, workflowId?: string, env: NodeJS.ProcessEnv = process.env): string {
  const list = `${temporalUiBase(address, env)}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  return workflowId ? `${list}/${encodeURIComponent(workflowId)}` : list;
}
