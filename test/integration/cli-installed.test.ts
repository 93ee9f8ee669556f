/**
 * The CLI as a user reaches it: through npm's bin (`npx fsfm`, `npm exec fsfm`, a global `npm link` install), never by
 * calling cli/fsfm.cjs directly, from a CI-like shell (CI=true, no TTY); and the example CI job
 * (infra/ci-example.yml) run step by step as written, against the real Temporal the integration setup started.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FsfmPipelineResult, PrepareDatasetResult } from '../../lib/config';
import { FileStore } from '../../lib/store';
import { ensureCliBuilt } from '../../infra/build-cli';
import { repoRoot } from '../../infra/paths';
import { generateSampleDataset } from '../../samples';
import { startTestWorkers, type TestWorkers } from '../helpers/workers';

const exec = promisify(execFile);
const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-cli-inst-'));
const prefix = path.join(dir, 'global');
let workers: TestWorkers;
let root: string;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command the way a CI step does: no TTY (stdin closed, pipes for output), CI=true. FSFM_CLI_BUILD=required:
 * every `fsfm` here must run the bundle infra/bootstrap.sh builds (dist/cli), up to date with the sources.
 */
function sh(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  const env = { ...process.env, CI: 'true', TEMPORAL_ADDRESS: temporal.address, FSFM_TASK_QUEUE_SUFFIX: workers.suffix, npm_config_yes: 'false', FSFM_CLI_BUILD: 'required', ...opts.env };
  return exec(file, args, { cwd: opts.cwd ?? repoRoot, env, maxBuffer: 64 << 20 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** The three ways npm puts the `fsfm` bin in a user's hands. */
const invocations: Array<[string, (args: string[]) => Promise<Ran>]> = [
  ['npx fsfm', (args) => sh('npx', ['fsfm', ...args])],
  ['npm exec fsfm', (args) => sh('npm', ['exec', '--', 'fsfm', ...args])],
  ['global npm link', (args) => sh(path.join(prefix, 'bin', 'fsfm'), args, { cwd: dir })],
];

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

beforeAll(async () => {
  await ensureCliBuilt(); // what infra/bootstrap.sh does; quick when the build is current
  root = (await generateSampleDataset({ out: path.join(dir, 'ffpp'), identities: 6, seconds: 1, fps: 8 })).root;
  workers = await startTestWorkers(temporal.address, new FileStore(path.join(dir, 'store')));
  // A global install into a private prefix: `npm link` symlinks this checkout into <prefix>/lib/node_modules and its
  // bin into <prefix>/bin, as `npm install -g` of the package would, offline.
  fs.mkdirSync(prefix);
  const linked = await sh('npm', ['link', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { env: { npm_config_prefix: prefix } });
  expect(linked.stderr).not.toMatch(/ERR/);
  expect(fs.realpathSync(path.join(prefix, 'bin', 'fsfm'))).toBe(path.join(repoRoot, 'cli', 'fsfm.cjs'));
});

afterAll(async () => {
  await workers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const prepareInput = () => ({
  dataset: { root, format: 'ffpp', methods: ['Deepfakes'] },
  prepare: { purpose: 'finetune', framesPerRealVideo: 2, framesPerFakeVideo: 2, face: { upsample: 0 } },
});

describe('the fsfm bin as installed by npm', () => {
  it.each(invocations)('%s: bad usage and bad input exit 2 with one line, schema prints JSON', async (how, fsfm) => {
    const help = await fsfm(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage:/);

    if (how === 'npx fsfm') {
      const schema = await fsfm(['schema', 'PrepareDataset']);
      expect(schema.code).toBe(0);
      expect(JSON.parse(schema.stdout)).toHaveProperty('type', 'object');
      const unknown = await fsfm(['run', 'NoSuchWorkflow', '--input', writeJson('x.json', {})]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    }

    const bad = await fsfm(['run', 'PrepareDataset', '--input', writeJson('bad.json', { dataset: { root: 42 } })]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^fsfm: invalid PrepareDataset input: .*dataset/);
  });

  it.each(invocations)('%s: run --wait --json from a CI shell prints the result as JSON', async (_how, fsfm) => {
    const out = await fsfm(['run', 'PrepareDataset', '--input', writeJson('prep.json', prepareInput()), '--wait', '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0]) as { status: string; workflowId: string; result: PrepareDatasetResult };
    expect(parsed.status).toBe('COMPLETED');
    expect(parsed.result.videosTotal).toBe(12);
    expect(parsed.result.faces).toBeGreaterThan(0);
  });
});

describe('failure messages through the installed bin', () => {
  it('a missing dataset root fails the run with one line naming the path, not the raw ENOENT', async () => {
    const missing = path.join(dir, 'no-such-dataset');
    const out = await invocations[0][1](['run', 'PrepareDataset', '--input', writeJson('missing.json', { ...prepareInput(), dataset: { root: missing, format: 'ffpp' } }), '--wait']);
    expect(out.code).toBe(1);
    const lines = out.stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^fsfm: PrepareDataset \\S+ failed: dataset root not found: ${missing}$`));
    expect(out.stderr).not.toMatch(/ENOENT|realpath/);
  });
});

describe('infra/ci-example.yml', () => {
  it('runs its steps as written and the job ends with the pipeline result as JSON', async () => {
    const yaml = fs.readFileSync(path.join(repoRoot, 'infra', 'ci-example.yml'), 'utf8');
    const steps = [...yaml.matchAll(/^\s*- run: (.+)$/gm)].map((m) => m[1].trim());
    // `npm ci` is the install the checkout already had (infra/bootstrap.sh runs it); every other step runs here verbatim.
    expect(steps[0]).toBe('npm ci');
    expect(steps.length).toBeGreaterThanOrEqual(2);
    const literalEnv = Object.fromEntries([...yaml.matchAll(/^ {6}([A-Z_]+): ([^$\s#][^\s#]*)/gm)].map((m) => [m[1], m[2]]));
    const secrets = [...yaml.matchAll(/^ {6}([A-Z_]+): \$\{\{ secrets\.([A-Z_]+) \}\}/gm)].map((m) => m[1]);
    expect(secrets).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']));

    // The job's checkout: this repository's files, plus the pipeline config the job names (ci/pipeline.json).
    const checkout = path.join(dir, 'checkout');
    fs.mkdirSync(path.join(checkout, 'ci'), { recursive: true });
    for (const entry of fs.readdirSync(repoRoot)) {
      if (['.git', '.state', 'ci'].includes(entry)) continue;
      fs.symlinkSync(path.join(repoRoot, entry), path.join(checkout, entry));
    }
    const config = {
      preset: 'demo',
      datasets: {
        pretrain: [{ name: 'ci', dataset: { root, format: 'ffpp', methods: ['Deepfakes'] }, prepare: { framesPerRealVideo: 2, face: { upsample: 0 } } }],
        train: { name: 'ci', dataset: { root, format: 'ffpp', methods: ['Deepfakes'] }, prepare: { framesPerRealVideo: 2, framesPerFakeVideo: 2, face: { upsample: 0 } } },
      },
      pretrain: { config: { maxSteps: 2, checkpointEverySteps: 2 } },
      finetune: { config: { epochs: 1, warmupEpochs: 0.5 } },
    };
    fs.writeFileSync(path.join(checkout, 'ci', 'pipeline.json'), JSON.stringify(config));

    const sha = crypto.randomBytes(20).toString('hex');
    // GitHub runs each `run:` with `bash -e {0}`; secrets come in as the job env, here pointing at the test's Temporal.
    const env: NodeJS.ProcessEnv = { ...literalEnv, GITHUB_SHA: sha, TEMPORAL_NAMESPACE: 'default', TEMPORAL_API_KEY: '' };
    let last: Ran | undefined;
    for (const step of steps.slice(1)) {
      last = await sh('bash', ['-e', '-c', step], { cwd: checkout, env });
      expect(last.code, `step ${step} failed:\n${last.stderr}`).toBe(0);
    }
    const result = JSON.parse(fs.readFileSync(path.join(checkout, 'result.json'), 'utf8')) as { workflowId: string; status: string; result: FsfmPipelineResult };
    expect(result.workflowId).toBe(`fsfm-${sha}`);
    expect(result.status).toBe('COMPLETED');
    expect(result.result.stages.evaluate.status).toBe('ran');
    expect(result.result.metrics.length).toBeGreaterThan(0);
    expect(last!.stdout.trim()).toBe(JSON.stringify(result));
  });
});
