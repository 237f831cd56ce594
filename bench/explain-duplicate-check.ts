/**
 * The duplicate check on create when a name is common: a fresh store (PostgreSQL server or PGlite) with a population
 * of distinct, realistic patients and N namesakes ("محمد أحمد علي", male, each born on another day — bench/
 * bench-patients.ts), written through the store with the server's own index extraction; then the real app in this
 * process creates more namesakes over HTTP (duplicate check on) and the script prints
 *   - CPU per create (this process: server and client; PostgreSQL backends of the database), for namesakes and, on
 *     the same database, for distinct people;
 *   - EXPLAIN (ANALYZE, BUFFERS) of the candidate statement (the store's searchAny: one UNION of the blocking
 *     searches) of the last namesake created, as the server built it;
 * and one JSON object of the figures on stdout (the plan goes to stderr).
 * Statistics: `--stats keeper` (default) leaves them to the store (StatisticsKeeper: ANALYZE after 20 % growth; a
 * server with autovacuum on is left to it); `--stats fresh` analyses just before the creates.
 * Usage: npx tsx bench/explain-duplicate-check.ts [--store postgres|pglite] [--namesakes 1000] [--population 20000]
 *        [--creates 200] [--stats keeper|fresh]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Patient } from '@medplum/fhirtypes';
import type { SearchQuery } from '../server/fhir/search/search-query.js';
import type { ResourceStore } from '../server/store/resource-store.js';
import { PostgresStore } from '../server/store/postgres/postgres-store.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import {
  BENCH_DATABASE_PREFIX,
  createTestDatabase,
  pgliteTestStore,
} from '../server/store/postgres/testing/test-stores.js';
import { searchAnyStatement } from '../server/store/postgres/search/search-any.js';
import { ledCandidatesStatement } from '../server/store/postgres/led-candidates.js';
import { startTestServer } from '../server/testing/test-server.js';
import { prepareVersion } from '../server/fhir/interactions/commit-version.js';
import { commonNamePatient, distinctPatient } from './bench-patients.js';
import { CpuMeter } from './cpu-meter.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'postgres' },
    namesakes: { type: 'string', default: '1000' },
    population: { type: 'string', default: '20000' },
    creates: { type: 'string', default: '200' },
    stats: { type: 'string', default: 'keeper' },
  },
});
const namesakes = Number(values.namesakes);
const population = Number(values.population);
const creates = Number(values.creates);
const log = (line: string) => console.error(`[explain-duplicate-check] ${line}`);

const database = values.store === 'pglite' ? undefined : await createTestDatabase(BENCH_DATABASE_PREFIX);
const opened = database
  ? { store: await openPostgresStore({ url: database.url, poolSize: 16 }), dispose: database.drop }
  : await pgliteTestStore();
const inner = opened.store;
if (!(inner instanceof PostgresStore)) throw new Error('a PostgreSQL or PGlite store was expected');
// the blocking searches of the last duplicate check, as the server built them
let lastQueries: SearchQuery[] = [];
const store = new Proxy(inner, {
  get(target, property) {
    if (property === 'searchAny')
      return (queries: SearchQuery[]) => {
        lastQueries = queries;
        return target.searchAny(queries);
      };
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
}) as ResourceStore;

const server = await startTestServer(store, { env: { NILECARE_DUPLICATE_CHECK: 'on' } });
const services = server.app.services;
const meter = database
  ? await CpuMeter.open(process.pid, {
      adminUrl: database.url,
      dbName: decodeURIComponent(new URL(database.url).pathname.slice(1)),
    })
  : await CpuMeter.open(process.pid);
try {
  const started = performance.now();
  const load = async (count: number, make: (i: number) => Patient, id: (i: number) => string) => {
    for (let i = 0; i < count; i += 1000) {
      const writes = Array.from({ length: Math.min(1000, count - i) }, (_, k) =>
        prepareVersion(services, 'Patient', id(i + k), { ...make(i + k), id: id(i + k) }, 0),
      );
      await store.write(writes);
    }
  };
  await load(
    population,
    (i) => distinctPatient(7, i),
    (i) => `d${i}`,
  );
  await load(
    namesakes,
    (i) => commonNamePatient(1, i),
    (i) => `m${i}`,
  );
  log(
    `loaded ${population} distinct patients and ${namesakes} namesakes in ${Math.round(performance.now() - started)} ms`,
  );
  if (values.stats === 'fresh') await inner.sqlClient.exec('ANALYZE');

  const perCreate = async (label: string, make: (i: number) => Patient) => {
    for (let i = 0; i < 10; i++) await create(make(1_000_000 + i)); // warm-up
    const before = await meter.snapshot();
    let duplicates = 0;
    for (let i = 0; i < creates; i++) duplicates += (await create(make(i))) ? 1 : 0;
    const cpu = await meter.since(before);
    const ms = (seconds: number) => Math.round((seconds * 1e5) / creates) / 100;
    const figure = {
      creates,
      withProbableDuplicates: duplicates,
      wallMsPerCreate: ms(cpu.wallSeconds),
      cpuMsPerCreate: { serverAndClient: ms(cpu.serverCpuSeconds), postgres: ms(cpu.postgresCpuSeconds) },
      loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    };
    log(`${label}: ${JSON.stringify(figure)}`);
    return figure;
  };
  const distinct = await perCreate('distinct people', (i) => distinctPatient(3, i));
  const common = await perCreate('namesakes', (i) => commonNamePatient(2, i));

  // the statement the store ran (the fixed one when it answers the searches, else the generic one)
  const statement = ledCandidatesStatement(lastQueries) ?? searchAnyStatement(lastQueries);
  if (!statement) throw new Error('the last create ran no duplicate check');
  const explained = await inner.sqlClient.query<Record<string, string>>({
    text: `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`,
    values: statement.values,
  });
  const plan = explained.rows.map((r) => Object.values(r)[0]).join('\n');
  console.error(`\n${statement.text}\n${JSON.stringify(statement.values)}\n${plan}\n`);
  const time = (what: string) => Number(new RegExp(`${what} Time: ([\\d.]+) ms`).exec(plan)?.[1] ?? NaN);
  const buffers = Number(/Buffers: shared hit=(\d+)/.exec(plan)?.[1] ?? NaN);
  console.log(
    JSON.stringify(
      {
        bench: 'explain-duplicate-check',
        context: {
          store: inner.description.replace(/\/\/[^@]*@/, '//'),
          population,
          namesakesBefore: namesakes,
          namesakesAtExplain: namesakes + creates + 10,
          stats: values.stats,
          cores: os.cpus().length,
          loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
        },
        figures: {
          createDistinct: distinct,
          createNamesake: common,
          candidateStatement: {
            statement: 'name' in statement && statement.name ? statement.name : 'generic',
            branches: lastQueries.length,
            sharedBuffersHit: buffers,
            planningMs: time('Planning'),
            executionMs: time('Execution'),
          },
        },
      },
      null,
      2,
    ),
  );
} finally {
  await meter.close();
  await server.close();
  await store.close();
  await opened.dispose();
}

async function create(patient: Patient): Promise<boolean> {
  const response = await server.fhir('Patient', { method: 'POST', body: patient });
  if (response.status !== 201) throw new Error(`create answered ${response.status}: ${response.text.slice(0, 300)}`);
  return response.headers.get('x-probable-duplicates') !== null;
}
