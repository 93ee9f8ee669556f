import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, serviceRecordFile, writeRecord } from '../../../infra/process.js';
import { serviceEnv } from '../../../infra/services.js';
import { temporalHttpBase, temporalUiBase, workflowUiUrl } from '../../../infra/ui-url.js';

describe('the Temporal UI link', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A state folder whose temporal record says the dev server was started on these ports (as services.ts writes it). */
  function stateWith(grpcPort: number, uiPort: number, httpPort?: number): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'fsfm-ui-'));
    dirs.push(dir);
    const info = { address: `127.0.0.1:${grpcPort}`, namespace: 'default', uiUrl: `http://127.0.0.1:${uiPort}`, httpUrl: httpPort ? `http://127.0.0.1:${httpPort}` : undefined, dbFile: 'x.db' };
    writeRecord(serviceRecordFile(dir, 'temporal'), { name: 'temporal', pid: 1, startedAt: new Date().toISOString(), binary: 'temporal', args: [], logFile: 'x.log', info });
    return dir;
  }

  it('comes from the record of the server that was started, on whatever ports it got', async () => {
    const [grpcPort, uiPort] = await freePorts(2);
    const env = { FSFM_STATE_DIR: stateWith(grpcPort, uiPort) };
    const saved = process.env.FSFM_STATE_DIR;
    process.env.FSFM_STATE_DIR = env.FSFM_STATE_DIR;
    try {
      expect(temporalUiBase(`127.0.0.1:${grpcPort}`, {})).toBe(`http://127.0.0.1:${uiPort}`);
      expect(workflowUiUrl(`127.0.0.1:${grpcPort}`, 'my ns', 'wf/1', {})).toBe(`http://127.0.0.1:${uiPort}/namespaces/my%20ns/workflows/wf%2F1`);
      // Another server than the recorded one: the `temporal server start-dev` default (gRPC port + 1000).
      expect(temporalUiBase('10.0.0.5:7400', {})).toBe('http://10.0.0.5:8400');
      // FSFM_UI_URL wins over everything.
      expect(temporalUiBase(`127.0.0.1:${grpcPort}`, { FSFM_UI_URL: 'https://ui.example.org/' })).toBe('https://ui.example.org');
    } finally {
      if (saved === undefined) delete process.env.FSFM_STATE_DIR;
      else process.env.FSFM_STATE_DIR = saved;
    }
  });

  it('`fsfm services env` exports the started UI as FSFM_UI_URL', async () => {
    const [grpcPort, uiPort] = await freePorts(2);
    const env = serviceEnv({ address: `127.0.0.1:${grpcPort}`, namespace: 'default', uiUrl: `http://127.0.0.1:${uiPort}`, dbFile: 'x' }, undefined);
    expect(env.FSFM_UI_URL).toBe(`http://127.0.0.1:${uiPort}`);
    expect(temporalUiBase(env.TEMPORAL_ADDRESS, env)).toBe(`http://127.0.0.1:${uiPort}`);
  });

  it("the HTTP API that `fsfm status` reads: FSFM_TEMPORAL_HTTP_URL, else the started server's record, never a guess", async () => {
    const [grpcPort, uiPort, httpPort] = await freePorts(3);
    const saved = process.env.FSFM_STATE_DIR;
    process.env.FSFM_STATE_DIR = stateWith(grpcPort, uiPort, httpPort);
    try {
      expect(temporalHttpBase(`127.0.0.1:${grpcPort}`, {})).toBe(`http://127.0.0.1:${httpPort}`);
      expect(temporalHttpBase('10.0.0.5:7400', {})).toBeUndefined();
      expect(temporalHttpBase('10.0.0.5:7400', { FSFM_TEMPORAL_HTTP_URL: 'https://api.example.org/' })).toBe('https://api.example.org');
      // A record from before the HTTP API was recorded: no URL, so the CLI uses gRPC.
      process.env.FSFM_STATE_DIR = stateWith(grpcPort, uiPort);
      expect(temporalHttpBase(`127.0.0.1:${grpcPort}`, {})).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.FSFM_STATE_DIR;
      else process.env.FSFM_STATE_DIR = saved;
    }
    const env = serviceEnv({ address: `127.0.0.1:${grpcPort}`, namespace: 'default', uiUrl: `http://127.0.0.1:${uiPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, dbFile: 'x' }, undefined);
    expect(env.FSFM_TEMPORAL_HTTP_URL).toBe(`http://127.0.0.1:${httpPort}`);
  });
});
