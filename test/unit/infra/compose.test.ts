import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../infra/paths';

const file = path.join(repoRoot, 'infra', 'docker-compose.yml');
const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
// `docker compose` (plugin) where present, else Debian's docker-compose; only where a docker client exists.
const compose: [string, string[]] | null = !has('docker', ['--version'])
  ? null
  : has('docker', ['compose', 'version'])
    ? ['docker', ['compose']]
    : has('docker-compose', ['version'])
      ? ['docker-compose', []]
      : null;
const dockerClient = has('docker', ['--version']);

describe.skipIf(!dockerClient)('infra/docker-compose.yml', () => {
  const secrets = { FSFM_S3_ACCESS_KEY: 'k', FSFM_S3_SECRET_KEY: 's', POSTGRES_PASSWORD: 'p' };
  const config = (env: Record<string, string>) => {
    if (!compose) throw new Error('a docker client is installed but neither `docker compose` nor docker-compose is: run infra/bootstrap.sh --test');
    return spawnSync(compose[0], [...compose[1], '-f', file, 'config'], { encoding: 'utf8', env: { PATH: process.env.PATH!, ...env } });
  };

  it('is a valid compose file with Temporal, its UI, PostgreSQL, S3 and cpu/gpu workers', () => {
    const r = config(secrets);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    for (const svc of ['postgresql:', 'temporal:', 'temporal-ui:', 's3:', 'worker-cpu:', 'worker-gpu:']) expect(r.stdout).toContain(svc);
    expect(r.stdout).toMatch(/workers\/gpu\.ts/);
  });

  it('refuses to render without the secrets from the environment', () => {
    const r = config({});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/POSTGRES_PASSWORD|FSFM_S3_/);
  });
});
