/**
 * The single source of truth for workflow inputs: one zod schema per workflow, shared by the workflows (types only),
 * the activities (validation), the CLI and the docs (JSON Schema export).
 */
import { z } from 'zod';
import { InvalidConfig } from '../errors';
import { formatIssues } from '../options';
import { AnalyzeInput } from './analyze';
import { EvaluateInput, FinetuneInput } from './finetune';
import { FsfmPipelineInput } from './pipeline';
import { PrepareDatasetInput } from './prepare';
import { PretrainInput } from './pretrain';
import { ProbeVideosInput } from './probe';
import { FsfmSweepInput } from './sweep';

export * from './analyze';
export * from './finetune';
export * from './pipeline';
export * from './prepare';
export * from './pretrain';
export * from './probe';
export * from './search-attributes';
export * from './signals';
export * from './sweep';

export const WORKFLOW_INPUTS = {
  ProbeVideos: ProbeVideosInput,
  PrepareDataset: PrepareDatasetInput,
  Pretrain: PretrainInput,
  Finetune: FinetuneInput,
  Evaluate: EvaluateInput,
  FsfmPipeline: FsfmPipelineInput,
  Analyze: AnalyzeInput,
  FsfmSweep: FsfmSweepInput,
} as const;

export type WorkflowName = keyof typeof WORKFLOW_INPUTS;
export const WORKFLOW_NAMES = Object.keys(WORKFLOW_INPUTS) as WorkflowName[];

export function isWorkflowName(name: string): name is WorkflowName {
  return Object.prototype.hasOwnProperty.call(WORKFLOW_INPUTS, name);
}


/** Validates a workflow input and applies defaults; throws InvalidConfig naming every problem. */
export function parseWorkflowInput<N extends WorkflowName>(name: N, raw: unknown): z.infer<(typeof WORKFLOW_INPUTS)[N]> {
  const schema = WORKFLOW_INPUTS[name];
  // Say what is wrong with the whole input before any field: a null or an array is not "dataset: received undefined".
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = raw === undefined ? 'nothing' : raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`;
    throw new InvalidConfig(`invalid ${name} input: input must be a JSON object, got ${got}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new InvalidConfig(`invalid ${name} input: ${formatIssues(r.error)}`);
  return r.data as z.infer<(typeof WORKFLOW_INPUTS)[N]>;
}

/** JSON Schema (draft 2020-12) of a workflow's input, for the README and for filling the UI's Start Workflow form. */
export function inputJsonSchema(name: WorkflowName): Record<string, unknown> {
  return z.toJSONSchema(WORKFLOW_INPUTS[name], { io: 'input' }) as Record<string, unknown>;
}
