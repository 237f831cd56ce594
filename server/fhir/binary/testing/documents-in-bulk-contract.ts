/**
 * A patient's documents in Patient/$everything and $export (issue #21), on every store: the DocumentReference as a
 * match, its Binary as an include / in Binary.ndjson without its bytes (fetched at the Binary's URL), and neither for
 * a caller or an export scope that does not cover the patient.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Request } from 'express';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { FULL_ACCESS, type AccessPolicy } from '../../access-policy.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';
import { runExportTo, type ExportRun } from '../../operations/testing/bulk-harness.js';

function testAccess(req: Request): Promise<AccessPolicy> {
  const patient = req.headers['x-test-patient'];
  if (typeof patient !== 'string') return Promise.resolve(FULL_ACCESS);
  return Promise.resolve({ ...FULL_ACCESS, who: `Patient/${patient}`, compartment: `Patient/${patient}` });
}

type Json = any;

export function describeDocumentsInBulk(label: string, factory: StoreFactory): void {
  describe(`documents in $everything and $export: ${label}`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    const docs: Record<string, Json> = {};
    const letter = (who: string) => Buffer.from(`%PDF-1.4 discharge letter of ${who}`);

    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      server = await startTestServer(opened.store, { resolveAccess: testAccess });
      for (const id of ['pa', 'pb']) {
        assert.equal(
          (await server.fhir(`/Patient/${id}`, { method: 'PUT', body: { resourceType: 'Patient', id } })).status,
          201,
        );
        const doc = await server.fhir('/DocumentReference', {
          method: 'POST',
          body: {
            resourceType: 'DocumentReference',
            status: 'current',
            subject: { reference: `Patient/${id}` },
            content: [{ attachment: { contentType: 'application/pdf', data: letter(id).toString('base64') } }],
          },
        });
        assert.equal(doc.status, 201, doc.text);
        docs[id] = doc.body;
      }
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close();
      await dispose?.();
    });

    const binaryKey = (id: string) => docs[id].content[0].attachment.url as string;

    it('Patient/$everything: the DocumentReference is a match, its Binary an include without bytes; not the other patient’s', async () => {
      for (const headers of [{}, { 'x-test-patient': 'pa' }] as Array<Record<string, string>>) {
        const res = await server.fhir('/Patient/pa/$everything', { headers });
        assert.equal(res.status, 200, res.text);
        const entries: Json[] = res.body.entry;
        const key = (e: Json) => `${e.resource.resourceType}/${e.resource.id}`;
        const doc = entries.find((e) => key(e) === `DocumentReference/${docs['pa'].id}`);
        assert.equal(doc?.search.mode, 'match');
        const binary = entries.find((e) => key(e) === binaryKey('pa'));
        assert.equal(binary?.search.mode, 'include', JSON.stringify(entries.map(key)));
        assert.equal(binary.resource.data, undefined, 'the bytes are not inlined');
        assert.equal(binary.fullUrl, `${server.baseUrl}/${binaryKey('pa')}`);
        const bytes = await fetch(binary.fullUrl, { headers: { ...headers, accept: 'application/pdf' } });
        assert.equal(Buffer.from(await bytes.arrayBuffer()).equals(letter('pa')), true);
        assert.ok(!entries.some((e) => key(e) === binaryKey('pb') || key(e) === `DocumentReference/${docs['pb'].id}`));
      }
      const denied = await server.fhir('/Patient/pb/$everything', { headers: { 'x-test-patient': 'pa' } });
      assert.ok(denied.status === 403 || denied.status === 404, denied.text);
    });

    const check = (run: ExportRun, patients: string[]) => {
      assert.equal(run.status, 200, run.kick.text);
      const binaries = run.resources.filter((r) => r.resourceType === 'Binary');
      assert.deepEqual(binaries.map((b) => `Binary/${b.id}`).sort(), patients.map(binaryKey).sort());
      for (const b of binaries) assert.equal(b.data, undefined, 'Binary.ndjson carries no bytes');
      const refs = run.resources.filter((r) => r.resourceType === 'DocumentReference');
      assert.deepEqual(refs.map((r) => r.id).sort(), patients.map((p) => docs[p].id).sort());
      for (const r of refs) assert.match(r.content[0].attachment.url, new RegExp(`^${server.baseUrl}/Binary/`));
      return refs;
    };

    it('Patient-level $export ships Binary.ndjson without bytes and absolute attachment urls that answer the bytes', async () => {
      const run = await runExportTo(server, '/Patient/$export?_type=Patient,DocumentReference,Binary');
      const refs = check(run, ['pa', 'pb']);
      for (const r of refs) {
        const bytes = await fetch(r.content[0].attachment.url, { headers: { accept: '*/*' } });
        const who = r.subject.reference.split('/')[1];
        assert.equal(Buffer.from(await bytes.arrayBuffer()).equals(letter(who)), true);
      }
      const byDefault = await runExportTo(server, '/Patient/$export');
      assert.ok(
        byDefault.resources.some((r) => r.resourceType === 'Binary'),
        'Binary is among the default types',
      );
    });

    it('Group-level $export: only the members’ documents and Binaries', async () => {
      const group = await server.fhir('/Group', {
        method: 'POST',
        body: {
          resourceType: 'Group',
          type: 'person',
          actual: true,
          member: [{ entity: { reference: 'Patient/pa' } }],
        },
      });
      assert.equal(group.status, 201, group.text);
      check(await runExportTo(server, `/Group/${group.body.id}/$export?_type=DocumentReference,Binary`), ['pa']);
    });
  });
}
