/**
 * Starts server/main.ts unchanged (same code, same environment as `npm start`). The benchmark's server process runs
 * under this name so that a neighbour's broad `pkill -f server/main.ts` on a shared machine does not end a long run.
 * It stops (as on SIGTERM) when the benchmark that started it ends, however that ends (bench/child-processes.ts).
 */
import '../server/main.js';
import { exitWithParent } from './child-processes.js';

exitWithParent();
