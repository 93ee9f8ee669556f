/**
 * Starts (or reuses) the real Temporal dev server and SeaweedFS for the integration tests, on free ports, with their
 * own state folder (FSFM_TEST_STATE_DIR, default .state/test) so a developer's `make up` data is never touched.
 * Stops only what it started.
 */
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../../infra/paths';
import { startSeaweed, startTemporal, stopService, type S3Info, type TemporalInfo } from '../../infra/services';

declare module 'vitest' {
  export interface ProvidedContext {
    temporal: TemporalInfo;
    s3: S3Info;
    testStateDir: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = path.resolve(process.env.FSFM_TEST_STATE_DIR ?? path.join(repoRoot, '.state', 'test'));
  const [t, s] = await Promise.all([startTemporal({ stateDir: dir, ports: 'free' }), startSeaweed({ stateDir: dir, ports: 'free', bucket: 'fsfm-test' })]);
  project.provide('temporal', t.info);
  project.provide('s3', s.info);
  project.provide('testStateDir', dir);
  return async () => {
    if (t.started) await stopService('temporal', { stateDir: dir });
    if (s.started) await stopService('seaweedfs', { stateDir: dir });
  };
}
