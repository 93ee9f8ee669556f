/** One rule for where a run's outputs live, the same in the code, the input schema and the README. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputJsonSchema } from '../../../lib/config';
import { reportKeys } from '../../../lib/eval/write-report.js';
import { finetunePrefix } from '../../../lib/finetune/checkpoint.js';
import { pretrainPrefix } from '../../../lib/train/checkpoint.js';
import { stageRunId } from '../../../workflows/pipeline.js';

const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');

describe('where outputs live', () => {
  it('a run writes under runs/<runId>/, and a pipeline stage is the run <stage>-<key16>', () => {
    const key = 'ab12cd34ef56ab78' + 'f'.repeat(48);
    const runId = stageRunId('eval', key);
    expect(runId).toBe('eval-ab12cd34ef56ab78');
    expect(reportKeys(runId).htmlKey).toBe('runs/eval-ab12cd34ef56ab78/report.html');
    expect(pretrainPrefix(stageRunId('pretrain', key))).toBe('runs/pretrain-ab12cd34ef56ab78/pretrain');
    expect(finetunePrefix(stageRunId('finetune', key))).toBe('runs/finetune-ab12cd34ef56ab78/finetune');
  });

  it('the README and the FsfmPipeline schema say the same, and neither claims the pipeline runId names the report folder', () => {
    expect(readme).toContain('runs/eval-<key16>/report.html');
    expect(readme).toContain('`runs/<runId>/report.{md,html}`');
    const runIdDoc = (inputJsonSchema('FsfmPipeline') as { properties: { runId: { description: string } } }).properties.runId.description;
    expect(runIdDoc).toContain('runs/<stage>-<key16>/');
    expect(runIdDoc).not.toMatch(/names the report/);
  });
});
