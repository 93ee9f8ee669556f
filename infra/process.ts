/** Detached service processes tracked by a JSON record (PID, ports) in the state folder. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ServiceRecord {
  name: string;
  pid: number;
  startedAt: string;
  binary: string;
  args: string[];
  logFile: string;
  /** Service-specific connection facts (ports, endpoints, credential file). */
  info: Record<string, unknown>;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where a service's record lives under a state folder. */
export function serviceRecordFile(dir: string, name: string): string {
  return path.join(dir, name, 'service.json');
}

export function readRecord(file: string): ServiceRecord | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ServiceRecord;
  } catch {
    return null;
  }
}

export function writeRecord(file: string, record: ServiceRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record, null, 2));
  fs.renameSync(tmp, file);
}

/** Starts `binary args` in its own process group, logging to logFile; the caller records the PID. */
export function spawnDetached(binary: string, args: string[], opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv }): number {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  fs.mkdirSync(opts.cwd, { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  const child = spawn(binary, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  // A spawn failure arrives as an 'error' event; without a listener it would crash the caller's process.
  child.on('error', (err) => fs.appendFileSync(opts.logFile, `failed to start ${binary}: ${err.message}\n`));
  if (child.pid === undefined) throw new Error(`failed to start ${binary} (cwd ${opts.cwd})`);
  child.unref();
  return child.pid;
}

/** SIGTERM the process group, wait up to graceMs, then SIGKILL. Resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Polls `check` until it returns true or timeoutMs passes; fails with the log tail so the cause is visible. */
export async function waitFor(what: string, check: () => Promise<boolean>, opts: { timeoutMs: number; pid?: number; logFile?: string }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (opts.pid !== undefined && !isAlive(opts.pid)) break;
    await sleep(250);
  }
  const tail = opts.logFile && fs.existsSync(opts.logFile) ? fs.readFileSync(opts.logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  const state = opts.pid !== undefined && !isAlive(opts.pid) ? 'exited' : `not healthy after ${opts.timeoutMs} ms`;
  throw new Error(`${what} ${state}${tail ? `; last log lines:\n${tail}` : ''}`);
}
