// All-in-one worker for the embedded default: both task queues in one process.
import { main } from './worker';

main(['cpu', 'gpu']).catch((err) => {
  console.error(`[worker] ${(err as Error).message}`);
  process.exit(1);
});
