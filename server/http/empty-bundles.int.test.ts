/**
 * FHIR JSON has no empty arrays: a Bundle with nothing to list leaves `entry` out (HAPI and Medplum do too). Checked
 * over HTTP on PGlite and Mongo (mingo) for an empty searchset (also `_summary=count` and a system search), an empty
 * type, instance and system history, batch and transaction responses of no entries, and a `Patient/$match` that
 * finds no one: no empty array anywhere in the body text as sent.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ResourceStore } from '../store/resource-store.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { openPgliteTestStore } from '../store/postgres/testing/pglite-template.js';
import { openMongoStore } from '../store/mongo/open-mongo-store.js';
import { emptyArrays } from '../testing/empty-arrays.js';

const stores: Array<[string, () => Promise<ResourceStore>]> = [
  ['pglite', openPgliteTestStore],
  ['mongo (mingo in-process)', () => openMongoStore({})],
];

for (const [label, open] of stores) {
  describe(`bundles with no entries: ${label}`, () => {
    let server: TestServer;
    const family = `Empty${randomUUID().slice(0, 8)}`;
    let patientId = '';
    before(async () => {
      server = await startTestServer(await open());
      const res = await server.fhir('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family: 'Someone', given: ['Else'] }], birthDate: '1970-01-01' },
      });
      assert.equal(res.status, 201, res.text);
      patientId = res.body.id;
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
    });

    const expectNoEntry = async (path: string, init?: { method: string; body: unknown }, type?: string) => {
      const res = await server.fhir(path, init);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.equal(res.body.resourceType, 'Bundle', path);
      if (type) assert.equal(res.body.type, type, path);
      assert.ok(!('entry' in res.body), `${path}: ${res.text.slice(0, 300)}`);
      assert.deepEqual(emptyArrays(res.body), [], path);
      return res.body;
    };

    it('an empty searchset has no entry (type, system, _summary=count, POST _search)', async () => {
      assert.equal((await expectNoEntry(`/Patient?family=${family}`, undefined, 'searchset')).total, 0);
      await expectNoEntry(`/Patient?family=${family}&_summary=count`, undefined, 'searchset');
      await expectNoEntry(`/?_type=Patient,Observation&_id=${family}`, undefined, 'searchset');
      await expectNoEntry(`/Observation?subject=Patient/${patientId}`, undefined, 'searchset');
      const posted = await server.fhir('/Patient/_search', {
        method: 'POST',
        rawBody: `family=${family}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(posted.status, 200, posted.text);
      assert.ok(!('entry' in posted.body), posted.text);
    });

    it('an empty history has no entry (instance, type, system)', async () => {
      const future = '2999-01-01T00:00:00Z';
      await expectNoEntry(`/Patient/${patientId}/_history?_since=${future}`, undefined, 'history');
      await expectNoEntry(`/Patient/_history?_since=${future}`, undefined, 'history');
      await expectNoEntry(`/_history?_since=${future}`, undefined, 'history');
      await expectNoEntry('/Encounter/_history', undefined, 'history');
    });

    it('batch and transaction responses to no entries have no entry', async () => {
      await expectNoEntry('/', { method: 'POST', body: { resourceType: 'Bundle', type: 'batch' } }, 'batch-response');
      await expectNoEntry(
        '/',
        { method: 'POST', body: { resourceType: 'Bundle', type: 'transaction' } },
        'transaction-response',
      );
    });

    it('Patient/$match that finds no one has no entry', async () => {
      await expectNoEntry(
        '/Patient/$match',
        {
          method: 'POST',
          body: {
            resourceType: 'Parameters',
            parameter: [
              {
                name: 'resource',
                resource: { resourceType: 'Patient', name: [{ family, given: ['Nobody'] }], birthDate: '1901-02-03' },
              },
            ],
          },
        },
        'searchset',
      );
    });
  });
}
