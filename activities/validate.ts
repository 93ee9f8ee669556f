import { parseWorkflowInput, isWorkflowName } from '../lib/config';
import { InvalidConfig } from '../lib/errors';

/**
 * Validates a workflow's input against its schema and returns it with defaults applied. Runs as a local activity,
 * the first step of every workflow, so that a bad input from the UI, a schedule or the CLI fails before any work
 * with one readable message (workflow code stays free of zod).
 */
export async function validateInput(workflow: string, raw: unknown): Promise<unknown> {
  if (!isWorkflowName(workflow)) throw new InvalidConfig(`no schema for workflow ${workflow}`);
  return parseWorkflowInput(workflow, raw);
}
