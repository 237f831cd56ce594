/**
 * Issue #25: responses are compressed as the client's Accept-Encoding asks (gzip, br), small bodies and clients that
 * ask for nothing get the bytes as they are, and what comes back inflates to exactly the uncompressed answer. RawAnswer
 * node:http is used: fetch would negotiate and inflate on its own and hide what went over the wire.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { rawRequest } from '../testing/raw-http.js';
import { openPgliteTestStore } from '../store/postgres/testing/pglite-template.js';
import { SYNC_LIMIT_BYTES } from './whole-body-compression.js';

describe('response compression (Accept-Encoding)', () => {
  let server: TestServer;
  const family = `Zip${randomUUID().slice(0, 8)}`;
  let searchUrl: string;
  before(async () => {
    server = await startTestServer(await openPgliteTestStore());
    const entry = Array.from({ length: 40 }, (_, i) => ({
      request: { method: 'POST', url: 'Patient' },
      resource: {
        resourceType: 'Patient',
        name: [{ family, given: [`Given${i}`] }],
        birthDate: '1980-01-01',
        // odd-but-valid content that must survive the round trip byte for byte
        address: [{ text: 'حي\u00a0العمارات، الخرطوم', city: 'الخرطوم' }],
      },
    }));
    const res = await server.fhir('/', { method: 'POST', body: { resourceType: 'Bundle', type: 'batch', entry } });
    assert.equal(res.status, 200, res.text);
    searchUrl = `${server.baseUrl}/Patient?family=${family}&_count=100`;
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
  });

  it('gzip and br inflate to the identical uncompressed body and are much smaller', async () => {
    const plain = await rawRequest(searchUrl, { accept: 'application/fhir+json' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined, 'no Accept-Encoding: nothing compressed');
    const plainJson = JSON.parse(plain.bytes.toString('utf8'));
    assert.equal(plainJson.entry.length, 40);
    const withoutVolatile = (b: Buffer) => {
      const bundle = JSON.parse(b.toString('utf8'));
      delete bundle.id;
      delete bundle.meta;
      return bundle;
    };
    for (const [encoding, inflate] of [
      ['gzip', gunzipSync],
      ['br', brotliDecompressSync],
    ] as const) {
      const packed = await rawRequest(searchUrl, { accept: 'application/fhir+json', 'accept-encoding': encoding });
      assert.equal(packed.status, 200);
      assert.equal(packed.headers['content-encoding'], encoding);
      assert.match(String(packed.headers['vary']), /accept-encoding/i);
      assert.match(String(packed.headers['content-type']), /application\/fhir\+json/);
      assert.ok(
        packed.bytes.length * 4 < plain.bytes.length,
        `${encoding}: ${packed.bytes.length} of ${plain.bytes.length}`,
      );
      assert.deepEqual(withoutVolatile(inflate(packed.bytes)), withoutVolatile(plain.bytes));
    }
  });

  it('a preference order is honoured, identity and small bodies are sent as they are', async () => {
    const prefers = await rawRequest(searchUrl, { 'accept-encoding': 'gzip;q=0.5, br;q=1' });
    assert.equal(prefers.headers['content-encoding'], 'br');
    const identity = await rawRequest(searchUrl, { 'accept-encoding': 'identity' });
    assert.equal(identity.headers['content-encoding'], undefined);
    JSON.parse(identity.bytes.toString('utf8'));
    const small = await rawRequest(`${server.baseUrl}/Patient?family=nobody-${family}`, { 'accept-encoding': 'gzip' });
    assert.equal(small.status, 200);
    assert.ok(small.bytes.length < 1024, `the empty searchset is small (${small.bytes.length} bytes)`);
    assert.equal(small.headers['content-encoding'], undefined, 'bodies under 1 KB are not compressed');
  });

  it('deflate alone is honoured, and an answer above the one-call limit is compressed as a stream, intact', async () => {
    const deflated = await rawRequest(searchUrl, { 'accept-encoding': 'deflate' });
    assert.equal(deflated.headers['content-encoding'], 'deflate');
    const plain = await rawRequest(searchUrl, {});
    const bundleOf = (b: Buffer) => {
      const { id: _id, meta: _meta, ...rest } = JSON.parse(b.toString('utf8'));
      return rest;
    };
    assert.deepEqual(bundleOf(inflateSync(deflated.bytes)), bundleOf(plain.bytes));
    // three Patients with long Arabic narratives: a page of ~450 KB, past SYNC_LIMIT_BYTES
    const big = `Big${randomUUID().slice(0, 8)}`;
    const words = Array.from({ length: 30_000 }, (_, i) => `نص${i % 10}`).join('\u00a0');
    const entry = Array.from({ length: 3 }, () => ({
      request: { method: 'POST', url: 'Patient' },
      resource: {
        resourceType: 'Patient',
        text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${words}</div>` },
        name: [{ family: big }],
      },
    }));
    const res = await server.fhir('/', { method: 'POST', body: { resourceType: 'Bundle', type: 'batch', entry } });
    assert.equal(res.status, 200, res.text);
    const bigUrl = `${server.baseUrl}/Patient?family=${big}`;
    const bigPlain = await rawRequest(bigUrl, {});
    assert.ok(bigPlain.bytes.length > SYNC_LIMIT_BYTES, `${bigPlain.bytes.length} bytes`);
    assert.equal(JSON.parse(bigPlain.bytes.toString('utf8')).entry.length, 3);
    const bigPacked = await rawRequest(bigUrl, { 'accept-encoding': 'gzip' });
    assert.equal(bigPacked.headers['content-encoding'], 'gzip');
    assert.ok(bigPacked.bytes.length * 4 < bigPlain.bytes.length);
    assert.deepEqual(bundleOf(gunzipSync(bigPacked.bytes)), bundleOf(bigPlain.bytes));
  });

  it('an error OperationOutcome still reads correctly through gzip', async () => {
    const res = await rawRequest(`${server.baseUrl}/Patient?birthdate=not-a-date&${'x'.repeat(10)}=1`, {
      'accept-encoding': 'gzip',
    });
    assert.equal(res.status, 400);
    const text = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.bytes) : res.bytes;
    assert.equal(JSON.parse(text.toString('utf8')).resourceType, 'OperationOutcome');
  });
});
