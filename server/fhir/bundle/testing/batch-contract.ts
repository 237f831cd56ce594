/**
 * batch Bundles as a client sees them over HTTP, run against every store (issue #20: the creates of a batch are
 * written together, bundle/batch-creates.ts). What must hold whatever the grouping: each entry independent (one
 * failing never changes another's outcome), ifNoneExist race-free when many clients post the same batch at once
 * (exactly one resource per condition, on one server and on two sharing the database), an entry sees what the
 * entries before it created, answers in request order, and a store write that fails fails its own entry only.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ResourceStore, VersionWrite } from '../../../store/resource-store.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';

type Json = Record<string, any>;

/** The store under test and, where the store is a shared server, a second store on the same database. */
export type BatchStoreFactory = () => Promise<{
  store: ResourceStore;
  twin?: ResourceStore;
  dispose: () => Promise<void>;
}>;

const SYSTEM = 'http://nilecare.test/batch';
const statusOf = (e: Json) => String(e.response.status).slice(0, 3);
const idOf = (e: Json) => String(e.response.location).split('/')[1];

function batch(entry: Json[]): Json {
  return { resourceType: 'Bundle', type: 'batch', entry };
}

function create(resource: Json, ifNoneExist?: string): Json {
  return {
    resource,
    request: { method: 'POST', url: resource.resourceType, ...(ifNoneExist ? { ifNoneExist } : {}) },
  };
}

function org(values: string[], extra: Json = {}): Json {
  return { resourceType: 'Organization', identifier: values.map((value) => ({ system: SYSTEM, value })), ...extra };
}

const byIdentifier = (value: string) => `identifier=${encodeURIComponent(`${SYSTEM}|${value}`)}`;

/** A store whose writes of a version named `name` fail (a store refusing one version), everything else passed on. */
function failingWritesOf(store: ResourceStore, name: string): ResourceStore {
  const refuses = (writes: VersionWrite[]) => writes.some((w) => (w.resource as Json | null)?.['name'] === name);
  // a Proxy of an empty object: the store's own properties may be read-only (a Proxy of it could not replace them)
  const wrap = (inner: ResourceStore): ResourceStore =>
    new Proxy({} as ResourceStore, {
      get(_, property) {
        if (property === 'write')
          return async (writes: VersionWrite[]) => {
            if (refuses(writes)) throw new Error(`simulated store failure for ${name}`);
            return inner.write(writes);
          };
        if (property === 'withLocks')
          return <T>(keys: readonly string[], fn: (s: ResourceStore) => Promise<T>) =>
            inner.withLocks(keys, (locked) => fn(wrap(locked)));
        const value = Reflect.get(inner, property) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(inner) : value;
      },
    });
  return wrap(store);
}

export function describeBatches(label: string, factory: BatchStoreFactory): void {
  describe(`batch Bundles: ${label}`, () => {
    let servers: TestServer[] = [];
    let server: TestServer;
    let dispose: () => Promise<void>;
    let store: ResourceStore;
    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      store = opened.store;
      server = await startTestServer(opened.store);
      servers = [server, ...(opened.twin ? [await startTestServer(opened.twin)] : [])];
      console.log(`# batch store: ${opened.store.description}${opened.twin ? ' (and a second server on it)' : ''}`);
    });
    after(async () => {
      for (const s of servers) {
        await s.close();
        await s.app.store.close();
      }
      await dispose?.();
    });

    const post = async (body: Json, on = server) => {
      const res = await on.fhir('/', { method: 'POST', body });
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.equal(res.body.type, 'batch-response');
      return res.body.entry as Json[];
    };
    const count = async (type: string, query: string) => {
      const res = await server.fhir(`/${type}?${query}&_summary=count&_total=accurate`);
      assert.equal(res.status, 200, res.text.slice(0, 200));
      return res.body.total as number;
    };

    it('N clients posting the same batch at once: each condition creates one resource, the others answer it', async () => {
      const run = randomUUID();
      const orgs = Array.from({ length: 30 }, (_, i) => `${run}-org-${i}`);
      const locations = Array.from({ length: 10 }, (_, i) => `${run}-loc-${i}`);
      const entry = [
        ...orgs.map((v) => create(org([v]), byIdentifier(v))),
        ...locations.map((v) =>
          create({ resourceType: 'Location', identifier: [{ system: SYSTEM, value: v }] }, byIdentifier(v)),
        ),
        create({ resourceType: 'Organization', name: `${run}-plain` }),
      ];
      const clients = 8;
      const answers = await Promise.all(
        Array.from({ length: clients }, (_, i) => post(batch(entry), servers[i % servers.length])),
      );
      for (const [i, request] of entry.entries()) {
        const statuses = answers.map((a) => statusOf(a[i]!));
        const ids = new Set(answers.map((a) => idOf(a[i]!)));
        if (request.request.ifNoneExist) {
          assert.deepEqual(
            statuses.filter((s) => s === '201').length,
            1,
            `entry ${i}: one client created it (${statuses.join()})`,
          );
          assert.ok(
            statuses.every((s) => s === '201' || s === '200'),
            statuses.join(),
          );
          assert.equal(ids.size, 1, `entry ${i}: every client was answered the same resource`);
        } else {
          assert.ok(
            statuses.every((s) => s === '201'),
            `a plain create is created by every client: ${statuses.join()}`,
          );
          assert.equal(ids.size, clients);
        }
      }
      for (const v of orgs) assert.equal(await count('Organization', byIdentifier(v)), 1, v);
      for (const v of locations) assert.equal(await count('Location', byIdentifier(v)), 1, v);
      assert.equal(await count('Organization', `name=${run}-plain`), clients);
    });

    it('a bad entry among good ones fails alone, answers stay in request order', async () => {
      const run = randomUUID();
      const [ok1, ok2, twin, existing, loc] = ['ok1', 'ok2', 'twin', 'existing', 'loc'].map((s) => `${run}-${s}`) as [
        string,
        string,
        string,
        string,
        string,
      ];
      await post(batch([create(org([twin])), create(org([twin])), create(org([existing]))]));
      const existingId = (await server.fhir(`/Organization?${byIdentifier(existing)}`)).body.entry[0].resource.id;
      const entries = await post(
        batch([
          create(org([ok1]), byIdentifier(ok1)),
          create(org([`${run}-invalid`], { active: 'yes' }), byIdentifier(`${run}-invalid`)),
          create(org([`${run}-unknown`]), 'unknownparam=1'),
          create(org([twin]), byIdentifier(twin)),
          create(org([ok2])),
          create({ resourceType: 'Patient', gender: 'nope' }),
          { resource: org([`${run}-norequest`]) },
          create({ resourceType: 'Location', identifier: [{ system: SYSTEM, value: loc }] }, byIdentifier(loc)),
          create({ resourceType: 'AuditEvent' }),
          create(org([existing]), byIdentifier(existing)),
          create({ resourceType: 'Nonsense' }),
        ]),
      );
      assert.deepEqual(entries.map(statusOf), [
        '201',
        '422',
        '400',
        '412',
        '201',
        '422',
        '400',
        '201',
        '405',
        '200',
        '404',
      ]);
      for (const i of [1, 2, 3, 5, 6, 8]) {
        assert.equal(entries[i]!.response.outcome?.resourceType, 'OperationOutcome', `entry ${i}`);
        assert.match(
          JSON.stringify(entries[i]!.response.outcome),
          new RegExp(`Bundle\\.entry\\[${i}\\]`),
          `entry ${i}`,
        );
      }
      assert.equal(idOf(entries[9]!), existingId);
      assert.equal(await count('Organization', byIdentifier(ok1)), 1);
      assert.equal(await count('Organization', byIdentifier(ok2)), 1);
      assert.equal(await count('Location', byIdentifier(loc)), 1);
      assert.equal(await count('Organization', byIdentifier(`${run}-invalid`)), 0);
      assert.equal(await count('Organization', byIdentifier(`${run}-unknown`)), 0);
      assert.equal(await count('Organization', byIdentifier(twin)), 2, 'the 412 created nothing');
      assert.equal(await count('Organization', byIdentifier(existing)), 1);
      for (const i of [0, 4, 7])
        assert.equal((await server.fhir(`/${entries[i]!.response.location.split('/_history')[0]}`)).status, 200);
    });

    it('an entry finds what the entries before it created, as if run one after the other', async () => {
      const run = randomUUID();
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((s) => `${run}-${s}`) as [string, string, string, string];
      const entries = await post(
        batch([
          create(org([a, b]), byIdentifier(a)),
          create(org([b]), byIdentifier(b)), // matches entry 0's new resource by its second identifier
          create(org([a]), byIdentifier(a)), // the same condition as entry 0
          { request: { method: 'GET', url: `Organization?${byIdentifier(b)}` } },
          create(org([c])),
          create(org([c]), byIdentifier(c)), // matches the plain create before it
          create(org([d]), `${byIdentifier(d)}&name:missing=true`), // created: d has no name
          create(org([d], { name: 'named' }), `${byIdentifier(d)}&name:missing=false`), // d's resource has no name
        ]),
      );
      assert.deepEqual(entries.map(statusOf), ['201', '200', '200', '200', '201', '200', '201', '201']);
      assert.equal(idOf(entries[1]!), idOf(entries[0]!));
      assert.equal(idOf(entries[2]!), idOf(entries[0]!));
      assert.equal(entries[3]!.resource.total ?? entries[3]!.resource.entry.length, 1);
      assert.equal(idOf(entries[5]!), idOf(entries[4]!));
      assert.notEqual(idOf(entries[7]!), idOf(entries[6]!));
      assert.equal(await count('Organization', byIdentifier(a)), 1);
      assert.equal(await count('Organization', byIdentifier(b)), 1);
      assert.equal(await count('Organization', byIdentifier(c)), 1);
      assert.equal(await count('Organization', byIdentifier(d)), 2);
    });

    it('a version the store refuses fails its entry only; the others are stored', async () => {
      const refusing = await startTestServer(failingWritesOf(store, 'refuse-me'));
      try {
        const run = randomUUID();
        const entries = await post(
          batch([
            create(org([`${run}-1`]), byIdentifier(`${run}-1`)),
            create(org([`${run}-2`], { name: 'refuse-me' }), byIdentifier(`${run}-2`)),
            create(org([`${run}-3`])),
            create(org([`${run}-4`], { name: 'refuse-me' })),
          ]),
          refusing,
        );
        assert.deepEqual(entries.map(statusOf), ['201', '500', '201', '500']);
        assert.equal(await count('Organization', byIdentifier(`${run}-1`)), 1);
        assert.equal(await count('Organization', byIdentifier(`${run}-2`)), 0);
        assert.equal(await count('Organization', byIdentifier(`${run}-3`)), 1);
        assert.equal(await count('Organization', byIdentifier(`${run}-4`)), 0);
      } finally {
        await refusing.close(); // its store is the suite's (closed in after)
      }
    });

    it('more entries than one round holds: every condition once, reloading creates nothing', async () => {
      const run = randomUUID();
      // 130 conditions, every 10th repeated at once (same round), then all of them again (some in a later round)
      const values = Array.from({ length: 130 }, (_, i) => `${run}-${i}`);
      const order = [...values.flatMap((v, i) => (i % 10 === 0 ? [v, v] : [v])), ...values];
      const entry = order.map((v) => create(org([v]), byIdentifier(v)));
      const first = await post(batch(entry));
      const firstAt = new Map<string, number>();
      order.forEach((v, i) => {
        if (!firstAt.has(v)) firstAt.set(v, i);
      });
      assert.deepEqual(
        first.map(statusOf),
        order.map((v, i) => (firstAt.get(v) === i ? '201' : '200')),
      );
      for (const [i, v] of order.entries()) assert.equal(idOf(first[i]!), idOf(first[firstAt.get(v)!]!), v);
      const again = await post(batch(entry));
      assert.ok(again.every((e) => statusOf(e) === '200'));
      for (const [i, v] of order.entries()) assert.equal(idOf(again[i]!), idOf(first[i]!), v);
      assert.equal(new Set(first.map(idOf)).size, values.length);
      for (const v of [values[0]!, values[99]!, values[100]!, values[129]!])
        assert.equal(await count('Organization', byIdentifier(v)), 1, v);
    });
  });
}
