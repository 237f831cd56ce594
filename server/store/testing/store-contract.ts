/**
 * The shared store test suite (write path, reads, history, outbox). Every ResourceStore
 * implementation runs it from its own *.int.test.ts with a factory that opens a fresh, empty store.
 * Search behaviour has its own shared suite under server/fhir/search.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { VersionConflictError, type ResourceStore, type VersionWrite } from '../resource-store.js';

export type StoreFactory = () => Promise<{ store: ResourceStore; dispose: () => Promise<void> }>;

function versionOf(
  resourceType: string,
  id: string,
  versionId: number,
  body: Record<string, unknown> | null,
  at = new Date(),
): VersionWrite {
  const lastUpdated = at.toISOString();
  const resource = body
    ? ({ resourceType, id, ...body, meta: { versionId: String(versionId), lastUpdated } } as unknown as Resource)
    : null;
  return {
    resourceType,
    id,
    versionId,
    lastUpdated,
    resource,
    index: { entries: [], compartments: [] },
  };
}

export function describeResourceStoreContract(label: string, factory: StoreFactory): void {
  describe(`ResourceStore contract: ${label}`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;

    before(async () => {
      ({ store, dispose } = await factory());
      await store.init();
      await store.init(); // idempotent
      console.log(`# store under test: ${store.description}`);
    });
    after(async () => {
      await store?.close();
      await dispose?.();
    });

    it('reads back exactly what was written, with its version', async () => {
      await store.write([versionOf('Patient', 'p1', 1, { gender: 'female', name: [{ family: 'Ahmed' }] })]);
      const got = await store.read('Patient', 'p1');
      assert.ok(got);
      assert.equal(got.versionId, 1);
      assert.equal(got.deleted, false);
      assert.deepEqual((got.resource as { name: unknown }).name, [{ family: 'Ahmed' }]);
      assert.equal(got.resource?.meta?.versionId, '1');
      assert.equal(await store.read('Patient', 'nope'), undefined);
      assert.equal(await store.read('Observation', 'p1'), undefined, 'ids are scoped by type');
    });

    it('keeps every version and answers vread for each', async () => {
      await store.write([versionOf('Patient', 'p2', 1, { gender: 'male' })]);
      await store.write([versionOf('Patient', 'p2', 2, { gender: 'female' })]);
      assert.equal((await store.vread('Patient', 'p2', 1))?.resource?.['gender' as never], 'male');
      assert.equal((await store.vread('Patient', 'p2', 2))?.resource?.['gender' as never], 'female');
      assert.equal(await store.vread('Patient', 'p2', 3), undefined);
      assert.equal((await store.read('Patient', 'p2'))?.versionId, 2);
    });

    it('refuses a version that is not current + 1', async () => {
      await store.write([versionOf('Patient', 'p3', 1, { gender: 'male' })]);
      await assert.rejects(store.write([versionOf('Patient', 'p3', 1, { gender: 'other' })]), VersionConflictError);
      await assert.rejects(store.write([versionOf('Patient', 'p3', 3, { gender: 'other' })]), VersionConflictError);
      await assert.rejects(store.write([versionOf('Patient', 'p-new', 2, { gender: 'other' })]), VersionConflictError);
      assert.equal((await store.read('Patient', 'p3'))?.resource?.['gender' as never], 'male');
    });

    it('lets exactly one of many concurrent writers of the same version win', async () => {
      await store.write([versionOf('Patient', 'race', 1, { gender: 'male' })]);
      const attempts = Array.from({ length: 8 }, (_, i) =>
        store.write([
          versionOf('Patient', 'race', 2, { gender: 'female', id: 'race', birthDate: `20${10 + i}-01-01` }),
        ]),
      );
      const outcomes = await Promise.allSettled(attempts);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      assert.equal(won.length, 1);
      for (const o of lost) assert.ok(o.reason instanceof VersionConflictError);
      const history = await store.history({ resourceType: 'Patient', id: 'race', count: 10 });
      assert.deepEqual(
        history.versions.map((v) => v.versionId),
        [2, 1],
      );
    });

    it('writes a batch atomically: one conflict leaves nothing of the batch behind', async () => {
      await store.write([versionOf('Patient', 'a1', 1, { gender: 'male' })]);
      const before = await store.changesAfter(0, 100000);
      await assert.rejects(
        store.write([
          versionOf('Observation', 'o-atomic', 1, { status: 'final', code: { text: 'x' } }),
          versionOf('Patient', 'a1', 1, { gender: 'female' }), // conflict
        ]),
        VersionConflictError,
      );
      assert.equal(await store.read('Observation', 'o-atomic'), undefined);
      assert.equal((await store.read('Patient', 'a1'))?.resource?.['gender' as never], 'male');
      const afterChanges = await store.changesAfter(0, 100000);
      assert.equal(afterChanges.length, before.length, 'no change record for a failed batch');
    });

    it('records a delete as a version: read shows it deleted, history keeps the content', async () => {
      await store.write([versionOf('Condition', 'c1', 1, { code: { text: 'malaria' } })]);
      await store.write([versionOf('Condition', 'c1', 2, null)]);
      const current = await store.read('Condition', 'c1');
      assert.equal(current?.deleted, true);
      assert.equal(current?.resource, null);
      assert.equal(current?.versionId, 2);
      assert.equal((await store.vread('Condition', 'c1', 1))?.resource?.['code' as never]?.['text'], 'malaria');
      assert.deepEqual(await store.readMany([{ resourceType: 'Condition', id: 'c1' }]), []);
      // re-create after delete continues the version sequence
      await store.write([versionOf('Condition', 'c1', 3, { code: { text: 'malaria, resolved' } })]);
      assert.equal((await store.read('Condition', 'c1'))?.deleted, false);
    });

    it('readMany returns the current versions that exist', async () => {
      await store.write([
        versionOf('Encounter', 'e1', 1, { status: 'finished' }),
        versionOf('Encounter', 'e2', 1, { status: 'planned' }),
      ]);
      const got = await store.readMany([
        { resourceType: 'Encounter', id: 'e1' },
        { resourceType: 'Encounter', id: 'e2' },
        { resourceType: 'Encounter', id: 'missing' },
        { resourceType: 'Patient', id: 'p1' },
      ]);
      assert.deepEqual(got.map((v) => `${v.resourceType}/${v.id}`).sort(), [
        'Encounter/e1',
        'Encounter/e2',
        'Patient/p1',
      ]);
    });

    it('readCurrentMany returns the current version of each key, delete versions included', async () => {
      await store.write([
        versionOf('Location', 'l1', 1, { name: 'Ward 1' }),
        versionOf('Location', 'l2', 1, { name: 'Ward 2' }),
      ]);
      await store.write([
        versionOf('Location', 'l2', 2, { name: 'Ward 2b' }),
        versionOf('Location', 'l3', 1, { name: 'Ward 3' }),
      ]);
      await store.write([versionOf('Location', 'l3', 2, null)]);
      await store.write([versionOf('Organization', 'l1', 1, { name: 'same id, other type' })]);
      const keys = [
        { resourceType: 'Location', id: 'l3' },
        { resourceType: 'Location', id: 'missing' },
        { resourceType: 'Location', id: 'l1' },
        { resourceType: 'Organization', id: 'l1' },
        { resourceType: 'Location', id: 'l2' },
        { resourceType: 'Organization', id: 'l2' },
      ];
      const summary = (versions: Awaited<ReturnType<ResourceStore['readCurrentMany']>>) =>
        versions
          .map(
            (v) =>
              `${v.resourceType}/${v.id}@${v.versionId}${v.deleted ? ' deleted' : ''}:${(v.resource as { name?: string } | null)?.name ?? '-'}`,
          )
          .sort();
      const expected = [
        'Location/l1@1:Ward 1',
        'Location/l2@2:Ward 2b',
        'Location/l3@2 deleted:-',
        'Organization/l1@1:same id, other type',
      ];
      assert.deepEqual(summary(await store.readCurrentMany(keys)), expected);
      assert.deepEqual(
        summary(await store.readCurrentMany([...keys].reverse())),
        expected,
        'the order of the keys does not matter',
      );
      const deleted = (await store.readCurrentMany([{ resourceType: 'Location', id: 'l3' }]))[0];
      assert.equal(deleted?.resource, null);
      assert.equal(deleted?.lastUpdated, (await store.read('Location', 'l3'))?.lastUpdated);
      assert.deepEqual(await store.readCurrentMany([]), []);
      assert.deepEqual(await store.readCurrentMany([{ resourceType: 'Location', id: 'nope' }]), []);
    });

    it('answers instance, type and system history newest first, with _since and paging', async () => {
      const t0 = new Date(Date.UTC(2030, 0, 1));
      for (let v = 1; v <= 5; v++) {
        await store.write([
          versionOf('Device', 'd1', v, { status: 'active', serialNumber: `S${v}` }, new Date(t0.getTime() + v * 1000)),
        ]);
      }
      const all = await store.history({ resourceType: 'Device', id: 'd1', count: 100 });
      assert.deepEqual(
        all.versions.map((v) => v.versionId),
        [5, 4, 3, 2, 1],
      );
      const since = await store.history({
        resourceType: 'Device',
        id: 'd1',
        since: new Date(t0.getTime() + 3000).toISOString(),
        count: 100,
      });
      assert.deepEqual(
        since.versions.map((v) => v.versionId),
        [5, 4, 3],
      );
      const page1 = await store.history({ resourceType: 'Device', id: 'd1', count: 2 });
      assert.deepEqual(
        page1.versions.map((v) => v.versionId),
        [5, 4],
      );
      assert.ok(page1.nextCursor);
      const page2 = await store.history({ resourceType: 'Device', id: 'd1', count: 2, cursor: page1.nextCursor });
      assert.deepEqual(
        page2.versions.map((v) => v.versionId),
        [3, 2],
      );
      const page3 = await store.history({ resourceType: 'Device', id: 'd1', count: 2, cursor: page2.nextCursor });
      assert.deepEqual(
        page3.versions.map((v) => v.versionId),
        [1],
      );
      assert.equal(page3.nextCursor, undefined);

      const typeHistory = await store.history({ resourceType: 'Device', count: 100 });
      assert.ok(typeHistory.versions.every((v) => v.resourceType === 'Device'));
      assert.equal(typeHistory.versions.length, 5);
      const systemHistory = await store.history({ count: 1000 });
      const types = new Set(systemHistory.versions.map((v) => v.resourceType));
      for (const t of ['Patient', 'Device', 'Condition', 'Encounter'])
        assert.ok(types.has(t), `system history has ${t}`);
      const stamps = systemHistory.versions.map((v) => v.lastUpdated);
      assert.deepEqual([...stamps].sort().reverse(), stamps, 'system history is newest first');
    });

    it('records one change per committed version, in commit order', async () => {
      const start = await store.changesAfter(0, 100000);
      const lastSeq = start.at(-1)?.seq ?? 0;
      await store.write([versionOf('Observation', 'ob1', 1, { status: 'final', code: { text: 'hb' } })]);
      await store.write([versionOf('Observation', 'ob1', 2, { status: 'amended', code: { text: 'hb' } })]);
      await store.write([versionOf('Observation', 'ob1', 3, null)]);
      const changes = await store.changesAfter(lastSeq, 100);
      assert.deepEqual(
        changes.map((c) => [c.resourceType, c.id, c.versionId, c.deleted]),
        [
          ['Observation', 'ob1', 1, false],
          ['Observation', 'ob1', 2, false],
          ['Observation', 'ob1', 3, true],
        ],
      );
      for (let i = 1; i < changes.length; i++) assert.ok(changes[i]!.seq > changes[i - 1]!.seq);
      assert.deepEqual((await store.changesAfter(lastSeq, 1)).length, 1, 'limit is honoured');
    });

    it('withLocks serialises holders of one key: 30 concurrent read-then-write holders all succeed, none lost', async () => {
      // without the lock, most of these would read the same version and lose the compare-and-set
      const bump = () =>
        store.withLocks(['Basic?identifier=counter'], async (locked) => {
          const current = await locked.read('Basic', 'counter');
          const next = (current?.versionId ?? 0) + 1;
          await locked.write([versionOf('Basic', 'counter', next, { code: { text: String(next) } })]);
          return next;
        });
      const results = await Promise.all(Array.from({ length: 30 }, bump));
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      assert.equal((await store.read('Basic', 'counter'))?.versionId, 30);
    });

    it('withLocks: other keys do not wait, a failing holder releases, overlapping key sets never deadlock', async () => {
      let releaseA!: () => void;
      const holdingA = new Promise<void>((resolve) => (releaseA = resolve));
      let entered!: () => void;
      const inA = new Promise<void>((resolve) => (entered = resolve));
      const a = store.withLocks(['lock-A'], async () => {
        entered();
        await holdingA;
        return 'a';
      });
      await inA;
      assert.equal(await store.withLocks(['lock-B'], async () => 'b'), 'b', 'B is free while A is held');
      let waitedForA = false;
      const a2 = store.withLocks(['lock-A'], async () => (waitedForA = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(waitedForA, false, 'a second holder of A waits');
      releaseA();
      assert.equal(await a, 'a');
      await a2;
      assert.equal(waitedForA, true);

      await assert.rejects(
        store.withLocks(['lock-C'], async () => {
          throw new Error('holder failed');
        }),
        /holder failed/,
      );
      assert.equal(await store.withLocks(['lock-C'], async () => 'c'), 'c', 'released after a failure');

      const crossed = Array.from({ length: 20 }, (_, i) =>
        store.withLocks(i % 2 ? ['lock-X', 'lock-Y'] : ['lock-Y', 'lock-X'], async () => i),
      );
      assert.equal((await Promise.all(crossed)).length, 20);
    });

    it('keeps resource JSON byte-faithful: unicode, decimals, nested arrays, extensions', async () => {
      const body = {
        name: [{ family: 'عبد الله', given: ['Muñoz', '名'] }],
        extension: [{ url: 'http://nilecare.sd/x', valueDecimal: 1.5 }],
        _birthDate: { extension: [{ url: 'http://x', valueString: 'a.b' }] },
      };
      await store.write([versionOf('Patient', 'u1', 1, body)]);
      const got = (await store.read('Patient', 'u1'))!.resource as unknown as typeof body;
      assert.deepEqual(got.name, body.name);
      assert.deepEqual(got.extension, body.extension);
      assert.deepEqual(got._birthDate, body._birthDate);
    });
  });
}
