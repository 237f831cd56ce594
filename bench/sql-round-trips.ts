/**
 * SQL round trips per REST request on the PostgreSQL store: the real app in process (server/testing/test-server.ts)
 * on a fresh database, every pg query counted (pg.Client.prototype.query) during N creates and N reads.
 * Prints one JSON object with the statements per create and per read and the distinct statement texts.
 * Usage: npx tsx bench/sql-round-trips.ts [count=50]
 */
import pg from 'pg';
import { startTestServer } from '../server/testing/test-server.js';
import { postgresTestStore } from '../server/store/postgres/testing/test-stores.js';

const count = Number(process.argv[2] ?? 50);
const seen = new Map<string, number>();
let counting = false;
const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: unknown,
  ...args: unknown[]
) {
  if (counting) {
    const config = args[0] as string | { text?: string; name?: string };
    const text = (typeof config === 'string' ? config : (config?.name ?? config?.text ?? '?'))
      .replace(/\s+/g, ' ')
      .slice(0, 80);
    seen.set(text, (seen.get(text) ?? 0) + 1);
  }
  return original.apply(this, args);
};

const { store, dispose } = await postgresTestStore();
const server = await startTestServer(store);
async function measure(run: (i: number) => Promise<void>) {
  seen.clear();
  counting = true;
  for (let i = 0; i < count; i++) await run(i);
  counting = false;
  const total = [...seen.values()].reduce((s, n) => s + n, 0);
  return { perRequest: total / count, statements: Object.fromEntries(seen) };
}
try {
  const ids: string[] = [];
  const patient = (i: number) => ({
    resourceType: 'Patient',
    name: [{ family: `Trip${i}`, given: ['A'] }],
    gender: 'female',
    birthDate: '1980-01-01',
  });
  await server.fhir('/Patient', { method: 'POST', body: patient(-1) }); // warm-up
  const creates = await measure(async (i) => {
    const res = await server.fhir('/Patient', { method: 'POST', body: patient(i) });
    if (res.status !== 201) throw new Error(`create answered ${res.status}`);
    ids.push(res.body.id);
  });
  const reads = await measure(async (i) => {
    const res = await server.fhir(`/Patient/${ids[i % ids.length]}`);
    if (res.status !== 200) throw new Error(`read answered ${res.status}`);
  });
  console.log(JSON.stringify({ count, creates, reads }, null, 2));
} finally {
  await server.close();
  await dispose();
}
