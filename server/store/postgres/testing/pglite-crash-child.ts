/**
 * Test helper process for pglite-durability.int.test.ts: opens a PGlite store on the folder given as
 * argv[2], then writes Patients one after another and prints `ack <i>` after each write resolves,
 * until it is killed; `checkpoints <n>` when it sees a new checkpoint (timed checkpoints: pglite-checkpointer.ts).
 */
import { openPgliteStore, sqlClientOf } from '../open-postgres-store.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: pglite-crash-child.ts <dataDir>');
const store = await openPgliteStore({ dataDir });
await store.init();
process.stdout.write('ready\n');
const sql = sqlClientOf(store)!;
const checkpointLsn = async () =>
  (await sql.query<{ lsn: string }>({ text: 'SELECT checkpoint_lsn::text AS lsn FROM pg_control_checkpoint()' }))
    .rows[0]!.lsn;
let lastCheckpoint = await checkpointLsn();
let checkpoints = 0;
for (let i = 0; ; i++) {
  const lastUpdated = new Date().toISOString();
  const id = `crash-${i}`;
  await store.write([
    {
      resourceType: 'Patient',
      id,
      versionId: 1,
      lastUpdated,
      resource: { resourceType: 'Patient', id, meta: { versionId: '1', lastUpdated } },
      index: { entries: [{ kind: 'string', param: 'name', value: `n${i}`, exact: `N${i}` }], compartments: [] },
    },
  ]);
  process.stdout.write(`ack ${i}\n`);
  const lsn = await checkpointLsn();
  if (lsn !== lastCheckpoint) process.stdout.write(`checkpoints ${++checkpoints}\n`);
  lastCheckpoint = lsn;
}
