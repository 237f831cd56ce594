/**
 * The change feed does not pile up dead rows on a PostgreSQL server with autovacuum off (this project's machines):
 * each change row is updated once when a poll numbers it, and the store VACUUMs fhir_change every
 * CHANGE_VACUUM_EVERY versions (or 1 % of the store's) — not only with its whole-store VACUUM after 20 % growth, which at 1M resources let
 * ~53k dead rows build up that every poll walked. And where autovacuum runs, the table carries a fixed threshold.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresStore } from './open-postgres-store.js';
import { createTestDatabase } from './testing/test-stores.js';
import { put } from './search/testing/search-test-helpers.js';
import { CHANGE_VACUUM_EVERY, CHANGE_VACUUM_SHARE } from './change-vacuum.js';

/**
 * fhir_history rows already there: the whole-store VACUUM (due after 20 % growth) does not run during the test, and
 * the feed's own is due every CHANGE_VACUUM_EVERY versions (1 % of EXISTING is no more).
 */
const EXISTING = 100_000;
const WRITES = 5 * CHANGE_VACUUM_EVERY;
const BATCH = 500;

describe('PostgreSQL change feed: dead rows stay bounded (server)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  let autovacuum = true;

  before(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    autovacuum = (await client.query(`SELECT current_setting('autovacuum')::boolean AS on`)).rows[0].on === true;
    const schema = await openPostgresStore({ url: database.url });
    await schema.init();
    await schema.close();
  });
  after(async () => {
    await client?.end();
    await database?.drop();
  });

  it('sets a fixed autovacuum threshold on fhir_change, for servers where autovacuum runs', async () => {
    const { rows } = await client.query(`SELECT reloptions FROM pg_class WHERE relname = 'fhir_change'`);
    assert.deepEqual([...rows[0].reloptions].sort(), [
      `autovacuum_vacuum_scale_factor=${CHANGE_VACUUM_SHARE}`,
      `autovacuum_vacuum_threshold=${CHANGE_VACUUM_EVERY}`,
      'vacuum_index_cleanup=on',
    ]);
  });

  it(`a consumer polling while ${WRITES} versions are written sees each once, and fhir_change keeps few dead rows`, async (t) => {
    if (autovacuum) {
      t.skip('this server runs autovacuum, which vacuums the change feed instead of the store');
      return;
    }
    assert.ok(EXISTING * CHANGE_VACUUM_SHARE <= CHANGE_VACUUM_EVERY, 'set-up: the feed is due a VACUUM every EVERY');
    await client.query(
      `INSERT INTO fhir_history (resource_type, id, version_id, last_updated, last_updated_ms, deleted, content)
       SELECT 'Basic', 'b' || i, 1, '2026-01-01T00:00:00Z', 0, false, '{}' FROM generate_series(1, ${EXISTING}) i`,
    );
    // The INSERT's counts reach the statistics before the ANALYZE (a backend flushes them up to a second later):
    // counted as modified after it, the store would start its whole-store VACUUM (ANALYZE) at init.
    await client.query('SELECT pg_stat_force_next_flush()');
    await client.query('ANALYZE fhir_history');
    const stats = await client.query(
      `SELECT n_mod_since_analyze::float8 AS changed FROM pg_stat_user_tables WHERE relname = 'fhir_history'`,
    );
    assert.equal(stats.rows[0].changed, 0, 'set-up: the inserted history rows are analysed');
    const store = await openPostgresStore({ url: database.url, poolSize: 4 });
    await store.init();
    const seen = new Set<string>();
    let lastSeq = 0;
    try {
      for (let start = 0; start < WRITES; start += BATCH) {
        await put(
          store,
          ...Array.from({ length: BATCH }, (_, k) => ({ type: 'Observation', id: `o${start + k}`, entries: [] })),
        );
        for (const change of await store.changesAfter(lastSeq, 100_000)) {
          assert.ok(change.seq > lastSeq);
          lastSeq = change.seq;
          assert.ok(!seen.has(change.id), `${change.id} seen twice`);
          seen.add(change.id);
        }
      }
    } finally {
      await store.close(); // waits for a VACUUM in progress; the backends' statistics are flushed as they end
    }
    assert.equal(seen.size, WRITES);
    // The dead rows left are counted by a VACUUM of our own: pg_stat_user_tables.n_dead_tup is not a measure here,
    // as the store's backends send their UPDATE counts up to a second late (at close), after the VACUUMs that removed
    // those rows (seen: n_dead_tup 10,000 while a VACUUM then found 500).
    const { rows } = await client.query(
      `SELECT vacuum_count::float8 AS vacuums FROM pg_stat_user_tables WHERE relname = 'fhir_change'`,
    );
    const vacuums = Number(rows[0].vacuums);
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.query('VACUUM (VERBOSE, INDEX_CLEANUP ON) fhir_change');
    // dead item identifiers: the change rows whose index entries the polls still walk (pruned heap rows included)
    const removed = notices.map((m) => /had (\d+) dead item identifiers removed/.exec(m)).find((m) => m !== null);
    assert.ok(removed, `VACUUM VERBOSE said how many dead rows it removed: ${notices.join(' | ')}`);
    const dead = Number(removed[1]);
    // without the feed's own VACUUM: WRITES dead rows (the whole-store VACUUM is not due before 20 % of EXISTING)
    assert.ok(dead <= 2 * CHANGE_VACUUM_EVERY + BATCH, `${dead} dead rows in fhir_change after ${WRITES} changes`);
    assert.ok(vacuums >= 2, `fhir_change vacuumed ${vacuums} times`);
  });
});
