import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { toFailure } from '../../../activities/failures';
import { parseWorkflowInput, type WorkflowName } from '../../../lib/config';
import { InvalidConfig, TransientError } from '../../../lib/errors';
import { FileStore, InvalidStoreKey, openStore, S3Store } from '../../../lib/store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-keys-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const dataset = { root: '/data/ffpp', format: 'ffpp' };
const prepared = { data: { prepared: ['prepared/abc'] } };
function rejects(name: WorkflowName, raw: Record<string, unknown>): string {
  try {
    parseWorkflowInput(name, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfig);
    return (err as Error).message;
  }
  throw new Error(`${name} accepted ${JSON.stringify(raw)}`);
}

const BAD = ['../../etc/passwd', '/etc/passwd', 'runs//x', 'runs/./x', 'runs/x/', 'a/.fsfm-tmp', 'sp ace', ''];

describe('store keys from users are checked at input validation', () => {
  it.each(BAD)('%j is refused wherever a user names a store key, with one message', (key) => {
    const inputs: Array<[WorkflowName, Record<string, unknown>]> = [
      ['PrepareDataset', { dataset, outputPrefix: key }],
      ['ProbeVideos', { videosDir: '/v', outputPrefix: key }],
      ['Pretrain', { config: { data: { prepared: [key] } } }],
      ['Finetune', { config: { ...prepared, init: { from: 'fsfm', checkpoint: key } } }],
      ['Finetune', { config: { ...prepared, init: { from: 'pth', key } } }],
      ['Finetune', { config: { ...prepared, init: { from: 'safetensors', key } } }],
      ['Evaluate', { model: key, testSets: [{ name: 't', prepared: 'prepared/abc' }] }],
      ['Evaluate', { model: 'runs/x/finetune', testSets: [{ name: 't', prepared: key }] }],
      ['FsfmPipeline', { datasets: { pretrain: [{ name: 'a', dataset }], train: { name: 'a', dataset } }, pretrain: { checkpoint: key } }],
    ];
    for (const [name, raw] of inputs) {
      const m = rejects(name, raw);
      expect(m.split(JSON.stringify(key)).length - 1, m).toBe(1);
      expect(m).toMatch(/relative store path/);
    }
  });

  it('run ids are one safe segment', () => {
    for (const runId of ['..', '.', 'a/b', '../x', 'x y']) {
      expect(rejects('Pretrain', { runId, config: prepared })).toMatch(/runId: name/);
      expect(rejects('FsfmPipeline', { runId, datasets: { pretrain: [{ name: 'a', dataset }], train: { name: 'a', dataset } } })).toMatch(/runId/);
    }
    expect(() => parseWorkflowInput('Pretrain', { runId: 'exp-1.2_a', config: prepared })).not.toThrow();
  });

  it('FSFM_STORE with a bad S3 prefix is refused when the store is opened', () => {
    expect(() => openStore('s3://fsfm/../x', {})).toThrow(/prefix "\.\.\/x" has a '\.\.' segment/);
    expect(() => openStore('s3://fsfm/a//b', {})).toThrow(InvalidConfig);
    expect(() => new S3Store({ bucket: 'fsfm', prefix: 'x/../../y' })).toThrow(InvalidStoreKey);
    expect(openStore('s3://fsfm/team-a/runs/', {}).uri).toBe('s3://fsfm/team-a/runs');
  });
});

describe('an invalid key reaching a store is a non-retryable error', () => {
  const stores = () => [new FileStore(path.join(dir, 'store')), new S3Store({ bucket: 'fsfm', prefix: '', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 })];
  it.each(['../../etc/passwd', '/abs', 'a//b', ''])('%j: put, get, stat and delete all refuse it as InvalidStoreKey', async (key) => {
    for (const store of stores()) {
      for (const op of [() => store.put(key, 'x'), () => store.get(key), () => store.stat(key), () => store.delete(key)]) {
        const err = await op().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, store.uri).toBeInstanceOf(InvalidStoreKey);
        expect(err).not.toBeInstanceOf(TransientError);
        expect((err as InvalidStoreKey).retryable).toBe(false);
        const failure = toFailure(err) as ApplicationFailure;
        expect(failure).toBeInstanceOf(ApplicationFailure);
        expect(failure.nonRetryable).toBe(true);
      }
    }
  });
});
