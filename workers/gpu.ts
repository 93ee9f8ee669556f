import { main } from './worker';

main(['gpu']).catch((err) => {
  console.error(`[worker] ${(err as Error).message}`);
  process.exit(1);
});
