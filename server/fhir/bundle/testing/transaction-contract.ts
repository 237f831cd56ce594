/**
 * Transactions, batches and conditional operations as a client sees them over HTTP (issue #4), run against
 * every store: the Synthea corpus loads (reference bundles as batches, patients as transactions with
 * conditional references), counts match the bundles, ifNoneExist makes reloading harmless, and a bundle
 * with one bad entry changes nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';
import { corpusMissing, corpusPath } from '../../../testing/corpus.js';

export const SYNTHEA = corpusPath('synthea');
const PIPES = join(SYNTHEA, 'fhir-data-pipes-2021');

type Json = Record<string, any>;

function readBundle(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The fhir-data-pipes set: reference bundles (batch, ifNoneExist) and patient bundles (transaction). */
export function syntheaPipesFiles(): { reference: string[]; patients: string[] } {
  const files = readdirSync(PIPES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const reference = files.filter((f) => /^(hospital|practitioner)Information/.test(f)).map((f) => join(PIPES, f));
  const patients = files.filter((f) => !/Information/.test(f) && !f.startsWith('metadata')).map((f) => join(PIPES, f));
  return { reference, patients };
}

function countByType(bundles: Json[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of bundles)
    for (const e of b.entry ?? []) counts.set(e.resource.resourceType, (counts.get(e.resource.resourceType) ?? 0) + 1);
  return counts;
}

async function total(server: TestServer, type: string): Promise<number> {
  const res = await server.fhir(`/${type}?_summary=count&_total=accurate`);
  assert.equal(res.status, 200, `count ${type}: ${res.text.slice(0, 200)}`);
  return res.body.total;
}

export function describeTransactions(
  label: string,
  factory: StoreFactory,
  options: { patientBundles?: number } = {},
): void {
  describe(`Transactions, batches and conditional operations: ${label}`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      server = await startTestServer(opened.store);
      console.log(`# transaction store: ${opened.store.description}`);
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
      await dispose?.();
    });

    it('loads the Synthea corpus: reference batches, then every patient bundle as a transaction, with counts matching', async (t) => {
      const missing = corpusMissing(PIPES);
      if (missing) {
        t.skip(missing);
        return;
      }
      const { reference, patients } = syntheaPipesFiles();
      const chosen = patients.slice(0, options.patientBundles ?? patients.length);
      const referenceBundles = reference.map(readBundle);
      for (const bundle of referenceBundles) {
        assert.equal(bundle.type, 'batch');
        const res = await server.fhir('/', { method: 'POST', body: bundle });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        assert.equal(res.body.type, 'batch-response');
        const failed = res.body.entry.filter((e: Json) => !/^20[01]/.test(e.response.status));
        assert.deepEqual(failed, [], 'every reference entry succeeds');
      }
      const started = Date.now();
      let entries = 0;
      const patientBundles: Json[] = [];
      for (const file of chosen) {
        const bundle = readBundle(file);
        patientBundles.push(bundle);
        entries += bundle.entry.length;
        const res = await server.fhir('/', { method: 'POST', body: bundle });
        assert.equal(res.status, 200, `${file}: ${res.text.slice(0, 500)}`);
        assert.equal(res.body.type, 'transaction-response');
        assert.equal(res.body.entry.length, bundle.entry.length);
        assert.ok(res.body.entry.every((e: Json) => e.response.status.startsWith('201')));
      }
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `# loaded ${chosen.length} patient bundles (${entries} resources) in ${seconds.toFixed(1)} s: ${Math.round(entries / seconds)} resources/s`,
      );

      const expected = countByType([...referenceBundles, ...patientBundles]);
      for (const [type, count] of expected) {
        assert.equal(await total(server, type), count, `${type} count`);
      }

      // Every conditional reference was resolved to a literal one.
      const encounters = await server.fhir('/Encounter?_count=50');
      for (const e of encounters.body.entry) {
        const refs = JSON.stringify(e.resource).match(/"reference":"[^"]+"/g) ?? [];
        for (const r of refs) assert.match(r, /"reference":"[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+"/, r);
      }
      const someEncounter = encounters.body.entry[0].resource;
      const practitioner = someEncounter.participant?.[0]?.individual?.reference;
      if (practitioner) assert.equal((await server.fhir(`/${practitioner}`)).status, 200, `${practitioner} resolves`);

      // Loading the reference bundles again: every entry with ifNoneExist matches and creates nothing new
      // (PractitionerRole entries carry no ifNoneExist, so they are created again, as the spec says).
      for (const bundle of referenceBundles) {
        const res = await server.fhir('/', { method: 'POST', body: bundle });
        bundle.entry.forEach((entry: Json, i: number) => {
          const expectedStatus = entry.request.ifNoneExist ? '200' : '201';
          assert.equal(
            res.body.entry[i].response.status.slice(0, 3),
            expectedStatus,
            `entry ${i} (${entry.request.url})`,
          );
        });
      }
      for (const type of ['Organization', 'Location', 'Practitioner']) {
        assert.equal(await total(server, type), expected.get(type), `${type} unchanged after reload`);
      }
    });

    it('a transaction with one invalid entry changes nothing and names the entry', async () => {
      const newest = async () => {
        const e = (await server.fhir('/_history?_count=1')).body.entry?.[0];
        return `${e?.fullUrl}|${e?.response?.etag}|${e?.response?.lastModified}`;
      };
      const before = await newest();
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
            resource: { resourceType: 'Patient', name: [{ family: 'Atomic' }] },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222',
            resource: {
              resourceType: 'Observation',
              status: 'not-a-status',
              code: { text: 'hb' },
              subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      };
      const patientsBefore = await total(server, 'Patient');
      const res = await server.fhir('/', { method: 'POST', body: bundle });
      assert.ok(res.status === 400 || res.status === 422, `status ${res.status}`);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.ok(
        res.body.issue.some((i: Json) => /Bundle\.entry\[1\]/.test(i.diagnostics ?? '')),
        JSON.stringify(res.body),
      );
      assert.equal(await total(server, 'Patient'), patientsBefore);
      const after = await newest();
      assert.equal(after, before);
    });

    it('resolves urn:uuid references everywhere, including nested and contained resources', async () => {
      const pid = 'urn:uuid:33333333-3333-4333-8333-333333333333';
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:44444444-4444-4444-8444-444444444444',
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'hb' },
              subject: { reference: pid },
              contained: [{ resourceType: 'Specimen', id: 's1', subject: { reference: pid } }],
              specimen: { reference: '#s1' },
              extension: [{ url: 'http://nilecare.sd/fhir/ext', valueReference: { reference: pid } }],
            },
            request: { method: 'POST', url: 'Observation' },
          },
          {
            fullUrl: pid,
            resource: { resourceType: 'Patient', name: [{ family: 'Nested' }] },
            request: { method: 'POST', url: 'Patient' },
          },
        ],
      };
      const res = await server.fhir('/', {
        method: 'POST',
        body: bundle,
        headers: { prefer: 'return=representation' },
      });
      assert.equal(res.status, 200, res.text.slice(0, 300));
      const observation = res.body.entry[0].resource;
      const patientRef = `Patient/${res.body.entry[1].resource.id}`;
      assert.equal(observation.subject.reference, patientRef);
      assert.equal(observation.contained[0].subject.reference, patientRef);
      assert.equal(observation.extension[0].valueReference.reference, patientRef);
      assert.equal(observation.specimen.reference, '#s1');
      assert.match(res.body.entry[0].response.location, /^Observation\/[^/]+\/_history\/1$/);

      const dangling = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: {
                resourceType: 'Observation',
                status: 'final',
                code: { text: 'x' },
                subject: { reference: 'urn:uuid:99999999-9999-4999-8999-999999999999' },
              },
              request: { method: 'POST', url: 'Observation' },
            },
          ],
        },
      });
      assert.equal(dangling.status, 400);
    });

    it('conditional create, update and delete on the REST endpoints; 412 when criteria match several', async () => {
      const identifier = { system: 'http://nilecare.sd/mrn', value: `MRN-${Date.now()}` };
      const criteria = `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`;
      const body = { resourceType: 'Patient', identifier: [identifier], name: [{ family: 'Conditional' }] };
      const first = await server.fhir('/Patient', { method: 'POST', body, headers: { 'if-none-exist': criteria } });
      assert.equal(first.status, 201);
      const second = await server.fhir('/Patient', { method: 'POST', body, headers: { 'if-none-exist': criteria } });
      assert.equal(second.status, 200);
      assert.equal(second.body.id, first.body.id);
      const updated = await server.fhir(`/Patient?${criteria}`, { method: 'PUT', body: { ...body, gender: 'female' } });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.id, first.body.id);
      assert.equal(updated.body.meta.versionId, '2');
      const createdByUpdate = await server.fhir(
        `/Patient?identifier=${encodeURIComponent('http://nilecare.sd/mrn|NEW-' + Date.now())}`,
        { method: 'PUT', body: { resourceType: 'Patient', name: [{ family: 'CreatedByConditionalUpdate' }] } },
      );
      assert.equal(createdByUpdate.status, 201);
      // two resources now share a family name: criteria matching both are refused
      await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', name: [{ family: 'Twin' }] } });
      await server.fhir('/Patient', { method: 'POST', body: { resourceType: 'Patient', name: [{ family: 'Twin' }] } });
      assert.equal(
        (await server.fhir('/Patient', { method: 'POST', body, headers: { 'if-none-exist': 'family=Twin' } })).status,
        412,
      );
      assert.equal((await server.fhir('/Patient?family=Twin', { method: 'PUT', body })).status, 412);
      assert.equal((await server.fhir('/Patient?family=Twin', { method: 'DELETE' })).status, 412);
      assert.equal(
        (await server.fhir('/Patient?unknownparam=1', { method: 'DELETE' })).status,
        400,
        'unknown criteria are not ignored',
      );
      const deleted = await server.fhir(`/Patient?${criteria}`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      assert.equal((await server.fhir(`/Patient/${first.body.id}`)).status, 410);
    });

    it('PUT, PATCH and DELETE entries start from the current versions (deleted ones too), honour ifMatch, survive races', async () => {
      const [a, b, c] = ['a', 'b', 'c'].map((x) => `v${Date.now()}-${x}`) as [string, string, string];
      const put = (id: string, extra: Json = {}, request: Json = {}) => ({
        resource: { resourceType: 'Patient', id, ...extra },
        request: { method: 'PUT', url: `Patient/${id}`, ...request },
      });
      const tx = (entry: Json[]) =>
        server.fhir('/', { method: 'POST', body: { resourceType: 'Bundle', type: 'transaction', entry } });
      const statuses = (res: { body: Json }) =>
        res.body.entry.map((e: Json) => `${e.response.status.slice(0, 3)} ${e.response.etag ?? ''}`.trim());
      assert.deepEqual(statuses(await tx([a, b, c].map((id) => put(id, { gender: 'female' })))), [
        '201 W/"1"',
        '201 W/"1"',
        '201 W/"1"',
      ]);
      assert.equal((await server.fhir(`/Patient/${c}`, { method: 'DELETE' })).status, 204);
      const jsonPatch = Buffer.from(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }])).toString(
        'base64',
      );
      const patch = {
        resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: jsonPatch },
        request: { method: 'PATCH', url: `Patient/${b}` },
      };
      const second = await tx([
        put(a, { gender: 'other' }, { ifMatch: 'W/"1"' }),
        patch,
        put(c, { gender: 'male' }),
        { request: { method: 'DELETE', url: `Patient/${c}-never` } },
      ]);
      assert.deepEqual(
        statuses(second),
        ['200 W/"2"', '200 W/"2"', '201 W/"3"', '204'],
        'a deleted resource is re-created as its next version',
      );
      assert.equal((await server.fhir(`/Patient/${b}`)).body.gender, 'male');
      const stale = await tx([put(b, { gender: 'unknown' }), put(a, { gender: 'unknown' }, { ifMatch: 'W/"1"' })]);
      assert.equal(stale.status, 412);
      assert.equal(
        (await server.fhir(`/Patient/${b}`)).body.meta.versionId,
        '2',
        'nothing of a failed transaction is written',
      );
      // concurrent transactions on the same resources: each commits on the then current versions, or answers 409
      const racers = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) =>
          tx([put(a, { birthDate: `200${i}-01-01` }), put(b, { birthDate: `201${i}-01-01` })]),
        ),
      );
      assert.ok(
        racers.every((r) => r.status === 200 || r.status === 409),
        racers.map((r) => r.status).join(),
      );
      const won = racers.filter((r) => r.status === 200);
      assert.ok(won.length >= 1);
      assert.equal(
        new Set(won.map((r) => r.body.entry[0].response.etag)).size,
        won.length,
        'no two winners wrote the same version',
      );
      assert.equal((await server.fhir(`/Patient/${a}/_history?_count=50`)).body.entry.length, 2 + won.length);
    });

    it('a batch answers each entry on its own: successes stand when another entry fails', async () => {
      const res = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'batch',
          entry: [
            {
              resource: { resourceType: 'Patient', name: [{ family: 'BatchOk' }] },
              request: { method: 'POST', url: 'Patient' },
            },
            { resource: { resourceType: 'Patient', gender: 'nope' }, request: { method: 'POST', url: 'Patient' } },
            { request: { method: 'GET', url: 'Patient/does-not-exist' } },
          ],
        },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.type, 'batch-response');
      const statuses = res.body.entry.map((e: Json) => e.response.status.slice(0, 3));
      assert.deepEqual(statuses, ['201', '422', '404']);
      assert.equal(res.body.entry[1].response.outcome.resourceType, 'OperationOutcome');
      const location = res.body.entry[0].response.location as string;
      assert.equal((await server.fhir(`/${location.split('/_history')[0]}`)).status, 200);
    });

    it('rejects bundles that are not transaction or batch, and PUT entries without an id', async () => {
      assert.equal(
        (await server.fhir('/', { method: 'POST', body: { resourceType: 'Bundle', type: 'collection', entry: [] } }))
          .status,
        400,
      );
      assert.equal((await server.fhir('/', { method: 'POST', body: { resourceType: 'Patient' } })).status, 400);
      const put = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient' } }],
        },
      });
      assert.equal(put.status, 400);
    });

    it('a transaction whose entries share one fullUrl is refused (400 naming the entry), nothing stored', async () => {
      const shared = 'urn:uuid:7d1c5c1e-0000-4000-8000-000000000006';
      const family = `SharedFullUrl${Date.now()}`;
      const res = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              fullUrl: shared,
              resource: { resourceType: 'Patient', name: [{ family, given: ['First'] }] },
              request: { method: 'POST', url: 'Patient' },
            },
            {
              fullUrl: shared,
              resource: { resourceType: 'Patient', name: [{ family, given: ['Second'] }] },
              request: { method: 'POST', url: 'Patient' },
            },
            {
              resource: {
                resourceType: 'Observation',
                status: 'final',
                code: { text: 'x' },
                subject: { reference: shared },
              },
              request: { method: 'POST', url: 'Observation' },
            },
          ],
        },
      });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(res.body.issue[0].diagnostics, /entry\[1\]\.fullUrl .* also the fullUrl of entry 0/);
      assert.deepEqual(res.body.issue[0].expression, ['Bundle.entry[1].fullUrl']);
      assert.equal((await server.fhir(`/Patient?family=${family}&_summary=count&_total=accurate`)).body.total, 0);
    });
  });
}
