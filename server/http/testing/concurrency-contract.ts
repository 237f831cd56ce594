/**
 * Integrity under concurrency (issue #14 items 1, 2, 6), as an integration team attacks it over HTTP, on every store:
 * N clients at once send the same conditional create, conditional update, transaction with ifNoneExist, transaction
 * with a conditional reference, conditional patch and delete — each creates exactly one resource, 5 rounds each; two
 * loads of the Synthea hospital batch at once leave no duplicated identifier; PUT/PATCH without If-Match and
 * overlapping transactions are last-writer-wins (never 409). Where the store allows it, the clients are split over
 * two app instances with stores of their own on one database (two server processes, in effect).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ResourceStore } from '../../store/resource-store.js';
import { startTestServer, type FhirTestResponse, type TestServer } from '../../testing/test-server.js';
import { SYNTHEA, syntheaPipesFiles } from '../../fhir/bundle/testing/transaction-contract.js';
import { corpusMissing } from '../../testing/corpus.js';

/** One database, seen through one or more stores (each as a separate server would open it). */
export type SharedStores = () => Promise<{ stores: ResourceStore[]; dispose: () => Promise<void> }>;

type Json = Record<string, any>;

const CLIENTS = 50;
const ROUNDS = 5;
const SYSTEM = 'http://hospital.example.sd/mrn';

const patient = (mrn: string, extra: Json = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: SYSTEM, value: mrn }],
  name: [{ family: 'Osman', given: ['Hawa'] }],
  ...extra,
});

export function describeConcurrency(label: string, open: SharedStores): void {
  describe(`Integrity under concurrency over HTTP: ${label}`, () => {
    let servers: TestServer[] = [];
    let dispose: () => Promise<void>;
    /** Client i talks to server i mod n. */
    const send = (i: number, path: string, init?: Parameters<TestServer['fhir']>[1]) =>
      servers[i % servers.length]!.fhir(path, init);
    const all = (n: number, request: (i: number) => Promise<FhirTestResponse>) =>
      Promise.all(Array.from({ length: n }, (_, i) => request(i)));
    const statuses = (responses: FhirTestResponse[]) => {
      const counts: Record<number, number> = {};
      for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
      return counts;
    };
    const byIdentifier = async (mrn: string) => {
      const res = await send(0, `/Patient?identifier=${encodeURIComponent(`${SYSTEM}|${mrn}`)}&_count=100`);
      assert.equal(res.status, 200, res.text.slice(0, 300));
      return (res.body.entry ?? []).map((e: Json) => e.resource);
    };

    before(async () => {
      const opened = await open();
      dispose = opened.dispose;
      servers = [];
      for (const store of opened.stores) servers.push(await startTestServer(store));
      console.log(`# concurrency: ${opened.stores.length} app instance(s) on ${opened.stores[0]!.description}`);
    });
    after(async () => {
      for (const server of servers) {
        await server.close();
        await server.app.store.close();
      }
      await dispose?.();
    });

    it(`${CLIENTS} concurrent POSTs with one If-None-Exist create one resource, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const mrn = `ine-${round}-${randomUUID()}`;
        const responses = await all(CLIENTS, (i) =>
          send(i, '/Patient', {
            method: 'POST',
            body: patient(mrn),
            headers: { 'if-none-exist': `identifier=${SYSTEM}|${mrn}` },
          }),
        );
        assert.deepEqual(statuses(responses), { 201: 1, 200: CLIENTS - 1 }, `round ${round}`);
        const found = await byIdentifier(mrn);
        assert.equal(found.length, 1, `round ${round}: one Patient`);
        for (const r of responses) assert.equal(r.body.id, found[0].id, 'every answer names the one Patient');
      }
    });

    it(`${CLIENTS} concurrent conditional PUTs create one resource and update it, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const mrn = `put-${round}-${randomUUID()}`;
        const responses = await all(CLIENTS, (i) =>
          send(i, `/Patient?identifier=${encodeURIComponent(`${SYSTEM}|${mrn}`)}`, {
            method: 'PUT',
            body: patient(mrn, { gender: i % 2 ? 'male' : 'female' }),
          }),
        );
        assert.deepEqual(statuses(responses), { 201: 1, 200: CLIENTS - 1 }, `round ${round}`);
        const found = await byIdentifier(mrn);
        assert.equal(found.length, 1, `round ${round}: one Patient`);
        assert.equal(found[0].meta.versionId, String(CLIENTS), 'every update is a version of the one Patient');
      }
    });

    it(`${CLIENTS} concurrent transactions with one ifNoneExist create one resource, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const mrn = `tx-${round}-${randomUUID()}`;
        const responses = await all(CLIENTS, (i) =>
          send(i, '/', {
            method: 'POST',
            body: {
              resourceType: 'Bundle',
              type: 'transaction',
              entry: [
                {
                  fullUrl: `urn:uuid:${randomUUID()}`,
                  resource: patient(mrn),
                  request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYSTEM}|${mrn}` },
                },
              ],
            },
          }),
        );
        assert.deepEqual(statuses(responses), { 200: CLIENTS }, `round ${round}`);
        const entryStatuses = responses.map((r) => r.body.entry[0].response.status.slice(0, 3));
        assert.equal(entryStatuses.filter((s) => s === '201').length, 1, `round ${round}: one 201 entry`);
        assert.equal(entryStatuses.filter((s) => s === '200').length, CLIENTS - 1);
        assert.equal((await byIdentifier(mrn)).length, 1, `round ${round}: one Patient`);
      }
    });

    it(`${CLIENTS} concurrent transactions with a conditional reference to a conditional create: one Patient, every Observation on it, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const mrn = `ref-${round}-${randomUUID()}`;
        const condition = `identifier=${SYSTEM}|${mrn}`;
        const responses = await all(CLIENTS, (i) =>
          send(i, '/', {
            method: 'POST',
            body: {
              resourceType: 'Bundle',
              type: 'transaction',
              entry: [
                {
                  fullUrl: `urn:uuid:${randomUUID()}`,
                  resource: {
                    resourceType: 'Observation',
                    status: 'final',
                    code: { text: `weight ${round}` },
                    subject: { reference: `Patient?${condition}` },
                    valueQuantity: { value: 60 + i, unit: 'kg' },
                  },
                  request: { method: 'POST', url: 'Observation' },
                },
                {
                  fullUrl: `urn:uuid:${randomUUID()}`,
                  resource: patient(mrn),
                  request: { method: 'POST', url: 'Patient', ifNoneExist: condition },
                },
              ],
            },
          }),
        );
        assert.deepEqual(statuses(responses), { 200: CLIENTS }, `round ${round}: ${responses[0]!.text.slice(0, 300)}`);
        const found = await byIdentifier(mrn);
        assert.equal(found.length, 1, `round ${round}: one Patient`);
        const observations = await send(0, `/Observation?subject=Patient/${found[0].id}&_count=100`);
        assert.equal(observations.body.entry?.length ?? 0, CLIENTS, 'every Observation refers to the one Patient');
      }
    });

    it(`${CLIENTS} concurrent conditional PATCHes without If-Match all apply (no lost update, no 409); conditional DELETEs delete once`, async () => {
      const mrn = `patch-${randomUUID()}`;
      const first = { system: 'phone', value: '+249100' };
      const created = await send(0, '/Patient', { method: 'POST', body: patient(mrn, { telecom: [first] }) });
      assert.equal(created.status, 201, created.text);
      const criteria = `identifier=${encodeURIComponent(`${SYSTEM}|${mrn}`)}`;
      const responses = await all(CLIENTS, (i) =>
        send(i, `/Patient?${criteria}`, {
          method: 'PATCH',
          rawBody: JSON.stringify([{ op: 'add', path: '/telecom/-', value: { system: 'phone', value: `+249${i}` } }]),
          headers: { 'content-type': 'application/json-patch+json' },
        }),
      );
      assert.deepEqual(statuses(responses), { 200: CLIENTS }, responses.find((r) => r.status !== 200)?.text);
      const [after] = await byIdentifier(mrn);
      assert.equal(after.telecom.length, CLIENTS + 1, 'every patch is in the result');
      assert.equal(after.meta.versionId, String(CLIENTS + 1));

      const deletes = await all(20, (i) => send(i, `/Patient?${criteria}`, { method: 'DELETE' }));
      assert.deepEqual(statuses(deletes), { 204: 20 });
      const history = await send(0, `/Patient/${created.body.id}/_history?_count=100`);
      const deleteVersions = history.body.entry.filter((e: Json) => e.request?.method === 'DELETE');
      assert.equal(deleteVersions.length, 1, 'one delete version, not one per client');
      assert.equal((await send(0, `/Patient/${created.body.id}`)).status, 410);
    });

    it('PUTs without If-Match are last-writer-wins: 25 at once all succeed, every one a version; If-Match still gives one winner', async () => {
      const id = `lww-${randomUUID()}`;
      const responses = await all(25, (i) =>
        send(i, `/Patient/${id}`, { method: 'PUT', body: { ...patient(id), id, gender: i % 2 ? 'male' : 'female' } }),
      );
      assert.deepEqual(statuses(responses), { 201: 1, 200: 24 });
      const versions = responses.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
      assert.deepEqual(
        versions,
        Array.from({ length: 25 }, (_, i) => i + 1),
        'versions 1..25, one each',
      );

      const guarded = await all(CLIENTS, (i) =>
        send(i, `/Patient/${id}`, {
          method: 'PUT',
          body: { ...patient(id), id, gender: 'other' },
          headers: { 'if-match': 'W/"25"' },
        }),
      );
      assert.deepEqual(statuses(guarded), { 200: 1, 412: CLIENTS - 1 });
    });

    it('20 overlapping transactions updating the same resources without ifMatch all commit (never 409)', async () => {
      const ids = [`otx-a-${randomUUID()}`, `otx-b-${randomUUID()}`];
      const responses = await all(20, (i) =>
        send(i, '/', {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: (i % 2 ? ids : [...ids].reverse()).map((id) => ({
              resource: { ...patient(id), id, birthDate: `19${String(10 + i).padStart(2, '0')}-01-01` },
              request: { method: 'PUT', url: `Patient/${id}` },
            })),
          },
        }),
      );
      assert.deepEqual(statuses(responses), { 200: 20 }, responses.find((r) => r.status !== 200)?.text);
      for (const id of ids) {
        const read = await send(0, `/Patient/${id}`);
        assert.equal(read.body.meta.versionId, '20', `${id}: one version per transaction`);
      }
    });

    it('two concurrent loads of the Synthea hospitalInformation batch leave no duplicated identifier', async (t) => {
      const missing = corpusMissing(join(SYNTHEA, 'fhir-data-pipes-2021'));
      if (missing) {
        t.skip(missing);
        return;
      }
      const [hospital] = syntheaPipesFiles().reference.filter((f) => /hospitalInformation/.test(f));
      assert.ok(hospital, 'the hospitalInformation batch of fhir-data-pipes-2021');
      const bundle = JSON.parse(readFileSync(hospital, 'utf8')) as Json;
      const loads = await all(2, (i) => send(i, '/', { method: 'POST', body: bundle }));
      for (const load of loads) {
        assert.equal(load.status, 200, load.text.slice(0, 300));
        const failed = load.body.entry.filter((e: Json) => !/^20[01]/.test(e.response.status));
        assert.deepEqual(failed, [], 'every entry of both loads succeeds');
      }
      const created = loads.flatMap((l) => l.body.entry.filter((e: Json) => e.response.status.startsWith('201')));
      assert.equal(created.length, bundle.entry.length, 'each entry created once over both loads');
      for (const type of ['Organization', 'Location']) {
        const seen = new Map<string, number>();
        let url: string | undefined = `/${type}?_count=200&_elements=identifier`;
        while (url) {
          const page: FhirTestResponse = await send(0, url);
          for (const e of page.body.entry ?? [])
            for (const identifier of e.resource.identifier ?? []) {
              const key = `${identifier.system}|${identifier.value}`;
              seen.set(key, (seen.get(key) ?? 0) + 1);
            }
          url = page.body.link?.find((l: Json) => l.relation === 'next')?.url;
        }
        const duplicated = [...seen].filter(([, n]) => n > 1);
        assert.deepEqual(duplicated, [], `${type}: no identifier twice`);
        const expected = bundle.entry.filter((e: Json) => e.resource.resourceType === type).length;
        assert.equal(seen.size, expected, `${type}: every identifier once`);
      }
    });
  });
}
