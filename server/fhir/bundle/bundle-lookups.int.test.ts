/**
 * A Bundle's entries share their profile lookups (terminology/request-lookups.ts), yet each is validated against the
 * profiles as they are when it runs: in a batch, an entry that writes a profile makes the entries after it see that
 * profile (as one request each would), and a transaction validates every entry against the profiles before it.
 * (PGlite, over HTTP.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { constraintProfile } from '../validation/testing/constraint-profile.js';

type Json = Record<string, any>;

describe('profile lookups shared by the entries of a Bundle (pglite)', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    server = await startTestServer(opened.store);
  });
  after(async () => {
    await server?.close();
    await dispose?.();
  });

  const profileOf = (url: string) =>
    constraintProfile({
      type: 'Organization',
      url,
      name: 'NeedsName',
      element: [{ id: 'Organization.name', path: 'Organization.name', min: 1 }],
    });
  const nameless = (url: string, identifier: string) => ({
    resourceType: 'Organization',
    meta: { profile: [url] },
    identifier: [{ system: 'http://nilecare.test/lookups', value: identifier }],
  });
  const create = (resource: Json) => ({ resource, request: { method: 'POST', url: resource.resourceType } });
  const post = async (type: string, entry: Json[]) => {
    const res = await server.fhir('/', { method: 'POST', body: { resourceType: 'Bundle', type, entry } });
    return res;
  };

  it('batch: entries after the one that writes a profile are validated against it', async () => {
    const url = `http://nilecare.test/StructureDefinition/needs-name-${randomUUID()}`;
    const res = await post('batch', [
      create(nameless(url, 'before-1')), // the profile does not exist yet: a warning, created
      create(nameless(url, 'before-2')),
      create(profileOf(url)),
      create(nameless(url, 'after')), // now it does: Organization.name is required
      create({ ...nameless(url, 'after-named'), name: 'Named' }),
    ]);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.deepEqual(
      res.body.entry.map((e: Json) => String(e.response.status).slice(0, 3)),
      ['201', '201', '201', '422', '201'],
      JSON.stringify(res.body.entry[3]?.response.outcome),
    );
  });

  it('transaction: the profile as it was before the transaction holds for all its entries', async () => {
    const url = `http://nilecare.test/StructureDefinition/needs-name-${randomUUID()}`;
    assert.equal((await server.fhir('/StructureDefinition', { method: 'POST', body: profileOf(url) })).status, 201);
    const res = await post('transaction', [
      create({ ...nameless(url, 'tx-named'), name: 'Named' }),
      create(nameless(url, 'tx-nameless')),
    ]);
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.match(res.text, /Bundle\.entry\[1\]/);
  });
});
