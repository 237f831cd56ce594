/**
 * PostgreSQL cost of the statements a `POST /Patient` sends (the write and the duplicate check): the app in process
 * on a fresh database, N distinct patients created, then the statements of one more create captured and each run
 * again under EXPLAIN (ANALYZE, BUFFERS) (the write inside a rolled-back transaction), planning and execution ms.
 * Usage: npx tsx bench/explain-create.ts [patients=2000]
 */
import pg from 'pg';
import { startTestServer } from '../server/testing/test-server.js';
import { BENCH_DATABASE_PREFIX, createTestDatabase } from '../server/store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { distinctPatient } from './bench-patients.js';

const count = Number(process.argv[2] ?? 2000);
type Captured = { text: string; values: unknown[]; name?: string };
let capture: Captured[] | undefined;
const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: object,
  ...callArgs: unknown[]
) {
  const config = callArgs[0] as string | { text?: string; name?: string; values?: unknown[] };
  if (capture && typeof config === 'object' && config?.text)
    capture.push({ text: config.text, values: config.values ?? (callArgs[1] as unknown[]) ?? [], name: config.name });
  return original.apply(this, callArgs);
};

const database = await createTestDatabase(BENCH_DATABASE_PREFIX);
const store = await openPostgresStore({ url: database.url, poolSize: 16 });
const server = await startTestServer(store, {
  env: { NILECARE_SUBSCRIPTIONS: 'off', NILECARE_DUPLICATE_CHECK: 'on' },
});
try {
  const batch = 16;
  for (let i = 0; i < count; i += batch)
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
        server.fhir('/Patient', { method: 'POST', body: distinctPatient(1, i + j, 'E') }),
      ),
    );
  capture = [];
  const res = await server.fhir('/Patient', { method: 'POST', body: distinctPatient(2, 1, 'X') });
  const captured = capture;
  capture = undefined;
  console.error('create', res.status, 'statements', captured.length);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  client.on('error', () => undefined);
  try {
    for (const c of captured) {
      for (let round = 0; round < 3; round++) {
        await client.query('BEGIN');
        const { rows } = (await original.call(client, {
          text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${c.text}`,
          values: c.name?.startsWith('fhir_versions')
            ? c.values.map((v, i) => (i === 1 ? String(v).replace('"}', `x${round}"}`) : v))
            : c.values,
        })) as { rows: { 'QUERY PLAN': [{ 'Planning Time': number; 'Execution Time': number; Plan: unknown }] }[] };
        await client.query('ROLLBACK');
        const plan = rows[0]!['QUERY PLAN'][0];
        console.log(
          JSON.stringify({
            name: c.name,
            text: c.text.slice(0, 100),
            planning: plan['Planning Time'],
            execution: plan['Execution Time'],
          }),
        );
        if (round === 2 && process.env.EXPLAIN_TEXT) {
          await client.query('BEGIN');
          const t = (await original.call(client, {
            text: `EXPLAIN (ANALYZE, BUFFERS) ${c.text}`,
            values: c.name?.startsWith('fhir_versions')
              ? c.values.map((v, i) => (i === 1 ? String(v).replace('"}', 'x9"}') : v))
              : c.values,
          })) as { rows: { 'QUERY PLAN': string }[] };
          await client.query('ROLLBACK').catch(() => undefined);
          console.log(t.rows.map((r) => r['QUERY PLAN']).join('\n'));
        }
      }
    }
  } catch (e) {
    console.error('explain failed', e);
  }
  await client.end();
} finally {
  await server.close();
  await store.close();
  await database.drop();
}
