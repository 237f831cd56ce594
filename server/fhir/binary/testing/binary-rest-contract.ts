/**
 * Binary over HTTP (FHIR R4 Binary REST rules, issue #21), run against every store (binary-rest.*.int.test.ts): raw
 * bodies of any media type in, the bytes out in their own type or as a Binary resource, history keeping old content,
 * the size limit, and securityContext governing reads (a patient-A caller cannot fetch patient B's document).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import type { TestServer } from '../../../testing/test-server.js';
import { BINARY_LIMIT as LIMIT, startBinaryTestServer, type BinaryTestServer } from './binary-test-server.js';
import { pseudoRandomBytes } from '../../../store/content/testing/pseudo-random-bytes.js';
import { fetchHashed, hashOf, sendBytes } from './http-bytes.js';
import { CONTENT_EXTENSION_URL } from '../content-ref.js';

export function describeBinaryRest(label: string, factory: StoreFactory): void {
  describe(`Binary over HTTP: ${label}`, () => {
    let binary: BinaryTestServer;
    let server: TestServer;
    const pdf = Buffer.from('%PDF-1.4\n% a discharge letter\n' + 'x'.repeat(5000) + '\n%%EOF\n');
    before(async () => {
      binary = await startBinaryTestServer(factory);
      server = binary.server;
    });
    after(() => binary?.close());

    const upload = (
      source: Uint8Array | AsyncIterable<Uint8Array>,
      contentType: string,
      extra: { path?: string; method?: 'POST' | 'PUT'; length?: number; headers?: Record<string, string> } = {},
    ) =>
      sendBytes(`${server.baseUrl}/${extra.path ?? 'Binary'}`, {
        method: extra.method ?? 'POST',
        contentType,
        source,
        ...(extra.length !== undefined
          ? { length: extra.length }
          : source instanceof Uint8Array
            ? { length: source.length }
            : {}),
        ...(extra.headers ? { headers: extra.headers } : {}),
      });

    it('POST of a raw PDF creates a Binary; GET with its type, */* or no Accept answers the bytes with that type', async () => {
      const created = await upload(pdf, 'application/pdf');
      assert.equal(created.status, 201, created.text);
      const location = String(created.headers['location']);
      assert.match(location, /\/Binary\/[^/]+\/_history\/1$/);
      assert.equal(created.body.resourceType, 'Binary');
      assert.equal(created.body.contentType, 'application/pdf');
      assert.equal(created.body.data, undefined, 'the answer to an upload does not echo the bytes');
      const id = location.split('/').at(-3)!;
      const expected = await hashOf([pdf] as unknown as AsyncIterable<Uint8Array>);
      for (const accept of ['application/pdf', '*/*', undefined]) {
        const got = await fetchHashed(`${server.baseUrl}/Binary/${id}`, accept ? { accept } : {});
        assert.equal(got.status, 200, String(accept));
        assert.equal(got.headers.get('content-type'), 'application/pdf');
        assert.equal(got.headers.get('content-length'), String(pdf.length));
        assert.equal(got.headers.get('etag'), 'W/"1"');
        assert.deepEqual({ sha1: got.sha1, size: got.size }, expected, String(accept));
      }
    });

    it('GET with application/fhir+json answers the Binary resource with the bytes in base64 and size and SHA-1 in meta', async () => {
      const created = await upload(pdf, 'application/pdf');
      const id = created.body.id as string;
      const res = await server.fhir(`/Binary/${id}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
      assert.equal(res.body.resourceType, 'Binary');
      assert.equal(res.body.id, id);
      assert.equal(Buffer.from(res.body.data, 'base64').equals(pdf), true);
      const ext = res.body.meta.extension.find((e: { url: string }) => e.url === CONTENT_EXTENSION_URL);
      const part = (url: string) => ext.extension.find((e: { url: string }) => e.url === url);
      assert.equal(part('size').valueDecimal, pdf.length);
      assert.equal(part('sha1').valueBase64Binary, (await hashOf([pdf] as unknown as AsyncIterable<Uint8Array>)).sha1);
      const formatted = await fetchHashed(`${server.baseUrl}/Binary/${id}?_format=json`, { accept: 'application/pdf' });
      assert.equal(formatted.status, 200);
    });

    it('bytes of every size boundary come back identical in both forms (0, 1, 2, 3 bytes, a chunk and a bit)', async () => {
      for (const size of [0, 1, 2, 3, 1024 * 1024 + 1]) {
        const bytes = Buffer.alloc(size);
        for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
        const created = await upload(bytes, 'application/octet-stream');
        assert.equal(created.status, 201, `${size}: ${created.text}`);
        const raw = await fetchHashed(`${server.baseUrl}/Binary/${created.body.id}`);
        assert.deepEqual(
          { sha1: raw.sha1, size: raw.size },
          await hashOf([bytes] as unknown as AsyncIterable<Uint8Array>),
        );
        const json = await server.fhir(`/Binary/${created.body.id}`);
        assert.equal(Buffer.from(json.body.data ?? '', 'base64').equals(bytes), true, `${size} as JSON`);
      }
    });

    it('a JSON Binary with data is stored the same way, and a client cannot point a Binary at other content', async () => {
      const secret = await upload(Buffer.from('B secret scan'), 'text/plain', {
        headers: { 'x-security-context': 'Patient/pb' },
      });
      const secretJson = (await server.fhir(`/Binary/${secret.body.id}`)).body;
      const created = await server.fhir('/Binary', {
        method: 'POST',
        body: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('hello').toString('base64') },
      });
      assert.equal(created.status, 201, created.text);
      const raw = await fetch(`${server.baseUrl}/Binary/${created.body.id}`);
      assert.equal(await raw.text(), 'hello');
      // A Binary sent with the other Binary's content extension (no data): the extension is not taken.
      const forged = await server.fhir('/Binary', {
        method: 'POST',
        body: {
          resourceType: 'Binary',
          contentType: 'text/plain',
          securityContext: { reference: 'Patient/pa' },
          meta: secretJson.meta,
        },
        headers: { 'x-test-patient': 'pa' },
      });
      assert.equal(forged.status, 201, forged.text);
      const forgedRaw = await fetch(`${server.baseUrl}/Binary/${forged.body.id}`, {
        headers: { 'x-test-patient': 'pa' },
      });
      assert.equal(forgedRaw.status, 200);
      assert.equal(await forgedRaw.text(), '');
      // Same through a transaction entry.
      const tx = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: { resourceType: 'Binary', contentType: 'text/plain', meta: secretJson.meta },
              request: { method: 'POST', url: 'Binary' },
            },
          ],
        },
      });
      assert.equal(tx.status, 200, tx.text);
      const txId = String(tx.body.entry[0].response.location).split('/')[1];
      assert.equal(await (await fetch(`${server.baseUrl}/Binary/${txId}`)).text(), '');
    });

    it('PUT of new bytes makes version 2; vread of version 1 still answers the old bytes, also after a delete', async () => {
      const first = await upload(Buffer.from('version one'), 'text/plain');
      const id = first.body.id as string;
      const second = await upload(Buffer.from('version two, longer'), 'text/plain; charset=utf-8', {
        path: `Binary/${id}`,
        method: 'PUT',
      });
      assert.equal(second.status, 200, second.text);
      assert.equal(second.body.meta.versionId, '2');
      const current = await fetch(`${server.baseUrl}/Binary/${id}`);
      assert.equal(current.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(await current.text(), 'version two, longer');
      assert.equal(await (await fetch(`${server.baseUrl}/Binary/${id}/_history/1`)).text(), 'version one');
      assert.equal((await server.fhir(`/Binary/${id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await fetch(`${server.baseUrl}/Binary/${id}`)).status, 410);
      assert.equal(await (await fetch(`${server.baseUrl}/Binary/${id}/_history/2`)).text(), 'version two, longer');
      const history = await server.fhir(`/Binary/${id}/_history`);
      assert.equal(history.body.entry.length, 3);
      // PUT with If-Match of a stale version: 412 and the current content unchanged.
      const created = await upload(Buffer.from('kept'), 'text/plain');
      const stale = await upload(Buffer.from('lost'), 'text/plain', {
        path: `Binary/${created.body.id}`,
        method: 'PUT',
        headers: { 'if-match': 'W/"7"' },
      });
      assert.equal(stale.status, 412, stale.text);
      assert.equal(await (await fetch(`${server.baseUrl}/Binary/${created.body.id}`)).text(), 'kept');
    });

    it('content past MAX_CONTENT_BYTES is refused with 413 and an OperationOutcome, announced or chunked', async () => {
      const announced = await upload(pseudoRandomBytes(LIMIT + 1), 'application/pdf', { length: LIMIT + 1 });
      assert.equal(announced.status, 413, announced.text);
      assert.equal(announced.body.resourceType, 'OperationOutcome');
      assert.match(announced.body.issue[0].diagnostics, /limit of 3145728 bytes/);
      const chunked = await upload(pseudoRandomBytes(LIMIT + 1), 'application/pdf');
      assert.equal(chunked.status, 413, chunked.text);
      assert.equal(chunked.body.resourceType, 'OperationOutcome');
      const exact = await upload(pseudoRandomBytes(LIMIT), 'application/pdf');
      assert.equal(exact.status, 201, 'exactly the limit is accepted');
      assert.equal((await server.fhir('/Binary?_count=1000&_summary=count')).status, 200);
    });

    it('securityContext governs reads: a patient-A caller cannot fetch patient B’s document in any form', async () => {
      const ofB = await upload(Buffer.from('B-only discharge letter'), 'application/pdf', {
        headers: { 'x-security-context': 'Patient/pb' },
      });
      assert.equal(ofB.status, 201, ofB.text);
      const ofA = await upload(Buffer.from('A discharge letter'), 'application/pdf', {
        headers: { 'x-security-context': 'Patient/pa' },
      });
      const asA = { 'x-test-patient': 'pa' };
      for (const accept of ['application/pdf', '*/*', 'application/fhir+json']) {
        const denied = await fetch(`${server.baseUrl}/Binary/${ofB.body.id}`, { headers: { ...asA, accept } });
        assert.equal(denied.status, 403, accept);
        assert.ok(!(await denied.text()).includes('B-only'), accept);
        const deniedV = await fetch(`${server.baseUrl}/Binary/${ofB.body.id}/_history/1`, {
          headers: { ...asA, accept },
        });
        assert.equal(deniedV.status, 403, `vread ${accept}`);
      }
      const own = await fetch(`${server.baseUrl}/Binary/${ofA.body.id}`, { headers: asA });
      assert.equal(own.status, 200);
      assert.equal(await own.text(), 'A discharge letter');
      assert.equal(own.headers.get('x-security-context'), 'Patient/pa');
      // A cannot overwrite B's document, nor upload one into B's record; nothing is read from the refused body.
      const overwrite = await upload(Buffer.from('tampered'), 'application/pdf', {
        path: `Binary/${ofB.body.id}`,
        method: 'PUT',
        headers: asA,
      });
      assert.equal(overwrite.status, 403, overwrite.text);
      const intoB = await upload(Buffer.from('planted'), 'application/pdf', {
        headers: { ...asA, 'x-security-context': 'Patient/pb' },
      });
      assert.equal(intoB.status, 403, intoB.text);
      assert.equal(await (await fetch(`${server.baseUrl}/Binary/${ofB.body.id}`)).text(), 'B-only discharge letter');
    });

    it('refuses a malformed X-Security-Context and a bad id with 400', async () => {
      const bad = await upload(Buffer.from('x'), 'text/plain', {
        headers: { 'x-security-context': 'not a reference' },
      });
      assert.equal(bad.status, 400, bad.text);
      const badId = await upload(Buffer.from('x'), 'text/plain', { path: 'Binary/bad$id', method: 'PUT' });
      assert.equal(badId.status, 400, badId.text);
    });
  });
}
