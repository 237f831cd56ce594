/**
 * The $lastn structure the stores keep (server/store/lastn-keys.ts; PostgreSQL/PGlite: fhir_lastn) stays equal to a
 * full evaluation — every match's index entries grouped by lastn-groups.ts (searchEntries without NewestPerCode,
 * which never reads fhir_lastn) — through what a client can do to an Observation: concurrent updates of one
 * Observation moving it between codes, dates and patients, deletes, and a patient-context token asking for another
 * patient. On PGlite, the PostgreSQL server (real concurrent transactions) and the Mongo store (mingo in process:
 * documents' lastn keys); the migration that fills
 * fhir_lastn for a database made before it, on the server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { pgliteTestStore, postgresTestStore, createTestDatabase } from '../../store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../../store/postgres/open-postgres-store.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';
import type { StoreFactory } from '../../store/testing/store-contract.js';
import { policyFromScopes } from '../../auth/scope-policy.js';
import { FULL_ACCESS } from '../access-policy.js';
import { parseSearch } from '../search/parse-search.js';
import { ENTRY_PARAMS, lastn } from './lastn.js';
import type { Resource } from '@medplum/fhirtypes';
import { MemoryDatabase } from '../../store/mongo/memory-db.js';
import { MongoStore } from '../../store/mongo/mongo-store.js';
import { collectionNameFor } from '../../store/mongo/collection-names.js';
import { currentDocOf } from '../../store/mongo/documents.js';
import { extractIndex } from '../indexing/extract-index.js';
import type { VersionWrite } from '../../store/resource-store.js';
import { lastnGroups } from './lastn-groups.js';

const VITAL = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
};
const CODES = ['8867-4', '8480-6', '29463-7'];

const observation = (patient: string, code: string, at: string | undefined, codes = [code]) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [VITAL],
  code: { coding: codes.map((c) => ({ system: 'http://loinc.org', code: c })) },
  subject: { reference: `Patient/${patient}` },
  ...(at ? { effectiveDateTime: at } : {}),
});

for (const [name, factory] of [
  ['PGlite', pgliteTestStore],
  ['PostgreSQL', postgresTestStore],
  ['mongo, mingo in process', mongoTestStore],
] as Array<[string, StoreFactory]>) {
  describe(`$lastn structure stays equal to a full evaluation (${name})`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    const patients: string[] = [];

    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      await opened.store.init();
      server = await startTestServer(opened.store, {
        resolveAccess: async (req) => {
          const patient = req.get('x-test-patient');
          return patient
            ? policyFromScopes({ scope: 'patient/Observation.rs', clientId: 'lastn-keys-test', patient })
            : FULL_ACCESS;
        },
      });
      for (const family of ['A', 'B']) {
        const res = await server.fhir('/Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family }] },
        });
        assert.equal(res.status, 201, res.text);
        patients.push(res.body.id as string);
      }
    });
    after(async () => {
      await server?.close();
      await dispose?.();
    });

    const ids = (bundle: { entry?: Array<{ resource: { id: string } }> }) =>
      (bundle.entry ?? []).map((e) => `Observation/${e.resource.id}`);

    /** The groups of every match, from the index entries of all of them (no NewestPerCode, no fhir_lastn). */
    async function full(params: Array<[string, string]>, max: number): Promise<string[]> {
      const { query } = parseSearch(['Observation'], params, { baseUrl: server.baseUrl });
      const rows = await server.app.store.searchEntries(query, ENTRY_PARAMS, 100_000);
      return lastnGroups(rows, max).flatMap((g) => g.keys);
    }

    async function expectFull(params: Array<[string, string]>, max: number, label: string): Promise<string[]> {
      const res = await server.fhir(`/Observation/$lastn?${new URLSearchParams([...params, ['max', String(max)]])}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(ids(res.body), await full(params, max), label);
      // each body is the current version, as a read answers it (the store may read them with the matches)
      for (const e of res.body.entry ?? []) {
        const read = await server.fhir(`/Observation/${e.resource.id}`);
        assert.deepEqual(e.resource, read.body, `${label}: body of ${e.resource.id}`);
      }
      return ids(res.body);
    }

    const create = async (body: unknown) => {
      const res = await server.fhir('/Observation', { method: 'POST', body });
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };

    it('concurrent updates of one Observation changing its code, date and patient', async () => {
      const [a, b] = patients as [string, string];
      for (const [i, code] of CODES.entries())
        for (const day of [1, 2, 3]) await create(observation(a, code, `2024-0${i + 1}-0${day}`));
      await create(observation(b, CODES[0]!, '2024-05-05'));
      const moving = await create(observation(a, CODES[0]!, '2020-01-01'));
      for (let round = 0; round < 3; round++) {
        // 12 updates in flight at once, each one a different code, date (or none) and patient
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, k) => {
            const code = CODES[(k + round) % CODES.length]!;
            const at = k % 4 === 3 ? undefined : `2024-0${(k % 3) + 1}-0${(k % 9) + 1}T0${k % 10}:00:00Z`;
            const patient = k % 5 === 0 ? b : a;
            const codes = k % 6 === 5 ? [code, CODES[(k + 1) % CODES.length]!] : [code];
            return server.fhir(`/Observation/${moving}`, {
              method: 'PUT',
              body: { ...observation(patient, code, at, codes), id: moving },
            });
          }),
        );
        for (const res of results) assert.ok([200, 201, 409, 412].includes(res.status), res.text);
        assert.ok(
          results.some((r) => r.status === 200),
          'at least one update applied',
        );
        for (const patient of [a, b])
          for (const max of [1, 2])
            await expectFull(
              [
                ['patient', patient],
                ['category', 'vital-signs'],
              ],
              max,
              `round ${round}, Patient/${patient}, max ${max}`,
            );
        await expectFull(
          [
            ['patient', `${a},${b}`],
            ['code', CODES.join(',')],
          ],
          3,
          `round ${round}, both patients`,
        );
      }
    });

    it('a deleted Observation leaves $lastn; the next newest takes its place', async () => {
      const [a] = patients as [string];
      const older = await create(observation(a, '2708-6', '2023-01-01'));
      const newest = await create(observation(a, '2708-6', '2025-01-01'));
      const params: Array<[string, string]> = [
        ['patient', a],
        ['code', 'http://loinc.org|2708-6'],
      ];
      assert.deepEqual(await expectFull(params, 1, 'before the delete'), [`Observation/${newest}`]);
      assert.ok([200, 204].includes((await server.fhir(`/Observation/${newest}`, { method: 'DELETE' })).status));
      assert.deepEqual(await expectFull(params, 1, 'after the delete'), [`Observation/${older}`]);
      assert.ok([200, 204].includes((await server.fhir(`/Observation/${older}`, { method: 'DELETE' })).status));
      assert.deepEqual(await expectFull(params, 1, 'both deleted'), []);
      // recreated (a new version after the delete): back in
      const back = await server.fhir(`/Observation/${older}`, {
        method: 'PUT',
        body: { ...observation(a, '2708-6', '2023-01-01'), id: older },
      });
      assert.ok([200, 201].includes(back.status), back.text);
      assert.deepEqual(await expectFull(params, 1, 'recreated'), [`Observation/${older}`]);
    });

    it("a patient-context token never sees another patient's lastn", async () => {
      const [a, b] = patients as [string, string];
      const asA = { 'x-test-patient': a };
      const query = (patient: string) => `/Observation/$lastn?patient=${patient}&category=vital-signs&max=5`;
      const other = await server.fhir(query(b), { headers: asA });
      assert.equal(other.status, 200, other.text);
      assert.deepEqual(ids(other.body), [], "B's Observations are not shown to A's token");
      const bySubject = await server.fhir(`/Observation/$lastn?subject=Patient/${b}&code=${CODES[0]}`, {
        headers: asA,
      });
      assert.deepEqual(ids(bySubject.body), []);
      const both = await server.fhir(query(`${a},${b}`), { headers: asA });
      const own = await server.fhir(query(a), { headers: asA });
      assert.ok(ids(own.body).length > 0);
      assert.deepEqual(ids(both.body), ids(own.body), 'asking for both gives only its own');
      for (const id of ids(both.body)) {
        const read = await server.fhir(`/${id}`);
        assert.equal(read.body.subject.reference, `Patient/${a}`);
      }
    });

    it('subjects written as a URL, with a version or an upper-case scheme: as the full evaluation, patient and subject', async () => {
      // the walk tests a row's body (subject.reference literally `Patient/x`) before the patient/subject condition
      // itself (lastn-walk.ts): a URL or a version falls back to the condition; `HTTP://…/Patient/x` has the subject
      // entry Patient/x (so a fhir_lastn row under Patient/x) but no patient entry (resolve() does not type it)
      const [a] = patients as [string];
      const sys = `http://nilecare.test/ref-forms-${Math.random().toString(36).slice(2, 8)}`;
      const obs = (reference: string, code: string, at: string) => ({
        resourceType: 'Observation',
        status: 'final',
        category: [VITAL],
        code: { coding: [{ system: sys, code }] },
        subject: { reference },
        effectiveDateTime: at,
      });
      await create(obs(`Patient/${a}`, 'u', '2024-01-01'));
      await create(obs(`http://example.org/fhir/Patient/${a}`, 'u', '2024-01-02'));
      await create(obs(`Patient/${a}/_history/1`, 'h', '2024-01-03'));
      await create(obs(`Patient/${a}`, 'h', '2024-01-01'));
      const upper = await create(obs(`HTTP://example.org/fhir/Patient/${a}`, 'c', '2024-01-04'));
      await create(obs(`Patient/${a}`, 'c', '2024-01-01'));
      const codes: [string, string] = ['code', ['u', 'h', 'c'].map((c) => `${sys}|${c}`).join(',')];
      for (const max of [1, 2]) {
        const byPatient = await expectFull([['patient', a], codes], max, `patient=, max ${max}`);
        const bySubject = await expectFull([['subject', `Patient/${a}`], codes], max, `subject=, max ${max}`);
        // u and h: max each; c: only the Observation written `Patient/x` is the patient's
        assert.equal(byPatient.length, 2 * max + 1);
        assert.ok(bySubject.includes(`Observation/${upper}`) && !byPatient.includes(`Observation/${upper}`));
      }
    });
  });
}

describe('fhir_lastn migration: a database made before it gets it filled from the index rows (PostgreSQL)', () => {
  it('dropping fhir_lastn and starting again gives the same rows', async () => {
    const database = await createTestDatabase();
    const store = await openPostgresStore({ url: database.url, poolSize: 4 });
    const client = new pg.Client({ connectionString: database.url });
    try {
      await store.init();
      const server = await startTestServer(store);
      try {
        const post = (body: unknown) => server.fhir('/Observation', { method: 'POST', body });
        await post(observation('p1', CODES[0]!, '2024-01-01'));
        await post(observation('p1', CODES[0]!, undefined));
        await post(observation('p1', CODES[1]!, '2024-01-01', [CODES[1]!, CODES[2]!]));
        await post({ ...observation('p2', CODES[0]!, '2024-02-02'), code: { text: 'text only' } });
        await post({ ...observation('p2', CODES[0]!, '2024-02-02'), subject: undefined });
        const gone = await post(observation('p2', CODES[2]!, '2024-03-03'));
        await server.fhir(`/Observation/${gone.body.id}`, { method: 'DELETE' });
      } finally {
        await server.close();
      }
      await client.connect();
      const rows = async () =>
        (
          await client.query(
            `SELECT resource_type, resource_id, param, tuple, subject, code, at FROM fhir_lastn ORDER BY 1, 2, 5, 6`,
          )
        ).rows;
      const written = await rows();
      assert.equal(written.length, 4, JSON.stringify(written)); // one per Observation with a subject, none deleted
      await client.query('DROP TABLE fhir_lastn');
      await store.init();
      assert.deepEqual(await rows(), written);
    } finally {
      await client.end().catch(() => undefined);
      await store.close();
      await database.drop();
    }
  });
});

describe('Mongo $lastn keys migration: documents written before them get them at init (mingo)', () => {
  it('init fills lastn and lastnAt from the stored index entries', async () => {
    const db = new MemoryDatabase();
    const store = new MongoStore(db, {});
    await store.init();
    const stamp = new Date(Date.UTC(2025, 0, 1)).toISOString();
    const resources = [
      { ...observation('p1', CODES[0]!, '2024-01-01'), id: 'm1' },
      { ...observation('p1', CODES[0]!, undefined), id: 'm2' },
      { ...observation('p1', CODES[1]!, '2024-01-01', [CODES[1]!, CODES[2]!]), id: 'm3' },
      { ...observation('p2', CODES[0]!, '2024-02-02'), code: { text: 'text only' }, id: 'm4' },
    ] as Resource[];
    const writes: VersionWrite[] = resources.map((r) => ({
      resourceType: 'Observation',
      id: r.id!,
      versionId: 1,
      lastUpdated: stamp,
      resource: { ...r, meta: { versionId: '1', lastUpdated: stamp } },
      index: extractIndex(r),
    }));
    const collection = db.collection(collectionNameFor('Observation'));
    for (const w of writes) {
      const { lastn: _keys, lastnAt: _at, ...old } = currentDocOf(w);
      await collection.insertOne(old);
    }
    await store.init();
    for (const w of writes) {
      const doc = await collection.findOne({ _id: w.id });
      const expected = currentDocOf(w);
      assert.deepEqual([doc?.['lastn'], doc?.['lastnAt']], [expected['lastn'], expected['lastnAt']], w.id);
    }
    const found = await lastn({
      store,
      params: [
        ['patient', 'p1'],
        ['category', 'vital-signs'],
      ],
      baseUrl: 'http://localhost',
      access: FULL_ACCESS,
    });
    assert.deepEqual(found.matches.map((v) => v.id).sort(), ['m1', 'm3']);
    await store.close();
  });
});
