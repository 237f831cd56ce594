import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

/** Raw HTTP POST (chunked when `chunks` has more than one part), so the test controls every header. */
function post(url: string, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { accept: 'application/fhir+json', ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('FHIR request bodies: the fast JSON reader and the body-parser fallback', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  const patient = { resourceType: 'Patient', name: [{ family: 'Ḥasan', given: ['Ṣāliḥ'] }], gender: 'male' };
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    server = await startTestServer(opened.store, { env: { MAX_BODY_BYTES: '4096' } });
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });

  it('reads a UTF-8 body sent in several chunks (non-ASCII split across chunks) and stores it unchanged', async () => {
    const bytes = Buffer.from(JSON.stringify(patient), 'utf8');
    const cut = bytes.indexOf(Buffer.from('Ḥ', 'utf8')) + 1; // inside the multi-byte character
    const res = await post(`${server.baseUrl}/Patient`, { 'content-type': 'application/fhir+json; charset=utf-8' }, [
      bytes.subarray(0, cut),
      bytes.subarray(cut),
    ]);
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.name, patient.name);
  });

  it('accepts a gzip-encoded body and a declared charset through the fallback, and answers 415 for an unknown charset', async () => {
    const gz = await post(
      `${server.baseUrl}/Patient`,
      { 'content-type': 'application/fhir+json', 'content-encoding': 'gzip' },
      [gzipSync(JSON.stringify(patient))],
    );
    assert.equal(gz.status, 201);
    assert.equal(gz.body.name[0].family, 'Ḥasan');
    const latin = { resourceType: 'Patient', name: [{ family: 'Müller' }] };
    const l1 = await post(`${server.baseUrl}/Patient`, { 'content-type': 'application/json; charset=latin1' }, [
      Buffer.from(JSON.stringify(latin), 'latin1'),
    ]);
    assert.equal(l1.status, 201, 'a declared charset is decoded (strictly), not refused');
    assert.equal(l1.body.name[0].family, 'Müller');
    const unknown = await post(
      `${server.baseUrl}/Patient`,
      { 'content-type': 'application/json; charset=x-nonesuch' },
      [Buffer.from(JSON.stringify(latin), 'latin1')],
    );
    assert.equal(unknown.status, 415);
    assert.equal(unknown.body.issue[0].code, 'not-supported');
  });

  it('answers 413 for a body over MAX_BODY_BYTES, announced or chunked, and 400 for a non-object or broken JSON body', async () => {
    const big = Buffer.from(
      JSON.stringify({
        ...patient,
        text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(5000)}</div>` },
      }),
    );
    const announced = await post(
      `${server.baseUrl}/Patient`,
      { 'content-type': 'application/fhir+json', 'content-length': String(big.length) },
      [big],
    );
    assert.equal(announced.status, 413);
    assert.equal(announced.body.resourceType, 'OperationOutcome');
    const chunked = await post(`${server.baseUrl}/Patient`, { 'content-type': 'application/fhir+json' }, [
      big.subarray(0, 3000),
      big.subarray(3000),
    ]);
    assert.equal(chunked.status, 413);
    const scalar = await post(`${server.baseUrl}/Patient`, { 'content-type': 'application/fhir+json' }, [
      Buffer.from('"Patient"'),
    ]);
    assert.equal(scalar.status, 400);
    assert.equal(scalar.body.issue[0].code, 'structure');
    const broken = await post(`${server.baseUrl}/Patient`, { 'content-type': 'application/fhir+json' }, [
      Buffer.from('{"resourceType": "Patient",'),
    ]);
    assert.equal(broken.status, 400);
    assert.equal(broken.body.issue[0].code, 'structure');
    // The server still answers on after those.
    const after = await server.fhir('/Patient', { method: 'POST', body: patient });
    assert.equal(after.status, 201);
  });
});
