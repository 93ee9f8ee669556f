/**
 * Start, stop and inspect the embedded dev services, each started by the project itself:
 * the Temporal dev server (SQLite file in the state folder, so history survives restarts) and SeaweedFS (a real
 * S3-compatible server). Idempotent: `up` reuses a healthy running service, `down` stops only what its record names.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../lib/config/search-attributes';
import { stateDir } from './paths';
import { freePorts, isAlive, portOpen, readRecord, serviceRecordFile, sleep, spawnDetached, stopPid, waitFor, writeRecord, type ServiceRecord } from './process';
import { ensureTool, TEMPORAL, WEED } from './tools';

export type PortMode = 'default' | 'free';

export interface TemporalInfo {
  address: string;
  namespace: string;
  uiUrl: string;
  /** The server's HTTP API (`fsfm status` reads it without loading the gRPC client). Absent in older records. */
  httpUrl?: string;
  dbFile: string;
}

export interface S3Info {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StartOptions {
  /** Folder for data, logs and records; defaults to FSFM_STATE_DIR or <repo>/.state. */
  stateDir?: string;
  /** 'default': the documented ports (Temporal 7233, UI 8233, S3 8333); 'free': any free ports (tests). */
  ports?: PortMode;
}

export interface Started<T> {
  info: T;
  /** True when this call started the process (so the caller owns stopping it). */
  started: boolean;
  pid: number;
}

const log = (msg: string) => process.stderr.write(`[infra] ${msg}\n`);

const recordFile = serviceRecordFile;

// ---------------------------------------------------------------- Temporal

async function temporalHealthy(address: string): Promise<boolean> {
  if (!(await portOpen(Number(address.split(':').pop())))) return false;
  const conn = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    await conn.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await conn.close();
  }
}

export async function startTemporal(opts: StartOptions = {}): Promise<Started<TemporalInfo>> {
  const dir = path.resolve(opts.stateDir ?? stateDir());
  const recFile = recordFile(dir, 'temporal');
  const existing = readRecord(recFile);
  if (existing && isAlive(existing.pid)) {
    const info = existing.info as unknown as TemporalInfo;
    if (await temporalHealthy(info.address).catch(() => false)) return { info, started: false, pid: existing.pid };
    log(`temporal record for pid ${existing.pid} is not healthy; restarting it`);
    await stopPid(existing.pid);
  }
  const bin = ensureTool(TEMPORAL);
  const [freeA, freeB, freeC, freeD] = await freePorts(4);
  const port = opts.ports === 'free' ? freeA : 7233;
  const uiPort = opts.ports === 'free' ? freeB : 8233;
  if (opts.ports !== 'free' && ((await portOpen(port)) || (await portOpen(uiPort)))) {
    throw new Error(`ports ${port}/${uiPort} are taken by another process; stop it or set TEMPORAL_ADDRESS to use that server`);
  }
  const dbFile = path.join(dir, 'temporal', 'temporal.db');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', dbFile,
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--http-port', String(freeC),
    '--metrics-port', String(freeD),
    '--log-level', 'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, t]) => ['--search-attribute', `${k}=${t}`]),
  ];
  const logFile = path.join(dir, 'temporal', 'server.log');
  log(`starting temporal dev server on 127.0.0.1:${port} (UI ${uiPort}), db ${dbFile}`);
  const pid = spawnDetached(bin, args, { cwd: dir, logFile });
  const info: TemporalInfo = { address: `127.0.0.1:${port}`, namespace: 'default', uiUrl: `http://127.0.0.1:${uiPort}`, httpUrl: `http://127.0.0.1:${freeC}`, dbFile };
  const record: ServiceRecord = { name: 'temporal', pid, startedAt: new Date().toISOString(), binary: bin, args, logFile, info: { ...info } };
  writeRecord(recFile, record);
  await waitFor('temporal dev server', () => temporalHealthy(info.address), { timeoutMs: 90_000, pid, logFile });
  return { info, started: true, pid };
}

// ---------------------------------------------------------------- SeaweedFS (S3)

function s3Client(info: S3Info): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

/** Healthy = the S3 API answers with our credentials and the bucket exists (created here if missing). */
async function s3Ready(info: S3Info): Promise<boolean> {
  if (!(await portOpen(Number(new URL(info.endpoint).port)))) return false;
  const client = s3Client(info);
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: info.bucket }));
    } catch {
      await client.send(new CreateBucketCommand({ Bucket: info.bucket }));
    }
    return true;
  } finally {
    client.destroy();
  }
}

function loadOrCreateCredentials(dir: string): { accessKeyId: string; secretAccessKey: string; configFile: string } {
  const credFile = path.join(dir, 'seaweedfs', 'credentials.json');
  const configFile = path.join(dir, 'seaweedfs', 's3-identities.json');
  let cred: { accessKeyId: string; secretAccessKey: string };
  if (fs.existsSync(credFile)) {
    cred = JSON.parse(fs.readFileSync(credFile, 'utf8'));
  } else {
    cred = { accessKeyId: `fsfm${crypto.randomBytes(6).toString('hex')}`, secretAccessKey: crypto.randomBytes(24).toString('base64url') };
    fs.mkdirSync(path.dirname(credFile), { recursive: true });
    fs.writeFileSync(credFile, JSON.stringify(cred), { mode: 0o600 });
  }
  const identities = {
    identities: [{ name: 'fsfm', credentials: [{ accessKey: cred.accessKeyId, secretKey: cred.secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }],
  };
  fs.writeFileSync(configFile, JSON.stringify(identities), { mode: 0o600 });
  return { ...cred, configFile };
}

export async function startSeaweed(opts: StartOptions & { bucket?: string } = {}): Promise<Started<S3Info>> {
  const dir = path.resolve(opts.stateDir ?? stateDir());
  const bucket = opts.bucket ?? 'fsfm';
  const recFile = recordFile(dir, 'seaweedfs');
  const existing = readRecord(recFile);
  const cred = loadOrCreateCredentials(dir);
  if (existing && isAlive(existing.pid)) {
    const info = { ...(existing.info as { endpoint: string; region: string }), bucket, accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey };
    if (await s3Ready(info).catch(() => false)) return { info, started: false, pid: existing.pid };
    log(`seaweedfs record for pid ${existing.pid} is not healthy; restarting it`);
    await stopPid(existing.pid);
  }
  const bin = ensureTool(WEED);
  const p = await freePorts(11);
  const s3Port = opts.ports === 'free' ? p[0] : 8333;
  if (opts.ports !== 'free' && (await portOpen(s3Port))) throw new Error(`port ${s3Port} is taken by another process; stop it or point FSFM_STORE elsewhere`);
  const dataDir = path.join(dir, 'seaweedfs', 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const args = [
    'server',
    `-dir=${dataDir}`,
    '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
    `-master.port=${p[1]}`, `-master.port.grpc=${p[2]}`, '-master.volumeSizeLimitMB=512', '-master.telemetry=false',
    `-volume.port=${p[3]}`, `-volume.port.grpc=${p[4]}`, '-volume.max=0',
    '-filer', `-filer.port=${p[5]}`, `-filer.port.grpc=${p[6]}`,
    '-s3', `-s3.port=${s3Port}`, `-s3.port.grpc=${p[7]}`, `-s3.port.iceberg=${p[8]}`, `-s3.port.lance=${p[9]}`, `-s3.config=${cred.configFile}`,
    `-metricsPort=${p[10]}`,
  ];
  const logFile = path.join(dir, 'seaweedfs', 'server.log');
  log(`starting seaweedfs (S3 on 127.0.0.1:${s3Port}), data ${dataDir}`);
  const pid = spawnDetached(bin, args, { cwd: dir, logFile });
  const pub = { endpoint: `http://127.0.0.1:${s3Port}`, region: 'us-east-1', bucket };
  writeRecord(recFile, { name: 'seaweedfs', pid, startedAt: new Date().toISOString(), binary: bin, args, logFile, info: { ...pub, credentialsFile: path.join(dir, 'seaweedfs', 'credentials.json') } });
  const info: S3Info = { ...pub, accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey };
  await waitFor('seaweedfs S3', () => s3Ready(info), { timeoutMs: 120_000, pid, logFile });
  return { info, started: true, pid };
}

// ---------------------------------------------------------------- common

export type ServiceName = 'temporal' | 'seaweedfs';
export const SERVICES: ServiceName[] = ['temporal', 'seaweedfs'];

export async function stopService(name: ServiceName, opts: { stateDir?: string } = {}): Promise<boolean> {
  const recFile = recordFile(path.resolve(opts.stateDir ?? stateDir()), name);
  const rec = readRecord(recFile);
  if (!rec) return false;
  const wasAlive = isAlive(rec.pid);
  // weed keeps running for 20 s and more after SIGTERM (seen with 4.48); its objects are durable once written.
  await stopPid(rec.pid, name === 'seaweedfs' ? 3_000 : 15_000);
  fs.rmSync(recFile, { force: true });
  return wasAlive;
}

/**
 * Kills a service outright (SIGKILL to its process group, as a crash would), keeping its record so that
 * restartService brings it back on the same ports with the same data. For fault tests and drills.
 */
export async function killService(name: ServiceName, opts: { stateDir?: string } = {}): Promise<void> {
  const rec = readRecord(recordFile(path.resolve(opts.stateDir ?? stateDir()), name));
  if (!rec || !isAlive(rec.pid)) return;
  try {
    process.kill(-rec.pid, 'SIGKILL');
  } catch {
    process.kill(rec.pid, 'SIGKILL');
  }
  while (isAlive(rec.pid)) await sleep(50);
}

/** Starts a killed service again from its record (same binary, arguments, ports and data) and waits until it serves. */
export async function restartService(name: ServiceName, opts: { stateDir?: string } = {}): Promise<void> {
  const dir = path.resolve(opts.stateDir ?? stateDir());
  const recFile = recordFile(dir, name);
  const rec = readRecord(recFile);
  if (!rec) throw new Error(`no ${name} record under ${dir}: start it first`);
  if (isAlive(rec.pid)) return;
  const pid = spawnDetached(rec.binary, rec.args, { cwd: dir, logFile: rec.logFile });
  writeRecord(recFile, { ...rec, pid, startedAt: new Date().toISOString() });
  const info = rec.info as Record<string, string>;
  const ready =
    name === 'temporal'
      ? () => temporalHealthy(info.address).catch(() => false)
      : () => {
          const cred = loadOrCreateCredentials(dir);
          return s3Ready({ endpoint: info.endpoint, region: info.region, bucket: info.bucket, accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey }).catch(() => false);
        };
  await waitFor(`${name} (restarted)`, ready, { timeoutMs: 120_000, pid, logFile: rec.logFile });
}

export interface ServiceStatus {
  name: ServiceName;
  running: boolean;
  pid?: number;
  info?: Record<string, unknown>;
  logFile?: string;
}

export function serviceStatus(name: ServiceName, opts: { stateDir?: string } = {}): ServiceStatus {
  const rec = readRecord(recordFile(path.resolve(opts.stateDir ?? stateDir()), name));
  if (!rec) return { name, running: false };
  return { name, running: isAlive(rec.pid), pid: rec.pid, info: rec.info, logFile: rec.logFile };
}

/** Environment a worker or client needs to use the local services (the S3 secret included: for local use only). */
export function serviceEnv(temporal: TemporalInfo | undefined, s3: S3Info | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (temporal) {
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_NAMESPACE = temporal.namespace;
    env.FSFM_UI_URL = temporal.uiUrl;
    if (temporal.httpUrl) env.FSFM_TEMPORAL_HTTP_URL = temporal.httpUrl;
  }
  if (s3) {
    env.FSFM_S3_ENDPOINT = s3.endpoint;
    env.AWS_REGION = s3.region;
    env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  }
  return env;
}
