/**
 * The CLI's light paths stay light: `fsfm schema` and `fsfm status` must not load TF.js (lib/config resolves model
 * presets from lib/model/presets.ts, not from the tensor code), the AWS SDK or the workflow SDK; `schema` not even
 * the Temporal client, and `status` not when the server's HTTP API is known. Each command runs in a fresh node
 * process both ways the bin runs it (the sources under tsx's CommonJS hook, and the bundle infra/build-cli.ts
 * builds) and reports every package and project file it loaded.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../infra/build-cli';

const root = path.resolve(__dirname, '../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-startup-'));
// Inside the checkout, as dist/cli is: the bundle finds its external packages in node_modules from where it lies.
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
const dist = fs.mkdtempSync(path.join(root, 'dist', 'test-startup-'));
// No service record here: without FSFM_TEMPORAL_HTTP_URL, status has no HTTP API to use.
const emptyState = path.join(tmp, 'state');

beforeAll(async () => {
  await buildCli(root, dist);
}, 60_000);
afterAll(() => {
  for (const d of [tmp, dist]) fs.rmSync(d, { recursive: true, force: true });
});

type Loaded = { packages: string[]; files: string[]; exitCode: number };

function loadedBy(how: 'sources' | 'bundle', argv: string[], env: NodeJS.ProcessEnv = {}): Loaded {
  const load = how === 'sources' ? `require('tsx/cjs'); const { cli } = require('./cli/main.ts');` : `const { cli } = require(${JSON.stringify(path.join(dist, 'main.cjs'))});`;
  const script = `
    ${load}
    const report = (exitCode) => {
      const keys = Object.keys(require.cache);
      const packages = [...new Set(keys.map((k) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(k)?.[1]).filter(Boolean))].sort();
      const files = keys.filter((k) => !k.includes('node_modules')).map((k) => path.relative(process.cwd(), k));
      process.stdout.write('\\n@@' + JSON.stringify({ packages, files, exitCode }) + '\\n');
      process.exit(0);
    };
    const path = require('node:path');
    console.log = () => {};
    cli(${JSON.stringify(argv)}).then(() => report(0), (err) => report(err.exitCode ?? -1));
  `;
  // A closed port: status fails fast with "cannot reach Temporal", after loading everything it needs.
  const { FSFM_TEMPORAL_HTTP_URL: _http, ...parent } = process.env;
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { ...parent, TEMPORAL_ADDRESS: '127.0.0.1:9', FSFM_STATE_DIR: emptyState, ...env },
    encoding: 'utf8',
    timeout: 50_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@'));
  if (!line) throw new Error(`the CLI process reported nothing (status ${r.status}): ${r.stderr}`);
  return JSON.parse(line.slice(2)) as Loaded;
}

const HEAVY = /^(@tensorflow\/|@aws-sdk\/|@smithy\/|@temporalio\/(workflow|worker)$)/;
const TEMPORAL = /^(@temporalio\/|@grpc\/)/;

describe.each(['sources', 'bundle'] as const)('CLI start-up from the %s', (how) => {
  it('fsfm schema loads neither TF.js nor the Temporal client, the AWS SDK or the workflow SDK', () => {
    const { packages, files, exitCode } = loadedBy(how, ['schema', 'Pretrain']);
    expect(exitCode).toBe(0);
    expect(packages.filter((p) => HEAVY.test(p) || TEMPORAL.test(p))).toEqual([]);
    if (how === 'bundle') {
      // zod is inside the bundle; no package at all is read from node_modules.
      expect(packages).toEqual([]);
      return;
    }
    // The model presets come in as data; no tensor code rides along.
    expect(files).toContain('lib/model/presets.ts');
    expect(files.filter((f) => /^lib\/(tensor|model)\//.test(f) && !/(presets|options|heads-options)\.ts$/.test(f))).toEqual([]);
  });

  it('fsfm status over the HTTP API loads neither the Temporal client nor zod', () => {
    const { packages, files, exitCode } = loadedBy(how, ['status', 'some-id'], { FSFM_TEMPORAL_HTTP_URL: 'http://127.0.0.1:9' });
    expect(exitCode).toBe(3); // the closed port
    expect(packages.filter((p) => HEAVY.test(p) || TEMPORAL.test(p) || p === 'zod')).toEqual([]);
    expect(files.filter((f) => f.startsWith('lib/'))).toEqual([]);
  });
});

// One way only: grpc-js spends its whole 10 s connect timeout on the closed port.
it('fsfm status without an HTTP API loads the Temporal client but not TF.js, the AWS SDK or the workflow SDK', () => {
  const { packages, exitCode } = loadedBy('bundle', ['status', 'some-id']);
  expect(exitCode).toBe(3);
  expect(packages).toContain('@temporalio/client');
  expect(packages.filter((p) => HEAVY.test(p))).toEqual([]);
});
