/** `tsx infra/cli.ts up|down|status|env|tools [temporal|seaweedfs ...]`: what `make up/down` and `fsfm services` call. */
import { ensureTool, TEMPORAL, WEED } from './tools';
import { SERVICES, serviceEnv, serviceStatus, startSeaweed, startTemporal, stopService, type ServiceName } from './services';

/** Finds (or installs, pinned) the service binaries without starting anything. */
function toolsCommand(): number {
  for (const spec of [TEMPORAL, WEED]) console.error(`[deps] ${spec.bin.padEnd(9)} ${ensureTool(spec)}`);
  return 0;
}

export async function servicesCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const names = (rest.length ? rest : SERVICES) as ServiceName[];
  if (verb === 'tools') return toolsCommand();
  const unknown = names.filter((n) => !SERVICES.includes(n));
  if (unknown.length) {
    process.stderr.write(`unknown service(s): ${unknown.join(', ')} (known: ${SERVICES.join(', ')})\n`);
    return 2;
  }
  switch (verb) {
    case 'up': {
      for (const n of names) {
        if (n === 'temporal') {
          const t = await startTemporal();
          console.log(`temporal   ${t.started ? 'started' : 'running'}  ${t.info.address}  UI ${t.info.uiUrl}`);
        } else {
          const s = await startSeaweed();
          console.log(`seaweedfs  ${s.started ? 'started' : 'running'}  S3 ${s.info.endpoint} bucket ${s.info.bucket}`);
        }
      }
      return 0;
    }
    case 'down':
      for (const n of names) console.log(`${n.padEnd(10)} ${(await stopService(n)) ? 'stopped' : 'not running'}`);
      return 0;
    case 'status': {
      let allUp = true;
      for (const n of names) {
        const s = serviceStatus(n);
        allUp &&= s.running;
        const where = s.info ? (n === 'temporal' ? `${s.info.address}  UI ${s.info.uiUrl}` : `S3 ${s.info.endpoint}`) : '';
        console.log(`${n.padEnd(10)} ${s.running ? `running (pid ${s.pid})  ${where}` : 'stopped'}`);
      }
      return allUp ? 0 : 3;
    }
    case 'env': {
      // Prints shell exports for the running local services (S3 secret included: these are local dev credentials).
      const t = serviceStatus('temporal');
      const s = serviceStatus('seaweedfs');
      const temporal = t.running ? (t.info as never) : undefined;
      const s3 = s.running ? (await startSeaweed()).info : undefined;
      for (const [k, v] of Object.entries(serviceEnv(temporal, s3))) console.log(`export ${k}=${JSON.stringify(v)}`);
      return 0;
    }
    default:
      process.stderr.write('usage: services up|down|status|env|tools [temporal|seaweedfs]\n');
      return 2;
  }
}

if (require.main === module) {
  servicesCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`services: ${err.message}\n`);
      process.exit(1);
    },
  );
}
