/**
 * Group commit (group-commit.ts): concurrent independent writes share one statement on a server, and each keeps its
 * own outcome — mixed with conflicting creates, stale updates, creates racing for one id and a write PostgreSQL
 * refuses, exactly the writes that would have succeeded alone succeed, each readable, indexed, in history and in
 * the change feed exactly once, and the others leave no trace. The same contract holds on embedded PGlite (one
 * statement at a time, no grouping).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VersionConflictError, type ResourceStore, type VersionWrite } from '../resource-store.js';
import type { StoreFactory } from '../testing/store-contract.js';
import { pgliteTestStore, postgresTestStore } from './testing/test-stores.js';
import { sqlClientOf } from './open-postgres-store.js';
import { PostgresStore } from './postgres-store.js';
import type { SqlClient } from './sql-client.js';

function version(id: string, versionId: number, family: string): VersionWrite {
  const lastUpdated = new Date().toISOString();
  return {
    resourceType: 'Patient',
    id,
    versionId,
    lastUpdated,
    resource: {
      resourceType: 'Patient',
      id,
      name: [{ family }],
      meta: { versionId: String(versionId), lastUpdated },
    },
    index: {
      entries: [{ kind: 'string', param: 'family', value: family.toLowerCase(), exact: family }],
      compartments: [`Patient/${id}`],
    },
  };
}

function describeGroups(label: string, factory: StoreFactory): void {
  describe(`group commit: ${label}`, () => {
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

    async function familiesFound(prefix: string): Promise<string[]> {
      const page = await store.search({
        resourceTypes: ['Patient'],
        conditions: [{ kind: 'string', param: 'family', match: 'prefix', values: [prefix] }],
        sort: [],
        count: 500,
        total: 'none',
      });
      return page.entries.map((e) => (e.resource as unknown as { name: [{ family: string }] }).name[0].family).sort();
    }

    async function changesOf(ids: Set<string>): Promise<string[]> {
      const changes = await store.changesAfter(0, 1_000_000);
      return changes.filter((c) => ids.has(c.id)).map((c) => `${c.id}/${c.versionId}`);
    }

    it('60 concurrent writes, fresh creates mixed with conflicting creates, updates, stale updates, a race for one id and a refused value: each gets the outcome it would get alone', async () => {
      const p = 'gcmix';
      for (let i = 0; i < 10; i++) await store.write([version(`${p}-old${i}`, 1, `${p}old${i}v1`)]);
      type Case = { write: VersionWrite; ok: boolean | 'one-of-race' };
      const cases: Case[] = [];
      for (let i = 0; i < 25; i++) cases.push({ write: version(`${p}-new${i}`, 1, `${p}new${i}`), ok: true });
      // a create of an id that exists: conflict
      for (let i = 0; i < 5; i++) cases.push({ write: version(`${p}-old${i}`, 1, `${p}old${i}again`), ok: false });
      // the right next version of existing resources: succeed
      for (let i = 5; i < 10; i++) cases.push({ write: version(`${p}-old${i}`, 2, `${p}old${i}v2`), ok: true });
      // a version that is not next: conflict
      for (let i = 0; i < 5; i++) cases.push({ write: version(`${p}-old${i}`, 3, `${p}old${i}v3`), ok: false });
      // 12 creates of one new id: exactly one wins
      for (let i = 0; i < 12; i++) cases.push({ write: version(`${p}-race`, 1, `${p}race${i}`), ok: 'one-of-race' });
      // a value PostgreSQL refuses (NUL in the JSON text): that write alone fails, not as a conflict
      const refused = version(`${p}-nul`, 1, `${p}nul`);
      (refused.resource as unknown as { name: [{ family: string }] }).name[0].family = `${p}nul\u0000x`;
      cases.push({ write: refused, ok: false });
      // shuffled, so that any member of a group may be the one at fault
      cases.sort((a, b) => (a.write.id + a.write.versionId).localeCompare(b.write.id + b.write.versionId) * -1);
      const outcomes = await Promise.allSettled(cases.map((c) => store.write([c.write])));

      const raceWinners: string[] = [];
      outcomes.forEach((o, i) => {
        const c = cases[i]!;
        const name = `${c.write.id} v${c.write.versionId}`;
        if (c.ok === 'one-of-race') {
          if (o.status === 'fulfilled') raceWinners.push(family(c.write));
          else assert.ok(o.reason instanceof VersionConflictError, `${name}: ${String(o.reason)}`);
        } else if (c.ok) assert.equal(o.status, 'fulfilled', `${name}: ${o.status === 'rejected' ? o.reason : ''}`);
        else {
          assert.equal(o.status, 'rejected', `${name} must fail`);
          if (c.write.id !== refused.id) assert.ok(o.reason instanceof VersionConflictError, name);
          else assert.ok(!(o.reason instanceof VersionConflictError), 'refused, not a conflict');
        }
      });
      assert.equal(raceWinners.length, 1, 'one create of the raced id wins');

      // what is stored: exactly the successful writes, once each
      const expected = [
        ...Array.from({ length: 10 }, (_, i) => `${p}old${i}v${i < 5 ? 1 : 2}`.toLowerCase()),
        ...Array.from({ length: 25 }, (_, i) => `${p}new${i}`),
        raceWinners[0]!,
      ].sort();
      assert.deepEqual(await familiesFound(p), expected, 'the index holds each current version once, nothing else');
      const current = await store.readCurrentMany(
        [...Array.from({ length: 10 }, (_, i) => `${p}-old${i}`), `${p}-race`, `${p}-nul`].map((id) => ({
          resourceType: 'Patient',
          id,
        })),
      );
      assert.deepEqual(
        current.map((v) => `${v.id} v${v.versionId} ${family(v)}`).sort(),
        [
          ...Array.from({ length: 10 }, (_, i) => `${p}-old${i} v${i < 5 ? 1 : 2} ${p}old${i}v${i < 5 ? 1 : 2}`),
          `${p}-race v1 ${raceWinners[0]}`,
        ].sort(),
      );
      const ids = new Set(cases.map((c) => c.write.id));
      const changes = await changesOf(ids);
      assert.equal(changes.length, new Set(changes).size, 'no change-feed record twice');
      assert.deepEqual(
        changes.sort(),
        [
          ...Array.from({ length: 10 }, (_, i) => `${p}-old${i}/1`),
          ...Array.from({ length: 5 }, (_, i) => `${p}-old${i + 5}/2`),
          ...Array.from({ length: 25 }, (_, i) => `${p}-new${i}/1`),
          `${p}-race/1`,
        ].sort(),
      );
      for (const id of [`${p}-old0`, `${p}-old7`, `${p}-race`]) {
        const history = await store.history({ resourceType: 'Patient', id, count: 10 });
        assert.deepEqual(
          history.versions.map((v) => v.versionId),
          id === `${p}-old7` ? [2, 1] : [1],
          `history of ${id}`,
        );
      }
    });

    it('creates of distinct patients from 32 concurrent callers, 5 rounds: every one committed and indexed once', async () => {
      for (let round = 0; round < 5; round++) {
        const p = `gcround${round}`;
        await Promise.all(Array.from({ length: 32 }, (_, i) => store.write([version(`${p}-${i}`, 1, `${p}n${i}`)])));
        assert.deepEqual(await familiesFound(p), Array.from({ length: 32 }, (_, i) => `${p}n${i}`).sort());
      }
    });
  });
}

function family(v: { resource: unknown }): string {
  return (v.resource as { name: [{ family: string }] }).name[0].family;
}

describeGroups('PostgreSQL 15 server', postgresTestStore);
describeGroups('embedded PGlite', pgliteTestStore);

describe('group commit on a server: concurrent writes share statements', () => {
  it('40 concurrent creates go as fewer than 40 write statements, and all commit', async () => {
    const { store: opened, dispose } = await postgresTestStore();
    const sql = sqlClientOf(opened)!;
    let statements = 0;
    const counting: SqlClient = {
      ...sql,
      query: (statement) => {
        if (statement.name?.startsWith('fhir_versions')) statements++;
        return sql.query(statement);
      },
    };
    const store = new PostgresStore(counting);
    try {
      await store.init();
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.write([version(`gcc-${i}`, 1, `gcc${i}`)])));
      assert.ok(statements < 40, `${statements} statements for 40 writes`);
      const found = await store.readCurrentMany(
        Array.from({ length: 40 }, (_, i) => ({ resourceType: 'Patient', id: `gcc-${i}` })),
      );
      assert.equal(found.length, 40);
    } finally {
      await store.close().catch(() => undefined);
      await dispose();
    }
  });
});
