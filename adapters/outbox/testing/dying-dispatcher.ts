/**
 * A dispatcher that dies (SIGKILL, by its own hand) inside a target transaction, for the crash tests: argv = FHIR
 * store (PostgreSQL) url, the targets as JSON, the projection, the mode (`deliver`: batches of 5 as the server runs
 * them; `rebuild`: one rebuild) and N. The projection's mapping is wrapped so that the Nth applied change ends with a
 * step that kills the process: the change's rows and those before it in the transaction are written, nothing is
 * committed. Prints "started"; never exits by itself.
 */
import type { Resource } from '@medplum/fhirtypes';
import { openPostgresStore } from '../../../server/store/postgres/open-postgres-store.js';
import type { MapInputs, Projection, ProjectionName } from '../projection.js';
import type { RowWrite } from '../rows.js';
import { openDispatchers, PROJECTIONS, startProjections } from '../start-projections.js';

const [storeUrl, targetsJson, name, mode, n] = process.argv.slice(2) as [
  string,
  string,
  ProjectionName,
  string,
  string,
];
const killAt = Number(n);
let applied = 0;
const die: RowWrite = {
  op: 'derive',
  name: 'die',
  args: [],
  run: async () => {
    if (++applied >= killAt) process.kill(process.pid, 'SIGKILL');
  },
};
const original: Projection = PROJECTIONS[name].projection;
PROJECTIONS[name] = {
  ...PROJECTIONS[name],
  projection: {
    ...original,
    map: (resource: Resource, version: number, inputs: MapInputs) => {
      const writes = original.map(resource, version, inputs);
      return writes.length ? [...writes, die] : writes;
    },
  },
};
const target = PROJECTIONS[name].target;
const targets = { [target]: JSON.parse(targetsJson)[target] };
const store = await openPostgresStore({ url: storeUrl, poolSize: 4 });
if (mode === 'rebuild') {
  const { dispatchers } = await openDispatchers({ store, targets });
  console.log('started');
  await dispatchers[0]!.rebuild();
  console.log('rebuilt without dying');
} else {
  await startProjections({ store, targets, pollIntervalMs: 10, batchSize: 5 });
  console.log('started');
}
