/**
 * DocumentReference attachments over HTTP (issue #21), run against every store (document-attachments.*.int.test.ts):
 * inline data becomes a Binary the attachment points at with size and SHA-1 filled in, a url naming an existing Binary
 * gets its size and hash, a disagreeing size or hash is refused, and a patient-A caller cannot read patient B's
 * document content through the Binary url.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { FULL_ACCESS, type AccessPolicy } from '../../access-policy.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';

import { sendBytes } from './http-bytes.js';

/** `x-test-patient: pa` acts as a patient-context token of Patient/pa (what a SMART patient token becomes). */
function testAccess(req: Request): Promise<AccessPolicy> {
  const patient = req.headers['x-test-patient'];
  if (typeof patient !== 'string') return Promise.resolve(FULL_ACCESS);
  return Promise.resolve({ ...FULL_ACCESS, who: `Patient/${patient}`, compartment: `Patient/${patient}` });
}

const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('base64');

function documentOf(patient: string, attachment: Record<string, unknown>) {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    subject: { reference: `Patient/${patient}` },
    content: [{ attachment: { contentType: 'application/pdf', ...attachment } }],
  };
}

export function describeDocumentAttachments(label: string, factory: StoreFactory): void {
  describe(`DocumentReference attachments: ${label}`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;

    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      server = await startTestServer(opened.store, { resolveAccess: testAccess });
      for (const id of ['pa', 'pb'])
        assert.equal(
          (await server.fhir(`/Patient/${id}`, { method: 'PUT', body: { resourceType: 'Patient', id } })).status,
          201,
        );
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
      await dispose?.();
    });

    const bytesAt = async (url: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.baseUrl}/${url}`, { headers: { accept: '*/*', ...headers } });
      return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
    };

    it('inline data moves into a Binary: url, size and SHA-1 (base64) filled, data gone, same bytes at the url', async () => {
      const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(70_001)]);
      const created = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: documentOf('pa', { data: bytes.toString('base64'), title: 'Discharge letter' }),
      });
      assert.equal(created.status, 201, created.text);
      const read = await server.fhir(`/DocumentReference/${created.body.id}`);
      const attachment = read.body.content[0].attachment;
      assert.equal(attachment.data, undefined);
      assert.equal(attachment.title, 'Discharge letter');
      assert.match(attachment.url, /^Binary\/[A-Za-z0-9\-.]+$/);
      assert.equal(attachment.size, bytes.length);
      assert.equal(attachment.hash, sha1(bytes));
      const got = await bytesAt(attachment.url);
      assert.equal(got.status, 200);
      assert.ok(got.bytes.equals(bytes), 'the Binary answers the very bytes that were sent');
      const binary = await server.fhir(attachment.url);
      assert.equal(binary.body.securityContext.reference, 'Patient/pa');
      assert.equal(binary.body.contentType, 'application/pdf');
    });

    it('a correct client size and hash are accepted; a wrong one is refused with 422 naming it, nothing stored', async () => {
      const bytes = Buffer.from('a scanned consent');
      const ok = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: documentOf('pa', { data: bytes.toString('base64'), size: bytes.length, hash: sha1(bytes) }),
      });
      assert.equal(ok.status, 201, ok.text);
      const before = (await server.fhir('/Binary?_summary=count')).body.total;
      const wrongHash = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: documentOf('pa', { data: bytes.toString('base64'), hash: sha1(Buffer.from('other')) }),
      });
      assert.equal(wrongHash.status, 422, wrongHash.text);
      assert.deepEqual(wrongHash.body.issue[0].expression, ['DocumentReference.content[0].attachment.hash']);
      const wrongSize = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: documentOf('pa', { data: bytes.toString('base64'), size: bytes.length + 1 }),
      });
      assert.equal(wrongSize.status, 422, wrongSize.text);
      assert.match(wrongSize.body.issue[0].diagnostics, /attachment\.size is 18 but the content is 17 bytes/);
      assert.equal((await server.fhir('/Binary?_summary=count')).body.total, before, 'no Binary left by a refusal');
      const bad = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: documentOf('pa', { data: 'not base64!' }),
      });
      assert.equal(bad.status, 400, bad.text);
    });

    it('a url naming an existing Binary gets its size and hash; a wrong hash for it is refused', async () => {
      const bytes = randomBytes(12_345);
      const uploaded = await sendBytes(`${server.baseUrl}/Binary`, {
        method: 'POST',
        contentType: 'application/pdf',
        source: bytes,
        length: bytes.length,
        headers: { 'x-security-context': 'Patient/pa' },
      });
      assert.equal(uploaded.status, 201, uploaded.text);
      for (const url of [`Binary/${uploaded.body.id}`, `${server.baseUrl}/Binary/${uploaded.body.id}`]) {
        const created = await server.fhir('/DocumentReference', { method: 'POST', body: documentOf('pa', { url }) });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.body.content[0].attachment.url, url);
        assert.equal(created.body.content[0].attachment.size, bytes.length);
        assert.equal(created.body.content[0].attachment.hash, sha1(bytes));
      }
      const wrong = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: documentOf('pa', { url: `Binary/${uploaded.body.id}`, hash: sha1(Buffer.from('x')) }),
      });
      assert.equal(wrong.status, 422, wrong.text);
    });

    it('in a transaction and on update the inline data is moved too', async () => {
      const bytes = Buffer.from('lab report PDF');
      const tx = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              request: { method: 'POST', url: 'DocumentReference' },
              resource: documentOf('pa', { data: bytes.toString('base64') }),
            },
          ],
        },
      });
      assert.equal(tx.status, 200, tx.text);
      const id = String(tx.body.entry[0].response.location).split('/')[1];
      const doc = (await server.fhir(`/DocumentReference/${id}`)).body;
      assert.equal(doc.content[0].attachment.hash, sha1(bytes));
      assert.ok((await bytesAt(doc.content[0].attachment.url)).bytes.equals(bytes));
      const newer = Buffer.from('corrected lab report PDF');
      const updated = await server.fhir(`/DocumentReference/${id}`, {
        method: 'PUT',
        body: { ...documentOf('pa', { data: newer.toString('base64') }), id },
      });
      assert.equal(updated.status, 200, updated.text);
      const after = updated.body.content[0].attachment;
      assert.notEqual(after.url, doc.content[0].attachment.url);
      assert.equal(after.size, newer.length);
      assert.ok((await bytesAt(after.url)).bytes.equals(newer));
      assert.ok((await bytesAt(doc.content[0].attachment.url)).bytes.equals(bytes), 'the old version’s bytes stay');
    });

    it('a patient-A caller cannot read patient B’s document content through its Binary url', async () => {
      const secret = Buffer.from('B-only discharge letter');
      const ofB = await server.fhir('/DocumentReference', {
        method: 'POST',
        body: documentOf('pb', { data: secret.toString('base64') }),
      });
      assert.equal(ofB.status, 201, ofB.text);
      const url = ofB.body.content[0].attachment.url;
      const asA = { 'x-test-patient': 'pa' };
      for (const accept of ['application/pdf', '*/*', 'application/fhir+json']) {
        const denied = await fetch(`${server.baseUrl}/${url}`, { headers: { ...asA, accept } });
        assert.equal(denied.status, 403, accept);
        assert.ok(!(await denied.text()).includes('B-only'), accept);
      }
      assert.equal((await bytesAt(url, { 'x-test-patient': 'pb' })).status, 200, 'B reads its own document');
      // A cannot learn B's size/hash by pointing its own document at B's Binary either.
      const probe = await server.fhir('/DocumentReference', {
        method: 'POST',
        headers: asA,
        body: documentOf('pa', { url }),
      });
      assert.equal(probe.status, 201, probe.text);
      assert.equal(probe.body.content[0].attachment.hash, undefined);
      assert.equal(probe.body.content[0].attachment.size, undefined);
    });
  });
}
