import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProbeVideosResult } from '../../lib/config';
import { FileStore } from '../../lib/store';
import { TASK_QUEUE_CPU } from '../../workflows/common';
import { makeClip } from '../helpers/videos';
import { startTestWorkers, type TestWorkers } from '../helpers/workers';

const temporal = inject('temporal');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-ui-'));
const CHROMIUM = process.env.FSFM_CHROMIUM ?? '/usr/bin/chromium';
let workers: TestWorkers;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run infra/bootstrap.sh --test (installs Debian's chromium) or set FSFM_CHROMIUM`);
  makeClip(path.join(dir, 'videos'), 'clip.mp4', { seconds: 1 });
  workers = await startTestWorkers(temporal.address, new FileStore(path.join(dir, 'store')), ['cpu']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});

afterAll(async () => {
  await browser?.close();
  await workers?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Temporal UI', () => {
  it('starts a workflow from the Start Workflow form with one JSON input and shows it completed', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const workflowId = `ui-start-${Date.now()}`;
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows/start-workflow`);
    await page.locator('#workflowId').fill(workflowId);
    await page.locator('#taskQueue').fill(TASK_QUEUE_CPU + workers.suffix);
    await page.locator('#workflowType').fill('ProbeVideos');
    // The input goes in through the form's JSON upload, the same single JSON object a user would paste.
    const inputFile = path.join(dir, 'input.json');
    fs.writeFileSync(inputFile, JSON.stringify({ videosDir: path.join(dir, 'videos') }));
    await page.locator('input[type=file]').setInputFiles(inputFile);
    await expect.poll(() => page.getByLabel('Data').innerText()).toContain('videosDir');
    await page.getByTestId('start-workflow-button').click();

    // Started through the UI server's API: visible to the client once the server accepted it.
    await expect
      .poll(async () => workers.client.workflow.getHandle(workflowId).describe().then(() => true, () => false), { timeout: 30_000 })
      .toBe(true);
    const handle = workers.client.workflow.getHandle(workflowId);
    const result = (await handle.result()) as ProbeVideosResult;
    expect(result).toMatchObject({ total: 1, ok: 1, totalFrames: 25 });

    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows/${workflowId}`);
    await expect.poll(async () => (await page.locator('body').innerText()).includes('Completed') || (await page.locator('body').innerText()).includes('COMPLETED'), { timeout: 30_000 }).toBe(true);
    await expect.poll(async () => (await page.locator('body').innerText()).includes('ProbeVideos'), { timeout: 10_000 }).toBe(true);
    await page.close();
  });
});
