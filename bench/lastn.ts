/**
 * Observation/$lastn as a client sees it (issue #25): the real app in this process over HTTP on a fresh database
 * (PostgreSQL server by default, PGlite or mongo/mingo on request) scaled to `--resources` generated resources —
 * patients with `--per-patient` vital-signs Observations each (12 LOINC codes at a rising date) — written straight
 * into the store with their index (the load is not what is measured). Then `Observation/$lastn?patient=…&
 * category=vital-signs&max=3` for random patients, one request at a time after 10 warm-ups; as a baseline, the plain
 * search `Observation?patient=…&category=vital-signs&_sort=-date&_count=36` (a page the size of the answer).
 * Prints one JSON object (target: p50 <= 10 ms at 1M resources).
 * With --database URL (an existing PostgreSQL database, kept after the run) the data is loaded only when the database
 * does not hold it yet (checked by its last patient), then ANALYZEd, so the 1M figure can be re-timed after an index
 * or query change without a reload.
 * Usage: npx tsx bench/lastn.ts [--resources 200000] [--per-patient 200] [--samples 200] [--store postgres|pglite|mongo]
 *   [--database URL]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import {
  pgliteTestStore,
  postgresTestStore,
  POSTGRES_ADMIN_URL,
} from '../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { mongoTestStore } from '../server/store/mongo/testing/test-stores.js';
import { extractIndex } from '../server/fhir/indexing/extract-index.js';
import { indexStatus } from '../server/fhir/indexing/reindex.js';
import type { VersionWrite } from '../server/store/resource-store.js';
import { startTestServer } from '../server/testing/test-server.js';
import { percentile, runPool } from './stats.js';
import { CpuMeter } from './cpu-meter.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '200000' },
    'per-patient': { type: 'string', default: '200' },
    samples: { type: 'string', default: '200' },
    store: { type: 'string', default: 'postgres' },
    database: { type: 'string' },
  },
});
const total = Number(values.resources);
const perPatient = Number(values['per-patient']);
const samples = Number(values.samples);
const log = (line: string) => console.error(`[lastn] ${line}`);
const CODES = [
  '8867-4',
  '8480-6',
  '8462-4',
  '29463-7',
  '8302-2',
  '39156-5',
  '9279-1',
  '8310-5',
  '2708-6',
  '72514-3',
  '8287-5',
  '59408-5',
];
const VITAL = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
};

const factory =
  values.store === 'pglite' ? pgliteTestStore : values.store === 'mongo' ? mongoTestStore : postgresTestStore;
const opened = values.database
  ? { store: await openPostgresStore({ url: values.database, poolSize: 16 }), dispose: async () => undefined }
  : await factory();
await opened.store.init();
const patients = Math.max(1, Math.floor(total / (perPatient + 1)));
const stamp = new Date(Date.UTC(2025, 0, 1)).toISOString();
const write = (r: Resource): VersionWrite => ({
  resourceType: r.resourceType,
  id: r.id!,
  versionId: 1,
  lastUpdated: stamp,
  resource: { ...r, meta: { versionId: '1', lastUpdated: stamp } },
  index: extractIndex(r),
});
// an empty store records the current index text version, as a new server's would: the resources written below are
// indexed by the current extractIndex, and without it the app would start a background reindex of all of them
// (which ran through earlier figures of this bench)
const index = await indexStatus(opened.store);
if (!index.upToDate)
  log(`the stored index is version ${index.stored}: the app reindexes in the background (figures inflated)`);
const t0 = performance.now();
const held = values.database ? await opened.store.read('Patient', `lp${patients - 1}`) : undefined;
if (held?.resource) log(`the database already holds patient lp${patients - 1}: not loading`);
else await load();
const loadMs = performance.now() - t0;
const server = await startTestServer(opened.store);
try {
  const latencies: number[] = [];
  const baseline: number[] = [];
  let returned = 0;
  const dbName = values.database
    ? new URL(values.database).pathname.slice(1)
    : /\/([a-z0-9_]+)\)?$/.exec(opened.store.description)?.[1];
  const meter = await CpuMeter.open(
    process.pid,
    (values.store === 'postgres' || values.database) && dbName ? { adminUrl: POSTGRES_ADMIN_URL, dbName } : undefined,
  );
  let cpuStart = await meter.snapshot();
  for (let i = 0; i < samples + 10; i++) {
    if (i === 10) cpuStart = await meter.snapshot();
    const p = Math.floor(Math.random() * patients);
    const start = performance.now();
    const res = await server.fhir(`Observation/$lastn?patient=lp${p}&category=vital-signs&max=3`);
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(res.text.slice(0, 300));
    if (i >= 10) {
      latencies.push(ms);
      returned += ((res.body.entry ?? []) as unknown[]).length;
    }
  }
  const cpu = await meter.since(cpuStart);
  // baseline on the same database: a plain search for one patient's newest page of the same size
  for (let i = 0; i < samples; i++) {
    const p = Math.floor(Math.random() * patients);
    const start = performance.now();
    const res = await server.fhir(`Observation?patient=lp${p}&category=vital-signs&_sort=-date&_count=36`);
    if (res.status !== 200) throw new Error(res.text.slice(0, 300));
    baseline.push(performance.now() - start);
  }
  baseline.sort((a, b) => a - b);
  await meter.close();
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'lastn',
      store: opened.store.description,
      resources: patients * (perPatient + 1),
      observationsPerPatient: perPatient,
      samples,
      loadSeconds: round(loadMs / 1000),
      lastnMs: {
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1)!),
      },
      baselineSearchMs: {
        p50: round(percentile(baseline, 50)),
        p95: round(percentile(baseline, 95)),
        p99: round(percentile(baseline, 99)),
      },
      // the CPU one request costs (this process: server + client, PGlite inside; plus the PostgreSQL backends)
      cpuMsPerRequest: round(((cpu.serverCpuSeconds + cpu.postgresCpuSeconds) * 1000) / samples),
      cpuMsPerRequestSplit: {
        serverAndClient: round((cpu.serverCpuSeconds * 1000) / samples),
        postgres: round((cpu.postgresCpuSeconds * 1000) / samples),
      },
      meanEntriesReturned: round(returned / samples),
      targetP50Ms: 10,
      indexUpToDate: index.upToDate,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map(round),
    }),
  );
} finally {
  await server.close();
  await opened.store.close();
  await opened.dispose();
}

/** Writes every patient with its Observations (two writes in flight), then ANALYZE on a kept database. */
async function load(): Promise<void> {
  log(`writing ${patients} patients x ${perPatient + 1} resources into ${opened.store.description}`);
  const started = performance.now();
  await runPool(patients, 2, async (p) => {
    const id = `lp${p}`;
    const batch: Resource[] = [{ resourceType: 'Patient', id, name: [{ family: `Lastn${p}` }] } satisfies Patient];
    for (let i = 0; i < perPatient; i++) {
      const day = new Date(Date.UTC(2000, 0, 1) + (i * 86_400_000 * 365 * 20) / perPatient).toISOString();
      batch.push({
        resourceType: 'Observation',
        id: `lo${p}-${i}`,
        status: 'final',
        category: [VITAL],
        code: { coding: [{ system: 'http://loinc.org', code: CODES[i % CODES.length]! }] },
        subject: { reference: `Patient/${id}` },
        effectiveDateTime: day,
        valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      } satisfies Observation);
    }
    await opened.store.write(batch.map(write));
    if (p % 200 === 0)
      log(
        `${p}/${patients} patients (${Math.round((performance.now() - started) / 1000)} s, load ${os.loadavg()[0]!.toFixed(1)})`,
      );
  });
  if (!values.database) return;
  log('ANALYZE');
  const client = new pg.Client({ connectionString: values.database });
  await client.connect();
  await client.query('ANALYZE');
  await client.end();
}
