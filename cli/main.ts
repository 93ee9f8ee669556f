/**
 * fsfm: the client CLI.
 *   fsfm run <Workflow> --input FILE|- [--id ID] [--wait] [--json]
 *   fsfm sweep --input FILE|- [--id ID] [--wait] [--json]    (= run FsfmSweep)
 *   fsfm status <ID> [--json]      fsfm cancel <ID>
 *   fsfm schema <Workflow>         fsfm services up|down|status|env [service]
 * Exit codes: 0 success, 1 the workflow failed, 2 bad usage or input, 3 Temporal unreachable,
 * 4 cancelled/terminated/timed out.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { TASK_QUEUE_CPU } from '../workflows/task-queues';
import { CliError } from './errors';
import { readInput } from './input';

// Modules load only in the commands that use them (test/unit/cli/startup.test.ts): the input schemas (zod) in
// run/schema/help, the Temporal client and its gRPC stack in run/cancel/schedule (and status without an HTTP API),
// the AWS SDK behind `services`; nothing here loads TF.js. require, not import(): the bin runs either the bundle
// (dist/cli, where esbuild keeps a require lazy) or the sources under tsx's CommonJS hook, which import() would bypass.
const config = () => require('../lib/config') as typeof import('../lib/config');
const temporalClient = () => require('@temporalio/client') as typeof import('@temporalio/client');
const clientHelpers = () => require('./client') as typeof import('./client');

const usage = () => `usage:
  fsfm run <Workflow> --input FILE|- [--id ID] [--wait] [--json]
  fsfm sweep --input FILE|- [--id ID] [--wait] [--json]      an FsfmSweep (grid of pipelines; fsfm schema FsfmSweep)
  fsfm status <ID> [--json]
  fsfm cancel <ID>
  fsfm schema <Workflow>
  fsfm services up|down|status|env [temporal|seaweedfs]
  fsfm schedule create <id> <Workflow> --input FILE (--cron EXPR | --every 24h) [--overlap skip|buffer-one] [--catchup 1h] [--paused]
  fsfm schedule list | describe <id> | pause <id> | unpause <id> | trigger <id> | backfill <id> --from ISO --to ISO | delete <id>
workflows: ${config().WORKFLOW_NAMES.join(', ')}`;

/** Error names of plain JavaScript/Node errors: a failure of this type is a raw cause (ENOENT …), not our message. */
const GENERIC_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'SystemError', 'AbortError', '']);

/**
 * The message a user should read for a failed workflow: the most specific domain error in the failure's cause chain
 * (e.g. InvalidPath "dataset root not found: /data/x" under ActivityFailure and ChildWorkflowFailure), not the raw
 * system error it wraps ("ENOENT: no such file or directory, realpath …"); the deepest message when none is ours.
 */
export function failureMessage(err: unknown): string {
  type Node = { message?: string; cause?: unknown; type?: string; name?: string };
  let e = err as Node | undefined;
  let domain: Node | undefined;
  while (e) {
    if (e.name === 'ApplicationFailure' && !GENERIC_ERRORS.has(e.type ?? '')) domain = e;
    if (!e.cause) break;
    e = e.cause as Node;
  }
  // One line, but all of it: multi-line domain messages (e.g. every missing part of a dataset layout) are joined.
  return oneLine((domain ?? e)?.message ?? String(err));
}

function workflowName(name: string | undefined): import('../lib/config').WorkflowName {
  const { isWorkflowName, WORKFLOW_NAMES } = config();
  if (!name || !isWorkflowName(name)) throw new CliError(`unknown workflow ${JSON.stringify(name ?? '')}; one of: ${WORKFLOW_NAMES.join(', ')}`, 2);
  return name;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, '; ');
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { input: { type: 'string', short: 'i' }, id: { type: 'string' }, wait: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  const { FsfmError } = require('../lib/errors') as typeof import('../lib/errors');
  const { parseWorkflowInput } = config();
  const name = workflowName(positionals[0]);
  if (!values.input) throw new CliError('--input FILE is required (a JSON object; - reads stdin)', 2);
  const raw = readInput(values.input);
  try {
    parseWorkflowInput(name, raw); // fail here, before anything is started, with the same message the worker would give
  } catch (err) {
    if (err instanceof FsfmError) throw new CliError(err.message, 2);
    throw err;
  }
  const id = values.id ?? `${name}-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${crypto.randomBytes(3).toString('hex')}`;
  const [{ WorkflowFailedError }, { connectClient, uiUrl }] = [temporalClient(), clientHelpers()];
  const { client, close, address, namespace } = await connectClient();
  try {
    const handle = await client.workflow.start(name, {
      taskQueue: TASK_QUEUE_CPU + (process.env.FSFM_TASK_QUEUE_SUFFIX ?? ''),
      workflowId: id,
      args: [raw],
      // Re-running with the same --id while that run is open attaches to it instead of starting a second one.
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const link = uiUrl(address, namespace, id);
    if (!values.wait) {
      if (values.json) console.log(JSON.stringify({ workflowId: id, runId: handle.firstExecutionRunId, ui: link }));
      else console.log(`started ${name} ${id}\n  ${link}`);
      return 0;
    }
    if (!values.json) console.error(`started ${name} ${id}\n  ${link}`);
    const { watchProgress } = require('./progress') as typeof import('./progress');
    const stopWatching = values.json ? () => undefined : watchProgress(client, id);
    try {
      const result = await handle.result().finally(stopWatching);
      const { formatResult } = require('./format') as typeof import('./format');
      console.log(values.json ? JSON.stringify({ workflowId: id, status: 'COMPLETED', result, ui: link }) : formatResult(name, result));
      return 0;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const reason = failureMessage(err);
        const kind = (err.cause as { name?: string } | undefined)?.name;
        const code = kind === 'CancelledFailure' || kind === 'TerminatedFailure' || kind === 'TimeoutFailure' ? 4 : 1;
        if (values.json) console.log(JSON.stringify({ workflowId: id, status: 'FAILED', error: reason, ui: link }));
        throw new CliError(`${name} ${id} failed: ${reason}`, code);
      }
      throw err;
    }
  } finally {
    await close();
  }
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const id = positionals[0];
  if (!id) throw new CliError('status needs a workflow id', 2);
  const { formatStatus, readStatus } = require('./status') as typeof import('./status');
  const s = await readStatus(id);
  console.log(values.json ? JSON.stringify(s) : formatStatus(s));
  return s.status === 'COMPLETED' || s.status === 'RUNNING' ? 0 : 1;
}

async function cancel(args: string[]): Promise<number> {
  const id = args[0];
  if (!id) throw new CliError('cancel needs a workflow id', 2);
  const [{ WorkflowNotFoundError }, { connectClient }] = [temporalClient(), clientHelpers()];
  const { client, close } = await connectClient();
  try {
    await client.workflow.getHandle(id).cancel();
    console.log(`cancellation requested for ${id}`);
    return 0;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no running workflow ${id}`, 2);
    throw err;
  } finally {
    await close();
  }
}

export async function cli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return run(rest);
    case 'sweep':
      return run(['FsfmSweep', ...rest]);
    case 'status':
      return status(rest);
    case 'cancel':
      return cancel(rest);
    case 'schema':
      console.log(JSON.stringify(config().inputJsonSchema(workflowName(rest[0])), null, 2));
      return 0;
    case 'services':
      return (require('../infra/cli') as typeof import('../infra/cli')).servicesCommand(rest);
    case 'schedule':
      return (require('./schedule') as typeof import('./schedule')).scheduleCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(usage());
      return cmd ? 0 : 2;
    default:
      throw new CliError(`unknown command ${cmd}\n${usage()}`, 2);
  }
}

/**
 * Runs the CLI as a program: exit code from cli(), one `fsfm: ...` line on stderr for an error. The bin (cli/fsfm.cjs)
 * calls this however it was reached (npx, npm exec, node_modules/.bin, a global link), so no path test decides it.
 */
export function main(argv: string[] = process.argv.slice(2)): void {
  cli(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const code = err instanceof CliError ? err.exitCode : 1;
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`fsfm: ${oneLine(msg)}\n`);
      process.exit(code);
    },
  );
}

// `tsx cli/main.ts ...` (npm run fsfm).
if (require.main === module) main();
