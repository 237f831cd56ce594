/**
 * What the compression middleware used to do for every FHIR answer, kept now that it is put in place only for
 * streamed content (fhir-express-router.ts): Vary: Accept-Encoding on every answer of a compressible type, small ones
 * and HEAD included (a cache must not hand a gzip answer to a client that cannot read it), and Binary content in its
 * own type compressed as a stream. RawAnswer node:http, so that nothing is negotiated or inflated behind the test's back.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { rawRequest } from '../testing/raw-http.js';
import { openPgliteTestStore } from '../store/postgres/testing/pglite-template.js';

describe('compression headers of FHIR answers', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(await openPgliteTestStore());
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
  });

  it('a small read and its HEAD are sent as they are, with Vary: Accept-Encoding', async () => {
    const created = await server.fhir('/Patient', {
      method: 'POST',
      body: { resourceType: 'Patient', name: [{ family: 'Vary' }] },
    });
    assert.equal(created.status, 201, created.text);
    const url = `${server.baseUrl}/Patient/${created.body.id}`;
    const got = await rawRequest(url, { accept: 'application/fhir+json', 'accept-encoding': 'gzip' });
    assert.equal(got.status, 200);
    assert.ok(got.bytes.length < 1024, `${got.bytes.length} bytes`);
    assert.equal(got.headers['content-encoding'], undefined);
    assert.match(String(got.headers['vary']), /accept-encoding/i);
    assert.equal(JSON.parse(got.bytes.toString('utf8')).id, created.body.id);
    const head = await rawRequest(url, { accept: 'application/fhir+json', 'accept-encoding': 'gzip' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.bytes.length, 0);
    assert.equal(head.headers['content-length'], String(got.bytes.length));
    assert.match(String(head.headers['vary']), /accept-encoding/i);
  });

  it('Binary content in its own type is compressed as a stream and inflates to the bytes stored', async () => {
    const text = Buffer.from(Array.from({ length: 400 }, (_, i) => `line ${i}: ملاحظة سريرية`).join('\n'), 'utf8');
    const res = await fetch(`${server.baseUrl}/Binary`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: text,
    });
    assert.equal(res.status, 201, await res.text());
    const id = String(res.headers.get('location')).split('/').at(-3);
    const got = await rawRequest(`${server.baseUrl}/Binary/${id}`, { accept: 'text/plain', 'accept-encoding': 'gzip' });
    assert.equal(got.status, 200);
    assert.match(String(got.headers['content-type']), /^text\/plain/);
    assert.equal(got.headers['content-encoding'], 'gzip');
    assert.match(String(got.headers['vary']), /accept-encoding/i);
    assert.ok(got.bytes.length * 4 < text.length, `${got.bytes.length} of ${text.length}`);
    assert.deepEqual(gunzipSync(got.bytes), text);
  });
});
