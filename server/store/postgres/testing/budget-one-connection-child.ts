/**
 * Test helper process for pool-connections.int.test.ts: on the PostgreSQL server store at the URL given as argv[2],
 * with a pool of ONE connection, runs a statement longer than its budget (queryWithTimeout), prints the error's name
 * (or `answered`), runs one more statement, prints `again`, closes the store. A cancel that waits for a pooled
 * connection hangs here for good: the parent kills the process and the test fails instead of hanging.
 */
import { openPostgresStore, sqlClientOf } from '../open-postgres-store.js';

const url = process.argv[2];
if (!url) throw new Error('usage: budget-one-connection-child.ts <postgresql url>');
const store = await openPostgresStore({ url, poolSize: 1 });
const sql = sqlClientOf(store)!;
try {
  await sql.queryWithTimeout!({ text: 'SELECT pg_sleep(2)' }, 100);
  process.stdout.write('answered\n');
} catch (error) {
  process.stdout.write(`${(error as Error).name}\n`);
}
await sql.query({ text: 'SELECT 1' });
process.stdout.write('again\n');
await store.close();
