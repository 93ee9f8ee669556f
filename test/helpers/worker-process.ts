import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../infra/paths';

/** A real worker process (workers/dev.ts) in its own process group, so a test can kill it and everything it forked. */
export interface WorkerProcess {
  proc: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const proc = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), [path.join(repoRoot, 'workers', 'dev.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (out.includes('[worker] fsfm-cpu')) {
        clearInterval(t);
        resolve();
      } else if (proc.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`worker exited early:\n${out}`));
      }
    }, 100);
  });
  return {
    proc,
    output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, signal);
      await exited;
    },
  };
}
