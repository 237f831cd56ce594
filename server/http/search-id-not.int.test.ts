/**
 * Issue #14 item 10, over HTTP on PGlite (the PostgreSQL SQL) and Mongo (mingo): `_id` is a token parameter, so
 * `_id:not=x` finds every other resource (it answered 400); and the self link of a search carries only the parameters
 * the search used (an ignored one was kept, so following the link looked like a search that had been honoured).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ResourceStore } from '../store/resource-store.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { openPgliteTestStore } from '../store/postgres/testing/pglite-template.js';
import { openMongoStore } from '../store/mongo/open-mongo-store.js';

const stores: Array<[string, () => Promise<ResourceStore>]> = [
  ['pglite', openPgliteTestStore],
  ['mongo (mingo in-process)', () => openMongoStore({})],
];

for (const [label, open] of stores) {
  describe(`_id:not and self links: ${label}`, () => {
    let server: TestServer;
    const family = `IdNot${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    before(async () => {
      server = await startTestServer(await open());
      for (const given of ['A', 'B', 'C']) {
        const res = await server.fhir('/Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family, given: [given] }] },
        });
        assert.equal(res.status, 201);
        ids.push(res.body.id);
      }
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
    });

    it('Patient?_id:not=x finds every other resource; several values exclude each', async () => {
      const one = await server.fhir(`/Patient?family=${family}&_id:not=${ids[0]}`);
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(
        one.body.entry.map((e: { resource: { id: string } }) => e.resource.id).sort(),
        ids.slice(1).sort(),
      );
      const two = await server.fhir(`/Patient?family=${family}&_id:not=${ids[0]},${ids[2]}`);
      assert.deepEqual(
        two.body.entry.map((e: { resource: { id: string } }) => e.resource.id),
        [ids[1]],
      );
      assert.equal((await server.fhir(`/Patient?_id:below=${ids[0]}`)).status, 400, 'other modifiers: 400');
    });

    it('the self link leaves out a parameter the search ignored (lenient handling) and keeps the ones it used', async () => {
      const res = await server.fhir(`/Patient?family=${family}&no-such-param=1`, {
        headers: { prefer: 'handling=lenient' },
      });
      assert.equal(res.status, 200, res.text);
      const self = res.body.link.find((l: { relation: string }) => l.relation === 'self').url as string;
      assert.doesNotMatch(self, /no-such-param/);
      assert.match(self, new RegExp(`family=${family}`));
      const outcome = res.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
      assert.match(JSON.stringify(outcome.resource), /no-such-param/, 'the ignored parameter is named in the outcome');
      assert.equal(res.body.entry.filter((e: { search: { mode: string } }) => e.search.mode === 'match').length, 3);
    });
  });
}
