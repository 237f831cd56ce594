/**
 * Test helper process for pglite-durability.int.test.ts: opens a PGlite store on the folder given as
 * argv[2], then writes Patients one after another and prints `ack <i>` after each write resolves,
 * until it is killed.
 */
import { openPgliteStore } from '../open-postgres-store.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: pglite-crash-child.ts <dataDir>');
const store = await openPgliteStore({ dataDir });
await store.init();
process.stdout.write('ready\n');
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
}
