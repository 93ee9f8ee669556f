/**
 * `fsfm status`: what a workflow is doing. Read over Temporal's HTTP API when the server's is known
 * (infra/ui-url.ts: FSFM_TEMPORAL_HTTP_URL or the started dev server's record), so the command starts without the
 * gRPC client and its protobuf tables (most of a second); over gRPC otherwise (a remote or mTLS cluster).
 * Both readers (the gRPC one is in cli/client.ts) return the same WorkflowStatus (test/integration/pretrain.test.ts
 * compares them on a live run).
 */
import http from 'node:http';
import { temporalEnv } from '../infra/temporal-env';
import { temporalHttpBase, workflowUiUrl } from '../infra/ui-url';
import { CliError } from './errors';

export interface PendingActivity {
  activity?: string;
  attempt?: number;
  /** SCHEDULED, STARTED, CANCEL_REQUESTED, … (the enum name without its PENDING_ACTIVITY_STATE_ prefix) */
  state?: string;
  lastFailure?: string;
  /** The first heartbeat detail, decoded. */
  heartbeat?: unknown;
}

export interface WorkflowStatus {
  workflowId: string;
  type: string;
  /** RUNNING, COMPLETED, FAILED, … (without the WORKFLOW_EXECUTION_STATUS_ prefix) */
  status: string;
  /** ISO 8601, millisecond precision */
  startTime: string;
  closeTime?: string;
  /** The workflow's `progress` query, asked while it runs. */
  progress?: unknown;
  pendingActivities: PendingActivity[];
  ui: string;
}

export type Described = Omit<WorkflowStatus, 'progress' | 'ui'>;
export interface Server {
  address: string;
  namespace: string;
}

export const iso = (t: string | Date) => new Date(t).toISOString();
const unprefixed = (name: string | undefined, prefix: string) => (name?.startsWith(prefix) ? name.slice(prefix.length) : name);

/** The HTTP API's JSON of DescribeWorkflowExecution, as much of it as is read here (payloads in shorthand). */
interface HttpDescribe {
  workflowExecutionInfo: { type: { name: string }; status: string; startTime: string; closeTime?: string };
  pendingActivities?: Array<{ activityType?: { name?: string }; attempt?: number; state?: string; lastFailure?: { message?: string }; heartbeatDetails?: unknown[] }>;
}

/**
 * One JSON request (POST when there is a body) with node:http(s): fetch would load undici, about 0.2 s of CPU at
 * start-up, more than the rest of the command.
 */
function requestJson(url: string, headers: Record<string, string>, body?: string, timeoutMs = 10_000): Promise<{ status: number; body: { message?: string } }> {
  const client = url.startsWith('https:') ? (require('node:https') as typeof import('node:https')) : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        let parsed: { message?: string } = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: string };
        } catch {
          // not JSON (a proxy's error page): the status says enough
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads a workflow over the server's HTTP API (its JSON carries json/plain payloads decoded, "shorthand"). */
export async function readStatusOverHttp(base: string, server: Server, id: string, apiKey?: string): Promise<Omit<WorkflowStatus, 'ui'>> {
  const url = `${base}/api/v1/namespaces/${encodeURIComponent(server.namespace)}/workflows/${encodeURIComponent(id)}`;
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const call = async (path: string, body?: string) => {
    let res: { status: number; body: { message?: string } };
    try {
      res = await requestJson(url + path, headers, body);
    } catch (err) {
      throw new CliError(`cannot reach Temporal's HTTP API at ${base} (${(err as Error).message}); start it with 'make up' or set FSFM_TEMPORAL_HTTP_URL`, 3);
    }
    if (res.status === 404 && !path) throw new CliError(`no workflow ${id} in namespace ${server.namespace}`, 2);
    if (res.status < 200 || res.status > 299) throw new Error(`Temporal HTTP API ${res.status} on ${url + path}: ${res.body.message ?? ''}`);
    return res.body;
  };
  const d = (await call('')) as HttpDescribe;
  const info = d.workflowExecutionInfo;
  const described: Described = {
    workflowId: id,
    type: info.type.name,
    status: unprefixed(info.status, 'WORKFLOW_EXECUTION_STATUS_')!,
    startTime: iso(info.startTime),
    closeTime: info.closeTime ? iso(info.closeTime) : undefined,
    pendingActivities: (d.pendingActivities ?? []).map((a) => ({
      activity: a.activityType?.name,
      attempt: a.attempt,
      state: unprefixed(a.state, 'PENDING_ACTIVITY_STATE_'),
      lastFailure: a.lastFailure?.message || undefined,
      heartbeat: a.heartbeatDetails?.[0],
    })),
  };
  let progress: unknown;
  if (described.status === 'RUNNING') {
    progress = await call('/query/progress', '{}').then(
      (r) => (r as { queryResult?: unknown[] }).queryResult?.[0],
      () => undefined,
    );
  }
  return { ...described, progress };
}

/** The status of a workflow on the server this environment names (TEMPORAL_ADDRESS, …). */
export async function readStatus(id: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkflowStatus> {
  const t = temporalEnv(env);
  const server = { address: t.address, namespace: t.namespace };
  // A client certificate is a gRPC (mTLS) setting; fetch has no place for it.
  const base = typeof t.tls === 'object' && t.tls.clientCertPair ? undefined : temporalHttpBase(t.address, env);
  // cli/client.ts holds the gRPC reader: it loads the Temporal client, so only when it is needed.
  const status = base ? await readStatusOverHttp(base, server, id, t.apiKey) : await (require('./client') as typeof import('./client')).readStatusOverGrpc(id, env);
  return { ...status, ui: workflowUiUrl(server.address, server.namespace, id, env) };
}

export function formatStatus(s: WorkflowStatus): string {
  const lines = [`${s.type} ${s.workflowId}: ${s.status}  (started ${s.startTime}${s.closeTime ? `, closed ${s.closeTime}` : ''})`];
  if (s.progress) lines.push(`  progress: ${JSON.stringify(s.progress)}`);
  for (const p of s.pendingActivities) lines.push(`  activity ${p.activity} attempt ${p.attempt}: ${JSON.stringify(p.heartbeat ?? {})}${p.lastFailure ? `  last failure: ${p.lastFailure}` : ''}`);
  lines.push(`  ${s.ui}`);
  return lines.join('\n');
}
