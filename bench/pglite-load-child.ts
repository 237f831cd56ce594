/**
 * Child process of bench/pglite-restart.ts: opens the embedded store on the folder argv[2] (with the
 * NILECARE_PGLITE_* settings of its environment), then writes Patients in transactions of argv[3] resources
 * for argv[4] seconds, printing `ack <resources>` after each transaction resolves, then `done`; it waits
 * to be killed (kill -9, as a crash: no close, no shutdown checkpoint).
 */
import { openPgliteStore } from '../server/store/postgres/open-postgres-store.js';

const [dataDir, batchArg = '1', secondsArg = '10'] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: pglite-load-child.ts <dataDir> <batch> <seconds>');
const batch = Number(batchArg);
const store = await openPgliteStore({ dataDir });
await store.init();
process.stdout.write('ready\n');
const text = 'x'.repeat(600); // a Patient of ~1 kB, about what a Synthea Patient weighs without extensions
const until = Date.now() + Number(secondsArg) * 1000;
let written = 0;
while (Date.now() < until) {
  const lastUpdated = new Date().toISOString();
  await store.write(
    Array.from({ length: batch }, (_, k) => {
      const id = `p-${written + k}`;
      return {
        resourceType: 'Patient',
        id,
        versionId: 1,
        lastUpdated,
        resource: { resourceType: 'Patient', id, meta: { versionId: '1', lastUpdated }, text: { div: text } },
        index: {
          entries: [{ kind: 'string' as const, param: 'name', value: `n${written + k}`, exact: `N${written + k}` }],
          compartments: [],
        },
      };
    }) as never,
  );
  written += batch;
  process.stdout.write(`ack ${written}\n`);
}
process.stdout.write('done\n');
setInterval(() => undefined, 60_000); // wait for the kill
