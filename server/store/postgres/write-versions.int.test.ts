/**
 * Concurrent writers of the same version, with index entries: the losers leave nothing behind —
 * no index rows, no history, no outbox record — and the winner's index is the only one searched.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VersionConflictError, type ResourceStore, type VersionWrite } from '../resource-store.js';
import type { StoreFactory } from '../testing/store-contract.js';
import { pgliteTestStore, postgresTestStore } from './testing/test-stores.js';

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
  });
}

describeRaces('PostgreSQL 15 server', postgresTestStore);
describeRaces('embedded PGlite', pgliteTestStore);
