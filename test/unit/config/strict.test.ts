import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoPipelineInput } from '../../../cli/demo-input';
import { repoRoot } from '../../../infra/paths';
import { parseWorkflowInput, type WorkflowName } from '../../../lib/config';
import { InvalidConfig } from '../../../lib/errors';
import { parsePrepareOptions } from '../../../lib/prepare';
import { nearestKey } from '../../../lib/schema-messages';

const dataset = { root: '/data/ffpp', format: 'ffpp' };
const message = (name: WorkflowName, raw: unknown): string => {
  try {
    parseWorkflowInput(name, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfig);
    return (err as Error).message;
  }
  throw new Error(`${name} accepted ${JSON.stringify(raw)}`);
};
const count = (text: string, part: string) => text.split(part).length - 1;

describe('workflow inputs are strict', () => {
  it('an unknown prepare option is an error that names the key meant, once', () => {
    const m = message('PrepareDataset', { dataset, prepare: { framesPerRealvideo: 4 } });
    expect(m).toBe('invalid PrepareDataset input: prepare: unknown key "framesPerRealvideo" (did you mean "framesPerRealVideo"?)');
    expect(() => parsePrepareOptions({ face: { upsampel: 0 } } as never)).toThrow(/unknown key "upsampel" \(did you mean "upsample"\?\)[\s\S]*face/);
  });

  it('an unknown key at the top or deep in a pipeline dataset is an error, each named once', () => {
    const m = message('FsfmPipeline', {
      datasets: { pretrain: [{ name: 'a', dataset, prepare: { framesPerRealvideo: 4 } }], train: { name: 'a', dataset } },
    });
    expect(m).toMatch(/datasets\[0\] a\.prepare: unknown key "framesPerRealvideo" \(did you mean "framesPerRealVideo"\?\)/);
    expect(count(m, 'framesPerRealvideo')).toBe(1);
    const top = message('PrepareDataset', { dataset, paralelism: 2, zzz: 1 });
    expect(top).toMatch(/unknown keys "paralelism" \(did you mean "parallelism"\?\), "zzz"/);
    expect(message('Pretrain', { preset: 'demo', config: { data: { prepared: ['p/x'] }, masking: { maskRatoi: 0.5 } } })).toMatch(
      /masking: unknown key "maskRatoi" \(did you mean "maskRatio"\?\)/,
    );
    expect(message('Finetune', { preset: 'demo', config: { data: { prepared: ['p/x'] }, model: { dropPathRat: 0.1 } } })).toMatch(/did you mean "dropPathRate"/);
  });

  it('a key far from every known one lists the known keys instead of guessing', () => {
    expect(nearestKey('frobnicate', ['framesPerRealVideo', 'face'])).toBeUndefined();
    expect(nearestKey('FACE', ['framesPerRealVideo', 'face'])).toBe('face');
    expect(message('ProbeVideos', { videosDir: '/v', whatever: 1 })).toMatch(/unknown key "whatever"; known: videosDir/);
  });

  it('an input that is not an object says so', () => {
    expect(message('PrepareDataset', null)).toBe('invalid PrepareDataset input: input must be a JSON object, got null');
    expect(message('FsfmPipeline', [])).toBe('invalid FsfmPipeline input: input must be a JSON object, got an array');
    expect(message('Pretrain', 'x')).toBe('invalid Pretrain input: input must be a JSON object, got a string');
  });

  it("the demo's pipeline input and every JSON input in the README still validate", () => {
    expect(() => parseWorkflowInput('FsfmPipeline', demoPipelineInput('/data/a', '/data/b'))).not.toThrow();
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const b of blocks) {
      const name: WorkflowName = 'base' in b ? 'FsfmSweep' : 'checkpoints' in b ? 'Analyze' : 'datasets' in b ? 'FsfmPipeline' : 'videosDir' in b ? 'ProbeVideos' : 'dataset' in b ? 'PrepareDataset' : 'Pretrain';
      expect(() => parseWorkflowInput(name, b), `${name} ${JSON.stringify(b)}`).not.toThrow();
    }
  });
});

describe('pipeline validation messages', () => {
  it('a dataset used for pretraining and training reports its problem once', () => {
    const spec = { name: 'a', dataset, prepare: { framesPerRealVideo: -1 } };
    const m = message('FsfmPipeline', { datasets: { pretrain: [spec], train: spec } });
    expect(count(m, 'framesPerRealVideo')).toBe(1);
    // Different datasets with the same mistake are still each named.
    const m2 = message('FsfmPipeline', { datasets: { pretrain: [spec], train: { ...spec, name: 'b' } } });
    expect(count(m2, 'framesPerRealVideo')).toBe(2);
  });
});
