/**
 * What dead change-feed rows cost an idle poll, and what the VACUUM that removes them costs (change-vacuum.ts).
 * Fills fhir_change the way writes and polls do — rows inserted unsequenced, then numbered by the poll's UPDATE, in
 * batches — without the store's own VACUUMs (rows go in by SQL, not store.write), then times idle polls
 * (changesAfter from the newest seq: the `seq IS NULL` probe and the read) and EXPLAINs the probe's buffers, before
 * and after vacuumChanges. Prints one JSON object.
 *
 * `--base` rows first, vacuumed (the feed of a store that ran a while): the VACUUM's cost grows with the table's
 * indexes, not with the dead rows alone.
 *
 *   npx tsx bench/change-feed-poll.ts [--changes 60000] [--base 0] [--batch 500] [--polls 500] [--store postgres|pglite]
 */
import { parseArgs } from 'node:util';
import { changesAfter } from '../server/store/postgres/changes.js';
import { vacuumChanges } from '../server/store/postgres/change-vacuum.js';
import { openPostgresStore } from '../server/store/postgres/open-postgres-store.js';
import { PostgresStore } from '../server/store/postgres/postgres-store.js';
import type { SqlClient } from '../server/store/postgres/sql-client.js';
import { openPgliteTestStore } from '../server/store/postgres/testing/pglite-template.js';
import { BENCH_DATABASE_PREFIX, createTestDatabase } from '../server/store/postgres/testing/test-stores.js';

const { values } = parseArgs({
  options: {
    changes: { type: 'string', default: '60000' },
    base: { type: 'string', default: '0' },
    batch: { type: 'string', default: '500' },
    polls: { type: 'string', default: '500' },
    store: { type: 'string', default: 'postgres' },
  },
});
const changes = Number(values.changes);
const base = Number(values.base);
const batch = Number(values.batch);
const polls = Number(values.polls);
const log = (line: string) => console.error(`[change-feed-poll] ${line}`);

const database = values.store === 'pglite' ? undefined : await createTestDatabase(BENCH_DATABASE_PREFIX);
const store = database ? await openPostgresStore({ url: database.url, poolSize: 4 }) : await openPgliteTestStore();
try {
  await store.init();
  if (!(store instanceof PostgresStore)) throw new Error('not a PostgreSQL store');
  const client = store.sqlClient;
  if (base > 0) {
    log(`${store.description}: ${base} changes, vacuumed`);
    await fill(client, base, 50_000);
    await vacuumChanges(client);
  }
  log(`${store.description}: ${changes} changes in batches of ${batch}`);
  await fill(client, changes, batch);
  const newest = Number(
    (await client.query<{ seq: number }>({ text: 'SELECT max(seq)::float8 AS seq FROM fhir_change' })).rows[0]?.seq,
  );
  const before = await measure(client, newest);
  const t0 = performance.now();
  await vacuumChanges(client);
  const vacuumMs = performance.now() - t0;
  const after = await measure(client, newest);
  console.log(
    JSON.stringify(
      {
        context: { store: store.description, base, changes, batch, polls, node: process.version },
        before,
        vacuumMs,
        after,
      },
      null,
      2,
    ),
  );
} finally {
  await store.close();
  await database?.drop();
}

async function fill(client: SqlClient, count: number, batch: number): Promise<void> {
  for (let done = 0; done < count; done += batch) {
    await client.query({
      text: `INSERT INTO fhir_change (resource_type, resource_id, version_id, deleted, last_updated)
             SELECT 'Observation', 'o' || i, 1, false, '2026-01-01T00:00:00Z' FROM generate_series($1::int, $2::int) i`,
      values: [done, Math.min(count, done + batch) - 1],
    });
    await changesAfter(client, Number.MAX_SAFE_INTEGER, 1); // numbers the batch: the poll's UPDATE
  }
}

async function measure(client: SqlClient, newest: number) {
  for (let i = 0; i < 20; i++) await changesAfter(client, newest, 200); // warm
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < polls; i++) await changesAfter(client, newest, 200);
  const wallMs = (performance.now() - t0) / polls;
  const c = process.cpuUsage(c0);
  const plan = await client.query<{ 'QUERY PLAN': string }>({
    text: 'EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) SELECT 1 FROM fhir_change WHERE seq IS NULL LIMIT 1',
  });
  const lines = plan.rows.map((r) => r['QUERY PLAN']);
  const buffers = lines.find((l) => /Buffers:/.test(l))?.trim() ?? 'none';
  const stats = client.isServer
    ? (
        await client.query<{ dead: number }>({
          text: `SELECT n_dead_tup::float8 AS dead FROM pg_stat_user_tables WHERE relname = 'fhir_change'`,
        })
      ).rows[0]?.dead
    : undefined;
  return {
    pollWallMs: wallMs,
    clientCpuMsPerPoll: (c.user + c.system) / 1000 / polls,
    probe: buffers,
    deadTuples: stats,
  };
}
