/**
 * The CLI's light paths stay light: `fsfm schema` and `fsfm status` must not load TF.js (lib/config resolves model
 * presets from lib/model/presets.ts, not from the tensor code), the AWS SDK or the workflow SDK, and `schema` not
 * even the Temporal client. Each command runs in a fresh node process, the way the bin runs it (tsx's CommonJS
 * hook), and reports every package and project file it loaded.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');

function loadedBy(argv: string[]): { packages: string[]; files: string[]; exitCode: number } {
  const script = `
    require('tsx/cjs');
    const { cli } = require('./cli/main.ts');
    const report = (exitCode) => {
      const keys = Object.keys(require.cache);
      const packages = [...new Set(keys.map((k) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(k)?.[1]).filter(Boolean))].sort();
      const files = keys.filter((k) => !k.includes('node_modules')).map((k) => k.slice(process.cwd().length + 1));
      process.stdout.write('\\n@@' + JSON.stringify({ packages, files, exitCode }) + '\\n');
      process.exit(0);
    };
    console.log = () => {};
    cli(${JSON.stringify(argv)}).then(report, (err) => report(err.exitCode ?? -1));
  `;
  // A closed port: status fails fast with "cannot reach Temporal", after loading everything it needs.
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:9' }, encoding: 'utf8', timeout: 50_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@'));
  if (!line) throw new Error(`the CLI process reported nothing (status ${r.status}): ${r.stderr}`);
  return JSON.parse(line.slice(2)) as { packages: string[]; files: string[]; exitCode: number };
}

const HEAVY = /^(@tensorflow\/|@aws-sdk\/|@smithy\/|@temporalio\/(workflow|worker)$)/;

describe('CLI start-up', () => {
  it('fsfm schema loads neither TF.js nor the Temporal client, the AWS SDK or the workflow SDK', () => {
    const { packages, files, exitCode } = loadedBy(['schema', 'Pretrain']);
    expect(exitCode).toBe(0);
    expect(packages.filter((p) => HEAVY.test(p) || p.startsWith('@temporalio/') || p.startsWith('@grpc/'))).toEqual([]);
    // The model presets come in as data; no tensor code rides along.
    expect(files).toContain('lib/model/presets.ts');
    expect(files.filter((f) => /^lib\/(tensor|model)\//.test(f) && !/(presets|options|heads-options)\.ts$/.test(f))).toEqual([]);
  });

  it('fsfm status loads the Temporal client but not TF.js, the AWS SDK or the workflow SDK', () => {
    const { packages, exitCode } = loadedBy(['status', 'some-id']);
    expect(exitCode).toBe(3); // the closed port
    expect(packages).toContain('@temporalio/client');
    expect(packages.filter((p) => HEAVY.test(p))).toEqual([]);
  });
});
