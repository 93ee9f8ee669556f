/**
 * The bin runs the CLI bundle only while it matches the sources: an edit since the build makes it run the sources
 * through tsx (FSFM_CLI_BUILD=required: fail, naming the file), and a rebuild makes the bundle current again. Run on a
 * copy of the CLI's sources, so the checkout's own build is never touched.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from '../../../infra/build-cli';

const repo = path.resolve(__dirname, '../../..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-launch-'));
const dist = path.join(root, 'dist', 'cli');
// The copy's own cli/launch.cjs: it judges the copy (its ROOT is the folder above it).
let launch: typeof import('../../../cli/launch.cjs');

beforeAll(() => {
  for (const d of ['cli', 'lib', 'infra', 'workflows']) fs.cpSync(path.join(repo, d), path.join(root, d), { recursive: true });
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  launch = require(path.join(root, 'cli', 'launch.cjs'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function fsfm(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'cli', 'fsfm.cjs'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 50_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const required = { FSFM_CLI_BUILD: 'required' };

describe('the fsfm bin and its build', () => {
  it('runs a fresh bundle, never a stale one, and a rebuild makes it current again', async () => {
    expect(launch.checkBuild(root, dist).bundle).toBeUndefined(); // nothing built yet
    expect(await ensureCliBuilt(root, dist)).toBe('built');
    expect(launch.checkBuild(root, dist)).toEqual({ bundle: path.join(dist, 'main.cjs'), stale: [] });
    expect(await ensureCliBuilt(root, dist)).toBe('up to date');
    const fresh = fsfm(['--help'], required);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^usage:/);

    // An edit after the build: the bundle no longer says what the sources say.
    const main = path.join(root, 'cli', 'main.ts');
    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace('const usage = () => `usage:', 'const usage = () => `usage (edited):'));
    expect(launch.checkBuild(root, dist).stale).toEqual(['cli/main.ts']);
    const fallback = fsfm(['--help']);
    expect(fallback.code).toBe(0);
    expect(fallback.stdout).toMatch(/^usage \(edited\):/);
    const refused = fsfm(['--help'], required);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^fsfm: the CLI build is missing or stale \(cli\/main\.ts\)/);

    expect(await ensureCliBuilt(root, dist)).toBe('built');
    const rebuilt = fsfm(['--help'], required);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^usage \(edited\):/);
  }, 120_000);

  it('a bundle changed after its build, or a source it was made of gone, counts as stale', async () => {
    await ensureCliBuilt(root, dist);
    fs.appendFileSync(path.join(dist, 'main.cjs'), '\n// edited\n');
    expect(launch.checkBuild(root, dist).stale).toEqual(['dist/cli/main.cjs']);
    await ensureCliBuilt(root, dist);
    fs.rmSync(path.join(root, 'cli', 'errors.ts'));
    expect(launch.checkBuild(root, dist).stale).toEqual(['cli/errors.ts']);
    fs.rmSync(path.join(dist, 'manifest.json'));
    expect(launch.checkBuild(root, dist)).toEqual({ stale: ['dist/cli/manifest.json'] });
  }, 60_000);
});
