/**
 * Where the Temporal UI and HTTP API of a server live. The UI, for the links the CLI prints; one rule, first match wins:
 *   1. FSFM_UI_URL (a remote or cloud UI; `fsfm services env` exports it for the local one);
 *   2. the record of the dev server that `fsfm services up` / `make up` / the tests started (infra/services.ts),
 *      when its gRPC address is the one the client talks to: it names the UI port it chose;
 *   3. the `temporal server start-dev` default for a server started by hand: the gRPC port + 1000.
 * The HTTP API (what `fsfm status` reads): FSFM_TEMPORAL_HTTP_URL, else the record as in 2; no guess (the dev
 * server picks a random HTTP port), so without either the caller uses gRPC.
 */
import { stateDir } from './paths';
import { readRecord, serviceRecordFile } from './process';

/** The started dev server's record, when it is the server at `address`. */
function recordedServer(address: string): { uiUrl?: unknown; httpUrl?: unknown } | undefined {
  const info = readRecord(serviceRecordFile(stateDir(), 'temporal'))?.info as { address?: unknown; uiUrl?: unknown; httpUrl?: unknown } | undefined;
  return info?.address === address ? info : undefined;
}

export function temporalUiBase(address: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.FSFM_UI_URL) return env.FSFM_UI_URL.replace(/\/$/, '');
  const recorded = recordedServer(address)?.uiUrl;
  if (typeof recorded === 'string') return recorded.replace(/\/$/, '');
  const at = address.lastIndexOf(':');
  return `http://${address.slice(0, at)}:${Number(address.slice(at + 1)) + 1000}`;
}

/** The base URL of the server's HTTP API, when known. */
export function temporalHttpBase(address: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FSFM_TEMPORAL_HTTP_URL) return env.FSFM_TEMPORAL_HTTP_URL.replace(/\/$/, '');
  const recorded = recordedServer(address)?.httpUrl;
  return typeof recorded === 'string' ? recorded.replace(/\/$/, '') : undefined;
}

/** The UI page of a workflow (or the namespace's workflow list). */
export function workflowUiUrl(address: string, namespace: string, workflowId?: string, env: NodeJS.ProcessEnv = process.env): string {
  const list = `${temporalUiBase(address, env)}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  return workflowId ? `${list}/${encodeURIComponent(workflowId)}` : list;
}
