/**
 * Concurrent writers of the same version, with index entries: the losers leave nothing behind —
 * no index rows, no history, no outbox record — and the winner's index is the only one searched.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VersionConflictError, type ResourceStore, type VersionWrite } from '../resource-store.js';
import type { StoreFactory } from '../testing/store-contract.js';
import { pgliteTestStore, postgresTestStore } from './testing/test-stores.js';
import { sqlClientOf } from './open-postgres-store.js';
import { versionsStatement } from './write-versions.js';
import type { SqlClient } from './sql-client.js';
import { setTimeout as sleep } from 'node:timers/promises';

function version(id: string, versionId: number, name: string): VersionWrite {
  const lastUpdated = new Date().toISOString();
  return {
    resourceType: 'Patient',
    id,
    versionId,
    lastUpdated,
    resource: {
      resourceType: 'Patient',
      id,
      name: [{ family: name }],
      meta: { versionId: String(versionId), lastUpdated },
    },
    index: {
      entries: [{ kind: 'string', param: 'family', value: name, exact: name }],
      compartments: [`Patient/${id}`],
    },
  };
}

/** A bare current row, as another writer's uncommitted create would leave it. */
const INSERT_BARE_ROW = `INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, last_updated_ms, deleted, content)
  VALUES ('Patient', $1, 1, '2026-01-01T00:00:00Z', 0, false, '{}')`;

/** Resolves once some statement of this database waits for a lock (polled; the test runner's timeout bounds it). */
async function waitUntilBlocked(sql: SqlClient): Promise<void> {
  for (;;) {
    const { rows } = await sql.query<{ n: number }>({
      text: `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    });
    if (rows[0]!.n > 0) return;
    await sleep(5);
  }
}

function describeRaces(label: string, factory: StoreFactory): void {
  describe(`PostgreSQL store write races: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    async function namesFound(prefix: string): Promise<string[]> {
      const page = await store.search({
        resourceTypes: ['Patient'],
        conditions: [{ kind: 'string', param: 'family', match: 'prefix', values: [prefix] }],
        sort: [],
        count: 100,
        total: 'none',
      });
      return page.entries.map((e) => (e.resource as unknown as { name: [{ family: string }] }).name[0].family);
    }

    for (const versionId of [1, 2]) {
      it(`8 concurrent writers of version ${versionId}: one wins, the others leave no trace`, async () => {
        const id = `race-v${versionId}`;
        if (versionId === 2) await store.write([version(id, 1, `${id}-base`)]);
        const before = (await store.changesAfter(0, 1_000_000)).length;
        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => store.write([version(id, versionId, `${id}-w${i}`)])),
        );
        const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
        assert.equal(winners.length, 1);
        for (const o of outcomes)
          if (o.status === 'rejected') assert.ok(o.reason instanceof VersionConflictError, String(o.reason));
        const winner = `${id}-w${winners[0]}`;
        assert.deepEqual(
          await namesFound(`${id}-`),
          [winner],
          'only the winner is indexed (and the old version is not)',
        );
        const history = await store.history({ resourceType: 'Patient', id, count: 10 });
        assert.deepEqual(
          history.versions.map((v) => v.versionId),
          versionId === 1 ? [1] : [2, 1],
        );
        assert.equal((await store.changesAfter(0, 1_000_000)).length - before, 1, 'one outbox record');
        const compartment = await store.search({
          resourceTypes: ['Patient'],
          conditions: [{ kind: 'compartment', ref: `Patient/${id}` }],
          sort: [],
          count: 10,
          total: 'accurate',
        });
        assert.equal(compartment.total, 1, 'compartment rows not duplicated');
      });
    }

    // A create inserts version 1 with ON CONFLICT DO NOTHING, and a lost race must end there (0 rows: a version
    // conflict). fhir_resource has two unique indexes over (resource_type, id): the primary key and the partial
    // fhir_resource_current. ON CONFLICT (resource_type, id) alone chose only the primary key as arbiter; when two
    // creates of one id both passed its pre-check, the second's insert into fhir_resource_current raised a unique
    // violation (23505), and the request answered 500 (20 overlapping transactions under CPU load, 2 of 20).
    it('a create is arbitrated by every unique index of the current rows (a lost race is never a unique violation)', async () => {
      const sql = sqlClientOf(store)!;
      const { rows: unique } = await sql.query<{ name: string }>({
        text: `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = 'fhir_resource'::regclass AND i.indisunique ORDER BY 1`,
      });
      assert.deepEqual(
        unique.map((r) => r.name),
        ['fhir_resource_current', 'fhir_resource_pkey'],
      );
      const { text, values } = versionsStatement([version('arbiters', 1, 'arbiters')]);
      const { rows } = await sql.query<{ 'QUERY PLAN': unknown }>({ text: `EXPLAIN (FORMAT JSON) ${text}`, values });
      const arbiters: string[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (node && typeof node === 'object')
          for (const [key, value] of Object.entries(node)) {
            if (key === 'Conflict Arbiter Indexes') arbiters.push(...(value as string[]));
            else walk(value);
          }
      };
      walk(rows[0]!['QUERY PLAN']);
      assert.deepEqual(
        arbiters.sort(),
        unique.map((r) => r.name),
      );
    });

    // Two writes of the same resources in opposite orders (overlapping transactions, bundles) must take the rows in
    // one order, or each can hold the row the other waits for: a deadlock, which PostgreSQL ends by failing one (a
    // 500). The write takes them in key order whatever the order of its versions: a write of [b, a] stopped at b
    // (held by another transaction) already holds a. Deterministic: the probe asks with NOWAIT / lock_timeout, which
    // only bound a wait that would otherwise last until the holder ends.
    for (const kind of ['updates', 'creates'] as const)
      it(`a write of several resources takes their rows in key order, whatever its order (${kind})`, async (t) => {
        const sql = sqlClientOf(store)!;
        if (!sql.isServer) {
          t.skip('one connection: writes cannot overlap');
          return;
        }
        const [a, b] = [`order-${kind}-a`, `order-${kind}-b`];
        if (kind === 'updates') for (const id of [b, a]) await store.write([version(id, 1, id)]); // heap order b, a
        const next = kind === 'updates' ? 2 : 1;
        let write: Promise<void> | undefined;
        let probe: string | undefined;
        const released = new Error('the holder rolls back: b is free again (and, for creates, never created)');
        await sql
          .transaction(async (holder) => {
            // another transaction holds b: an update of it (row lock), or its creation (an uncommitted row)
            await holder.query(
              kind === 'updates'
                ? {
                    text: `SELECT 1 FROM fhir_resource WHERE resource_type = 'Patient' AND id = $1 FOR UPDATE`,
                    values: [b],
                  }
                : { text: INSERT_BARE_ROW, values: [b] },
            );
            write = store.write([version(b, next, `${b}-2`), version(a, next, `${a}-2`)]);
            write.catch(() => undefined);
            await waitUntilBlocked(sql);
            probe = await sql
              .transaction(async (tx) => {
                await tx.query({ text: `SET LOCAL lock_timeout = '50ms'` });
                await tx.query(
                  kind === 'updates'
                    ? {
                        text: `SELECT 1 FROM fhir_resource WHERE resource_type = 'Patient' AND id = $1 FOR UPDATE NOWAIT`,
                        values: [a],
                      }
                    : { text: `${INSERT_BARE_ROW} ON CONFLICT DO NOTHING`, values: [a] },
                );
                throw new Error('a was free');
              })
              .catch((error: { code?: string; message?: string }) => error.code ?? error.message);
            throw released;
          })
          .catch((error: unknown) => {
            if (error !== released) throw error;
          });
        assert.equal(probe, '55P03', 'a is held by the write while it waits for b');
        await write;
        const current = await store.readCurrentMany([
          { resourceType: 'Patient', id: a },
          { resourceType: 'Patient', id: b },
        ]);
        assert.deepEqual(
          current.map((v) => v.versionId),
          [next, next],
          'the write then committed both',
        );
      });

    // The race itself, where it can happen: on a server, creates run on several connections at once (PGlite runs one
    // statement at a time). Before the fix, about 1 round in 20 ended with a unique violation (load ~25).
    it('100 rounds of 12 concurrent creates of one id: one wins each round, every other is a version conflict', async (t) => {
      if (!sqlClientOf(store)!.isServer) {
        t.skip('one connection: creates cannot overlap');
        return;
      }
      const failures: string[] = [];
      for (let round = 0; round < 100; round++) {
        const id = `create-race-${round}`;
        const outcomes = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) => store.write([version(id, 1, `${id}-w${i}`)])),
        );
        const winners = outcomes.filter((o) => o.status === 'fulfilled').length;
        if (winners !== 1) failures.push(`round ${round}: ${winners} winners`);
        for (const o of outcomes)
          if (o.status === 'rejected' && !(o.reason instanceof VersionConflictError))
            failures.push(`round ${round}: ${String(o.reason)}`);
      }
      assert.deepEqual(failures, []);
    });
  });
}

describeRaces('PostgreSQL 15 server', postgresTestStore);
describeRaces('embedded PGlite', pgliteTestStore);
