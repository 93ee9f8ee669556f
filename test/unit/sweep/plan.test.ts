/** The sweep's grid, its points' pipeline inputs, the shared prepare jobs, leave-one-out, and the input schema. */
import { describe, expect, it } from 'vitest';
import { FsfmSweepInput, parseWorkflowInput, inputJsonSchema, isWorkflowName } from '../../../lib/config';
import { expandGrid, getPath, planSweep, setPath } from '../../../lib/sweep';

const sample = (name: string, methods = ['Deepfakes']) => ({ name, dataset: { root: '/data/sample', format: 'ffpp', methods } });
const base = () => ({
  preset: 'demo',
  datasets: { pretrain: [sample('sample')], train: sample('sample', ['Deepfakes', 'FaceSwap']) },
  pretrain: { config: { maxSteps: 6 } },
  finetune: { config: { epochs: 1, warmupEpochs: 0.5 } },
});
const sweep = (extra: Record<string, unknown> = {}) => FsfmSweepInput.parse({ base: base(), grid: { strategy: ['crfr-p', 'random'], seeds: [0, 1] }, ...extra });

describe('sweep grid', () => {
  it('2 strategies x 2 seeds are 4 pipelines, seeds outermost, each value written where the pipeline reads it', () => {
    const points = expandGrid(base(), { strategy: ['crfr-p', 'random'], seeds: [0, 1], axes: [] }, 'all');
    expect(points.map((p) => p.label)).toEqual(['strategy=crfr-p seed=0', 'strategy=random seed=0', 'strategy=crfr-p seed=1', 'strategy=random seed=1']);
    expect(points.map((p) => p.group)).toEqual(['strategy=crfr-p', 'strategy=random', 'strategy=crfr-p', 'strategy=random']);
    expect(getPath(points[1].input, 'pretrain.config.masking.strategy')).toBe('random');
    expect(getPath(points[1].input, 'pretrain.config.maxSteps')).toBe(6);
    for (const path of ['pretrain.config.seed', 'pretrain.config.model.seed', 'finetune.config.seed', 'finetune.config.model.seed']) expect(getPath(points[3].input, path)).toBe(1);
    // The base is not touched.
    expect(getPath(base(), 'pretrain.config.masking')).toBeUndefined();
  });

  it("seedScope 'finetune' leaves pretraining's seeds alone, so a point's seeds share one pretraining config", () => {
    const [a, , b] = expandGrid(base(), { strategy: ['crfr-p', 'random'], seeds: [0, 1], axes: [] }, 'finetune');
    expect(a.input.pretrain).toEqual(b.input.pretrain);
    expect(getPath(b.input, 'finetune.config.seed')).toBe(1);
  });

  it('generic axes write into lists by index and move linked paths together; a bad path is named', () => {
    const target = { paths: ['datasets.pretrain.0.maxVideos', 'evaluate.batchSize'], values: [2, 4], name: 'n' };
    const points = expandGrid(base(), { seeds: [0], axes: [target] }, 'finetune');
    expect(points.map((p) => [getPath(p.input, 'datasets.pretrain.0.maxVideos'), getPath(p.input, 'evaluate.batchSize')])).toEqual([[2, 2], [4, 4]]);
    expect(points[1].label).toBe('n=4 seed=0');
    expect(() => setPath({ a: [1] }, 'a.x', 1)).toThrow(/path a\.x: a is a list of 1; "x" is not an index/);
    expect(() => setPath({ a: 3 }, 'a.b.c', 1)).toThrow(/path a\.b\.c: a is 3, not an object/);
  });
});

describe('sweep plan', () => {
  it('runs each distinct prepare job once, however many points use it', () => {
    const plan = planSweep(sweep());
    expect(plan.points).toHaveLength(4);
    expect(plan.prepareJobs.map((j) => (j.prepare as { purpose: string }).purpose)).toEqual(['pretrain', 'finetune']);
    expect(plan.metrics).toBe('deepfake');
    expect(plan.points.map((p) => p.pretrainLabel)).toEqual(['strategy=crfr-p seed=0', 'strategy=random seed=0', 'strategy=crfr-p seed=1', 'strategy=random seed=1']);
  });

  it('MCIO leave-one-out from one input: a protocol per target domain, fas preset, the target tested, FAS metrics', () => {
    const input = FsfmSweepInput.parse({
      base: { preset: 'demo', datasets: { pretrain: [sample('sample')] }, pretrain: { config: { maxSteps: 6 } }, finetune: { config: { epochs: 2, data: { iterationsPerEpoch: 2 } } } },
      leaveOneOut: { dataset: { name: 'mcio', dataset: { root: '/data/mcio', format: 'mcio' } }, targets: ['casia', 'msu', 'oulu', 'replay'] },
      grid: { seeds: [0, 1] },
      seedScope: 'finetune',
    });
    const plan = planSweep(input);
    expect(plan.points.map((p) => p.label)).toEqual(['target=casia seed=0', 'target=msu seed=0', 'target=oulu seed=0', 'target=replay seed=0', 'target=casia seed=1', 'target=msu seed=1', 'target=oulu seed=1', 'target=replay seed=1']);
    const oulu = plan.points[2].input;
    expect(getPath(oulu, 'finetune.preset')).toBe('fas');
    expect(getPath(oulu, 'finetune.config.data.targetDomain')).toBe('oulu');
    expect(getPath(oulu, 'finetune.config.data.iterationsPerEpoch')).toBe(2);
    expect(getPath(oulu, 'finetune.config.model.preset')).toBe('demo');
    expect(getPath(oulu, 'datasets.train.name')).toBe('mcio');
    expect(getPath(oulu, 'evaluate.trainTestSplit')).toBe(false);
    expect(getPath(oulu, 'datasets.test.0')).toMatchObject({ name: 'target', dataset: { root: '/data/mcio', format: 'mcio', mcioDomains: ['oulu'], splits: ['test'] } });
    // One pretraining for every protocol and seed; the target test sets are prepared once per domain.
    expect(new Set(plan.points.map((p) => JSON.stringify(p.input.pretrain))).size).toBe(1);
    expect(plan.prepareJobs.filter((j) => (j.prepare as { purpose: string }).purpose === 'test')).toHaveLength(4);
    expect(plan.metrics).toBe('fas');
    expect(plan.testSets).toEqual(['target']);
  });
});

describe('FsfmSweep input', () => {
  it('is a workflow input like the others (CLI, UI form, schedules)', () => {
    expect(isWorkflowName('FsfmSweep')).toBe(true);
    const parsed = parseWorkflowInput('FsfmSweep', { base: base(), grid: { maskRatio: [0.5, 0.75] } });
    expect(parsed).toMatchObject({ concurrency: 2, seedScope: 'all', grid: { seeds: [0] } });
    const schema = inputJsonSchema('FsfmSweep') as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['base', 'grid', 'leaveOneOut', 'concurrency']));
  });

  it("names the first point whose pipeline input is invalid, with the pipeline's own message", () => {
    expect(() => parseWorkflowInput('FsfmSweep', { base: base(), grid: { strategy: ['crfr-p'], axes: [{ name: 'ep', paths: ['finetune.config.epochs'], values: [1, 0] }] } })).toThrow(
      /invalid FsfmSweep input: points\.1: strategy=crfr-p ep=0 seed=0: finetune\.config: invalid finetuning config: epochs: Too small/,
    );
  });

  it('rejects axes that change nothing or fight over a path, and grids too large', () => {
    expect(() => parseWorkflowInput('FsfmSweep', { base: base(), grid: { axes: [{ name: 'a', paths: ['evaluate.modelName'], values: ['x', 'x'] }] } })).toThrow(/are the same pipeline/);
    expect(() => parseWorkflowInput('FsfmSweep', { base: base(), grid: { strategy: ['random'], axes: [{ name: 'm', paths: ['pretrain.config.masking'], values: [{}] }] } })).toThrow(
      /axes strategy and m both set pretrain\.config\.masking\.strategy \/ pretrain\.config\.masking/,
    );
    const many = Array.from({ length: 33 }, (_, i) => i);
    expect(() => parseWorkflowInput('FsfmSweep', { base: base(), grid: { seeds: many, axes: [{ name: 'a', paths: ['evaluate.batchSize'], values: many.map((i) => i + 1) }] } })).toThrow(/1089 points; at most 1024/);
    expect(() => parseWorkflowInput('FsfmSweep', { base: { ...base(), pretrain: { checkpoint: 'runs/x/pretrain' } }, grid: { strategy: ['random'] } })).toThrow(/base\.pretrain\.checkpoint skips pretraining/);
  });
});
