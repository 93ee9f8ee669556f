/**
 * fsfm schedule: periodic runs (e.g. nightly retraining) over Temporal Schedules.
 *   create <id> <Workflow> --input FILE (--cron EXPR | --every DURATION) [--overlap skip|buffer-one] [--catchup DURATION] [--paused]
 *   list | describe <id> | pause <id> | unpause <id> | trigger <id> | backfill <id> --from ISO --to ISO | delete <id>
 * Every scheduled run gets its own workflow id (Temporal appends the start time), which is also its run id and store
 * prefix, so runs never overwrite each other.
 */
import { parseArgs } from 'node:util';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { isWorkflowName, parseWorkflowInput, WORKFLOW_NAMES } from '../lib/config';
import { FsfmError } from '../lib/errors';
import { TASK_QUEUE_CPU } from '../workflows/common';
import { CliError, connectClient } from './client';
import { readInput } from './input';

const OVERLAP = { skip: ScheduleOverlapPolicy.SKIP, 'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE } as const;

async function withHandle<T>(client: Client, id: string | undefined, fn: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
  if (!id) throw new CliError('a schedule id is required', 2);
  try {
    return await fn(client.schedule.getHandle(id));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new CliError(`no schedule ${id}`, 2);
    throw err;
  }
}

export async function scheduleCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i' },
      cron: { type: 'string' },
      every: { type: 'string' },
      overlap: { type: 'string', default: 'skip' },
      catchup: { type: 'string', default: '1h' },
      paused: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const { client, close } = await connectClient();
  try {
    switch (verb) {
      case 'create': {
        const [id, workflow] = positionals;
        if (!id || !workflow || !isWorkflowName(workflow)) throw new CliError(`usage: schedule create <id> <Workflow> --input FILE (--cron EXPR | --every DURATION); workflows: ${WORKFLOW_NAMES.join(', ')}`, 2);
        if (!values.input) throw new CliError('--input FILE is required', 2);
        if (Boolean(values.cron) === Boolean(values.every)) throw new CliError('give exactly one of --cron "0 3 * * *" or --every 24h', 2);
        const overlap = OVERLAP[values.overlap as keyof typeof OVERLAP];
        if (!overlap) throw new CliError(`--overlap must be skip or buffer-one, not ${values.overlap}`, 2);
        const raw = readInput(values.input);
        try {
          parseWorkflowInput(workflow, raw);
        } catch (err) {
          if (err instanceof FsfmError) throw new CliError(err.message, 2);
          throw err;
        }
        try {
          await client.schedule.create({
            scheduleId: id,
            spec: values.cron ? { cronExpressions: [values.cron] } : { intervals: [{ every: values.every as never }] },
            action: { type: 'startWorkflow', workflowType: workflow, workflowId: id, args: [raw], taskQueue: TASK_QUEUE_CPU + (process.env.FSFM_TASK_QUEUE_SUFFIX ?? '') },
            policies: { overlap, catchupWindow: values.catchup as never },
            state: { paused: values.paused, note: values.paused ? 'created paused' : undefined },
          });
        } catch (err) {
          if (err instanceof ScheduleAlreadyRunning) throw new CliError(`schedule ${id} already exists`, 2);
          throw err;
        }
        console.log(`created schedule ${id}: ${workflow} ${values.cron ? `cron "${values.cron}"` : `every ${values.every}`}, overlap ${values.overlap}${values.paused ? ', paused' : ''}`);
        return 0;
      }
      case 'list': {
        const rows = [];
        for await (const s of client.schedule.list()) rows.push({ id: s.scheduleId, workflow: s.action?.workflowType, paused: s.state.paused, next: s.info.nextActionTimes[0]?.toISOString() ?? null });
        if (values.json) console.log(JSON.stringify(rows));
        else for (const r of rows) console.log(`${r.id}  ${r.workflow}  ${r.paused ? 'paused' : 'active'}  next ${r.next ?? '-'}`);
        return 0;
      }
      case 'describe':
        return await withHandle(client, positionals[0], async (h) => {
          const d = await h.describe();
          const out = {
            id: d.scheduleId,
            workflow: d.action.workflowType,
            paused: d.state.paused,
            note: d.state.note,
            overlap: d.policies.overlap,
            catchupWindowMs: d.policies.catchupWindow,
            runs: d.info.numActionsTaken,
            skipped: d.info.numActionsSkippedOverlap,
            running: d.info.runningActions.map((a) => a.workflow.workflowId),
            recent: d.info.recentActions.map((a) => ({ at: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId })),
            next: d.info.nextActionTimes.map((t) => t.toISOString()),
          };
          console.log(values.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
          return 0;
        });
      case 'pause':
      case 'unpause':
      case 'trigger':
      case 'delete':
        return await withHandle(client, positionals[0], async (h) => {
          if (verb === 'pause') await h.pause(`paused via fsfm ${new Date().toISOString()}`);
          else if (verb === 'unpause') await h.unpause('unpaused via fsfm');
          else if (verb === 'trigger') await h.trigger();
          else await h.delete();
          console.log(`${{ pause: 'paused', unpause: 'unpaused', trigger: 'triggered', delete: 'deleted' }[verb]} schedule ${positionals[0]}`);
          return 0;
        });
      case 'backfill':
        return await withHandle(client, positionals[0], async (h) => {
          const start = new Date(values.from ?? '');
          const end = new Date(values.to ?? '');
          if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) throw new CliError('backfill needs --from ISO and --to ISO (later than --from)', 2);
          await h.backfill({ start, end, overlap: OVERLAP[values.overlap as keyof typeof OVERLAP] ?? ScheduleOverlapPolicy.SKIP });
          console.log(`backfilled schedule ${positionals[0]} from ${start.toISOString()} to ${end.toISOString()}`);
          return 0;
        });
      default:
        throw new CliError('usage: fsfm schedule create|list|describe|pause|unpause|trigger|backfill|delete ...', 2);
    }
  } finally {
    await close();
  }
}
