/**
 * Micro-benchmark of the PostgreSQL store on the test server (or in-memory PGlite with `--pglite`):
 * creates at 16 concurrent clients (one version per write, pool of 16), read by id, and a token +
 * string-prefix search; prints JSON.
 *   npx tsx server/store/postgres/testing/bench-store.ts [--pglite] [--resources 5000]
 */
import pg from 'pg';
import type { ResourceStore } from '../../resource-store.js';
import { openPostgresStore } from '../open-postgres-store.js';
import { openPgliteTestStore } from './pglite-template.js';
import { day, put, ref, str, tok } from '../search/testing/search-test-helpers.js';
import { createTestDatabase } from './test-stores.js';

const args = process.argv.slice(2);
const pglite = args.includes('--pglite');
const total = Number(args[args.indexOf('--resources') + 1] ?? 0) || 5000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(3));
}

async function timed(times: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn(i);
    out.push(performance.now() - start);
  }
  return out;
}

const database = pglite ? undefined : await createTestDatabase();
const s: ResourceStore = database
  ? await openPostgresStore({ url: database.url, poolSize: 16 })
  : await openPgliteTestStore();
await s.init();
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < total) {
      const i = next++;
      await put(s, {
        type: 'Patient',
        id: `p${i}`,
        compartments: [`Patient/p${i}`],
        entries: [
          str('name', `Name${i}`),
          str('name', 'Given'),
          tok('gender', 'http://hl7.org/fhir/administrative-gender', i % 2 ? 'male' : 'female'),
          tok('identifier', 'urn:mrn', `M${i}`),
          day('birthdate', `19${50 + (i % 50)}-01-01`),
          ref('general-practitioner', `Practitioner/x${i % 20}`),
        ],
      });
    }
  }),
);
const createsPerSecond = Math.round(total / ((performance.now() - started) / 1000));
if (database) {
  // what autovacuum does shortly after a bulk load (PGlite: the store's own StatisticsKeeper)
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query('ANALYZE');
  await admin.end();
}
const reads = await timed(1000, (i) => s.read('Patient', `p${(i * 7) % total}`));
const searches = await timed(300, (i) =>
  s.search({
    resourceTypes: ['Patient'],
    conditions: [
      { kind: 'token', param: 'gender', negate: false, values: [{ match: 'code', code: 'male' }] },
      { kind: 'string', param: 'name', match: 'prefix', values: [`name${(i * 13) % total}`] },
    ],
    sort: [],
    count: 20,
    total: 'none',
  }),
);
console.log(
  JSON.stringify({
    store: s.description,
    resources: total,
    createsPerSecondAt16Clients: createsPerSecond,
    readByIdMs: { p50: percentile(reads, 0.5), p99: percentile(reads, 0.99) },
    searchTokenAndStringMs: { p50: percentile(searches, 0.5), p99: percentile(searches, 0.99) },
  }),
);
await s.close();
await database?.drop();
