/**
 * Binary in FHIR XML over HTTP (issue #25), run against every store (binary-xml.*.int.test.ts): read and vread with
 * Accept application/fhir+xml or `_format=xml` answer the Binary resource as FHIR XML (contentType, securityContext,
 * data in base64, as HAPI does), streamed from the content store at any size; the Binary's own type (or plain
 * application/xml for an XML document) still answers the bytes; a Binary resource POSTed or PUT as
 * application/fhir+xml is stored like a JSON one; a patient token gets no other patient's Binary in XML either.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import type { TestServer } from '../../../testing/test-server.js';
import { startBinaryTestServer, type BinaryTestServer } from './binary-test-server.js';
import { randomBytes } from 'node:crypto';
import { parseFhirXml } from '../../xml/parse-fhir-xml.js';
import { fetchHashed, sendBytes } from './http-bytes.js';

export function describeBinaryXml(label: string, factory: StoreFactory): void {
  describe(`Binary as FHIR XML over HTTP: ${label}`, () => {
    let binary: BinaryTestServer;
    let server: TestServer;
    const pdf = Buffer.from('%PDF-1.4\n% a discharge letter\n' + 'x'.repeat(5000) + '\n%%EOF\n');
    before(async () => {
      binary = await startBinaryTestServer(factory);
      server = binary.server;
    });
    after(() => binary?.close());

    const upload = (bytes: Buffer, contentType: string, headers: Record<string, string> = {}) =>
      sendBytes(`${server.baseUrl}/Binary`, {
        method: 'POST',
        contentType,
        source: bytes,
        length: bytes.length,
        headers,
      });

    /** GET as text, with the response's content type. */
    const get = async (path: string, headers: Record<string, string>) => {
      const res = await fetch(`${server.baseUrl}/${path}`, { headers });
      return {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        headers: res.headers,
        text: await res.text(),
      };
    };

    const xmlBinary = (text: string) => parseFhirXml(text) as Record<string, unknown>;

    it('Accept application/fhir+xml and _format=xml answer the Binary resource in FHIR XML, data in base64', async () => {
      const created = await upload(pdf, 'application/pdf', { 'x-security-context': 'Patient/pa' });
      assert.equal(created.status, 201, created.text);
      const id = created.body.id as string;
      for (const [path, headers] of [
        [`Binary/${id}`, { accept: 'application/fhir+xml' }],
        [`Binary/${id}?_format=xml`, { accept: 'application/pdf' }],
        [`Binary/${id}?_format=application/fhir%2Bxml`, {}],
        [`Binary/${id}/_history/1`, { accept: 'application/fhir+xml;q=0.9, application/pdf;q=0' }],
      ] as Array<[string, Record<string, string>]>) {
        const res = await get(path, headers);
        assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 300)}`);
        assert.match(res.type, /^application\/fhir\+xml/, path);
        assert.match(res.text, /^<Binary xmlns="http:\/\/hl7\.org\/fhir">/, path);
        const binary = xmlBinary(res.text);
        assert.equal(binary['resourceType'], 'Binary');
        assert.equal(binary['id'], id);
        assert.equal(binary['contentType'], 'application/pdf');
        assert.deepEqual(binary['securityContext'], { reference: 'Patient/pa' });
        assert.ok(Buffer.from(String(binary['data']), 'base64').equals(pdf), `${path}: the bytes`);
        // the same resource as the JSON form answers
        const json = await server.fhir(`/Binary/${id}`);
        assert.deepEqual(binary, json.body, `${path}: XML and JSON forms agree`);
      }
    });

    it("the Binary's own type, */* and no Accept still answer the bytes; plain application/xml is content", async () => {
      const cda = Buffer.from(
        '<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Letter</title></ClinicalDocument>',
      );
      const created = await upload(cda, 'application/xml');
      assert.equal(created.status, 201, created.text);
      for (const accept of ['application/xml', 'text/xml, application/xml', '*/*', undefined]) {
        const res = await get(`Binary/${created.body.id}`, accept ? { accept } : {});
        assert.equal(res.status, 200, String(accept));
        assert.equal(res.type, 'application/xml', String(accept));
        assert.equal(res.text, cda.toString(), String(accept));
      }
      const asResource = await get(`Binary/${created.body.id}`, { accept: 'application/fhir+xml' });
      assert.equal(Buffer.from(String(xmlBinary(asResource.text)['data']), 'base64').toString(), cda.toString());
    });

    it('sizes 0 to 4 bytes and a large Binary (2.5 MB) come back identical as XML; the large one streamed (chunked)', async () => {
      for (const size of [0, 1, 2, 3, 4]) {
        const bytes = Buffer.from([0, 255, 60, 38, 34].slice(0, size)); // NUL, 0xFF, '<', '&', '"'
        const created = await upload(bytes, 'application/octet-stream');
        const res = await get(`Binary/${created.body.id}`, { accept: 'application/fhir+xml' });
        assert.equal(res.status, 200);
        const data = xmlBinary(res.text)['data'];
        if (size === 0) assert.equal(data, undefined, 'no empty value attribute for no bytes');
        else assert.ok(Buffer.from(String(data), 'base64').equals(bytes), `${size} bytes`);
      }
      const big = randomBytes(2.5 * 1024 * 1024);
      const created = await upload(big, 'application/octet-stream');
      assert.equal(created.status, 201, created.text);
      const res = await get(`Binary/${created.body.id}`, { accept: 'application/fhir+xml' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), null, 'not a buffered body of known length');
      assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      assert.ok(Buffer.from(String(xmlBinary(res.text)['data']), 'base64').equals(big));
      const raw = await fetchHashed(`${server.baseUrl}/Binary/${created.body.id}`);
      assert.equal(raw.size, big.length, 'the raw form is unchanged');
    });

    it('a Binary resource POSTed and PUT as application/fhir+xml is stored; its bytes come back raw', async () => {
      const xml = (id?: string, text = 'hello from XML') =>
        `<?xml version="1.0" encoding="UTF-8"?><Binary xmlns="http://hl7.org/fhir">${id ? `<id value="${id}"/>` : ''}<contentType value="text/plain"/><securityContext><reference value="Patient/pa"/></securityContext><data value="${Buffer.from(text).toString('base64')}"/></Binary>`;
      const created = await server.fhir('/Binary', {
        method: 'POST',
        rawBody: xml(),
        headers: { 'content-type': 'application/fhir+xml', accept: 'application/fhir+xml' },
      });
      assert.equal(created.status, 201, created.text);
      const id = String(created.headers.get('location')).split('/Binary/')[1]!.split('/')[0]!;
      const raw = await get(`Binary/${id}`, { accept: 'text/plain' });
      assert.equal(raw.type, 'text/plain');
      assert.equal(raw.text, 'hello from XML');
      const updated = await server.fhir(`/Binary/${id}`, {
        method: 'PUT',
        rawBody: xml(id, 'updated in XML'),
        headers: { 'content-type': 'application/fhir+xml; charset=utf-8' },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal((await get(`Binary/${id}`, { accept: 'text/plain' })).text, 'updated in XML');
      const back = xmlBinary((await get(`Binary/${id}`, { accept: 'application/fhir+xml' })).text);
      assert.deepEqual(back['securityContext'], { reference: 'Patient/pa' });
      assert.equal(Buffer.from(String(back['data']), 'base64').toString(), 'updated in XML');
      // malformed XML: 400 OperationOutcome, nothing stored
      const bad = await server.fhir('/Binary', {
        method: 'POST',
        rawBody: '<Binary xmlns="http://hl7.org/fhir"><contentType value="text/plain"/><data value="aGk="></Binary>',
        headers: { 'content-type': 'application/fhir+xml' },
      });
      assert.equal(bad.status, 400, bad.text);
    });

    it("a patient token gets no other patient's Binary as XML", async () => {
      const ofB = await upload(Buffer.from('B-only letter'), 'application/pdf', { 'x-security-context': 'Patient/pb' });
      const denied = await get(`Binary/${ofB.body.id}`, { 'x-test-patient': 'pa', accept: 'application/fhir+xml' });
      assert.equal(denied.status, 403);
      assert.ok(!denied.text.includes(Buffer.from('B-only letter').toString('base64')));
      assert.match(denied.text, /OperationOutcome/);
    });
  });
}
