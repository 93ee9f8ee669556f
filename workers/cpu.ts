import { main } from './worker';

main(['cpu']).catch((err) => {
  console.error(`[worker] ${(err as Error).message}`);
  process.exit(1);
});
