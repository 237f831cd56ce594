/**
 * On a PostgreSQL server running with autovacuum off (as on this project's machines), the store keeps the
 * planner statistics itself: after a bulk load the tables are analysed without anyone running ANALYZE, and
 * the name search is planned on the index made for it (with the empty-table statistics it scanned the
 * whole `name` range of the exact-match index and filtered).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { ResourceStore } from '../resource-store.js';
import { openPostgresStore, sqlClientOf } from './open-postgres-store.js';
import { StatisticsKeeper } from './statistics.js';
import { createTestDatabase } from './testing/test-stores.js';
import { pageStatement } from './search/run-search.js';
import { put, query, str, tok } from './search/testing/search-test-helpers.js';

const N = 3000;

/** A fresh database with the store opened over it and a plain client of its own, for one suite (closed after it). */
function storeDatabase(): { store: ResourceStore; client: pg.Client; autovacuum: boolean } {
  const the = { autovacuum: true } as { store: ResourceStore; client: pg.Client; autovacuum: boolean };
  let database: { url: string; drop: () => Promise<void> } | undefined;
  before(async () => {
    database = await createTestDatabase();
    the.client = new pg.Client({ connectionString: database.url });
    await the.client.connect();
    the.autovacuum =
      (await the.client.query(`SELECT current_setting('autovacuum')::boolean AS on`)).rows[0].on === true;
    the.store = await openPostgresStore({ url: database.url });
    await the.store.init();
  });
  after(async () => {
    await the.client?.end();
    await the.store?.close();
    await database?.drop();
  });
  return the;
}

describe('PostgreSQL store statistics (server, autovacuum off)', () => {
  const db = storeDatabase();

  it('analyses the tables after a bulk load, and the name search uses fhir_idx_string_value', async (t) => {
    if (db.autovacuum) {
      t.skip('this server runs autovacuum, which keeps the statistics instead of the store');
      return;
    }
    for (let start = 0; start < N; start += 500) {
      await put(
        db.store,
        ...Array.from({ length: 500 }, (_, k) => ({
          type: 'Patient',
          id: `p${start + k}`,
          entries: [
            str('name', `family${start + k}`),
            str('name', 'given'),
            tok('gender', 'urn:g', k % 2 ? 'male' : 'female'),
          ],
        })),
      );
    }
    const stats = async () =>
      (await db.client.query(`SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'fhir_idx_string'`)).rows[0]
        .n as number;
    for (let waited = 0; (await stats()) < N && waited < 120; waited++) await new Promise((r) => setTimeout(r, 500)); // background run
    assert.ok((await stats()) >= N, `fhir_idx_string analysed (reltuples ${await stats()})`);
    const q = pageStatement(
      query('Patient', [{ kind: 'string', param: 'name', match: 'prefix', values: ['family123'] }], { count: 20 }),
      20,
    );
    const plan = JSON.stringify(
      (await db.client.query({ text: `EXPLAIN (FORMAT JSON) ${q.text}`, values: q.values })).rows[0],
    );
    assert.match(plan, /fhir_idx_string_value/, plan);
    assert.deepEqual(
      (
        await db.store.search(
          query('Patient', [{ kind: 'string', param: 'name', match: 'prefix', values: ['family1234'] }]),
        )
      ).entries.map((e) => e.id),
      ['p1234'],
    );
  });
});

describe('PostgreSQL store statistics: a due run rests after the last one (server, autovacuum off)', () => {
  const db = storeDatabase();

  /** Manual VACUUMs of fhir_resource so far (the keeper's runs: nothing else vacuums it here). */
  const vacuums = async () =>
    Number(
      (await db.client.query(`SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'fhir_resource'`)).rows[0]
        .vacuum_count,
    );
  const ran = async (keeper: StatisticsKeeper) => {
    for (let waited = 0; keeper.state === 'running' && waited < 600; waited++)
      await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(keeper.state, 'running', 'the run ended');
  };

  it('waits while the rest lasts, runs at once without one, and starts nothing once settled', async (t) => {
    if (db.autovacuum) {
      t.skip('this server runs autovacuum, which keeps the statistics instead of the store');
      return;
    }
    const sql = sqlClientOf(db.store)!;
    const resting = new StatisticsKeeper(sql, 1e6);
    await resting.init();
    const before = await vacuums();
    resting.noteWrites(1000); // due: the first run starts at once
    assert.equal(resting.state, 'running');
    await ran(resting);
    assert.equal(await vacuums(), before + 1);
    resting.noteWrites(1000); // due again, but within a million times the first run's duration
    assert.equal(resting.state, 'resting');
    assert.equal(await vacuums(), before + 1, 'no second run while resting');
    await resting.settle();
    assert.equal(resting.state, 'idle', 'settle cancels the resting run');
    resting.noteWrites(5000);
    assert.equal(resting.state, 'idle', 'no run starts once settled');

    const eager = new StatisticsKeeper(sql, 0);
    await eager.init();
    eager.noteWrites(1000);
    await ran(eager);
    eager.noteWrites(1000); // no rest: the next due run starts at once, as before the rest existed
    assert.equal(eager.state, 'running');
    await eager.settle();
    assert.equal(await vacuums(), before + 3);
  });
});
