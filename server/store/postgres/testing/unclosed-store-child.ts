/**
 * Test helper process for pool-connections.int.test.ts: opens the PostgreSQL server store at the URL given as argv[2],
 * reads once, prints `read`, and never closes the store: the process must still end (idle pooled connections do not
 * keep it alive).
 */
import { openPostgresStore } from '../open-postgres-store.js';

const url = process.argv[2];
if (!url) throw new Error('usage: unclosed-store-child.ts <postgresql url>');
const store = await openPostgresStore({ url, poolSize: 4 });
await store.init();
await Promise.all([1, 2, 3].map((i) => store.read('Patient', `absent-${i}`)));
process.stdout.write('read\n');
