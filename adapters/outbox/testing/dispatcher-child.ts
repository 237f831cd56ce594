/**
 * A dispatcher in its own process, for the kill-and-restart test: argv = FHIR store (PostgreSQL) url and the
 * targets as JSON. Prints "started" and runs until killed.
 */
import { openPostgresStore } from '../../../server/store/postgres/open-postgres-store.js';
import { startProjections } from '../start-projections.js';

const [storeUrl, targetsJson] = process.argv.slice(2);
const store = await openPostgresStore({ url: storeUrl!, poolSize: 4 });
await startProjections({ store, targets: JSON.parse(targetsJson!), pollIntervalMs: 10, batchSize: 7 });
console.log('started');
