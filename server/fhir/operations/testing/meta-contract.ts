/**
 * $meta, $meta-add and $meta-delete over HTTP, for every store (issue #25): the spec's history semantics (no new
 * version, historical versions editable), sets of tags/labels/profiles, searches that see the change, N concurrent
 * clients adding at once, and tokens that must not change or summarise what they may not see.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Coding, Meta } from '@medplum/fhirtypes';
import type { StoreFactory } from '../../../store/testing/store-contract.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';
import { policyFromScopes } from '../../../auth/scope-policy.js';
import { FULL_ACCESS } from '../../access-policy.js';

const SYS = 'http://nilecare.sd/fhir/tags';

export function metaOperationsContract(label: string, factory: StoreFactory): void {
  describe(`$meta, $meta-add, $meta-delete: ${label}`, () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    const run = randomUUID().slice(0, 8);
    const tag = (code: string, display?: string): Coding => ({ system: SYS, code: `${code}-${run}`, display });
    const body = (meta: Meta) => ({ resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: meta }] });
    const returned = (res: { body: { parameter: Array<{ valueMeta: Meta }> } }) => res.body.parameter[0]!.valueMeta;
    const codes = (codings: Coding[] | undefined) => (codings ?? []).map((c) => c.code).sort();

    before(async () => {
      const opened = await factory();
      dispose = opened.dispose;
      server = await startTestServer(opened.store, {
        resolveAccess: async (req) => {
          const scope = req.get('x-test-scope');
          if (!scope) return FULL_ACCESS;
          const patient = req.get('x-test-patient');
          return policyFromScopes({ scope, clientId: 'meta-test', ...(patient ? { patient } : {}) });
        },
      });
    });
    after(async () => {
      await server?.close();
      await server?.app.store.close().catch(() => undefined);
      await dispose?.();
    });

    async function createPatient(meta?: Meta): Promise<string> {
      const res = await server.fhir('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family: `Meta${run}` }], ...(meta ? { meta } : {}) },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    }

    it('$meta-add adds to the sets without a new version; searches see it; $meta reads it back', async () => {
      const id = await createPatient({ tag: [tag('a')] });
      const add = await server.fhir(`/Patient/${id}/$meta-add`, {
        method: 'POST',
        body: body({
          tag: [tag('a', 'same tag, other display'), tag('b')],
          security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
          profile: [`http://nilecare.sd/fhir/StructureDefinition/p-${run}`],
        }),
      });
      assert.equal(add.status, 200, add.text);
      const meta = returned(add);
      assert.deepEqual(codes(meta.tag), [`a-${run}`, `b-${run}`], 'a tag is identified by system + code');
      assert.equal(meta.versionId, '1');
      assert.deepEqual(meta.profile, [`http://nilecare.sd/fhir/StructureDefinition/p-${run}`]);

      const read = await server.fhir(`/Patient/${id}`);
      assert.equal(read.body.meta.versionId, '1', 'no new version');
      assert.deepEqual(codes(read.body.meta.tag), [`a-${run}`, `b-${run}`]);
      assert.equal(read.body.name[0].family, `Meta${run}`, 'the rest of the resource is untouched');
      const history = await server.fhir(`/Patient/${id}/_history`);
      assert.equal(history.body.entry.length, 1);

      const byTag = await server.fhir(`/Patient?_tag=${SYS}|b-${run}`);
      assert.deepEqual(
        byTag.body.entry.map((e: { resource: { id: string } }) => e.resource.id),
        [id],
      );
      const bySecurity = await server.fhir(`/Patient?_security=R&family=Meta${run}`);
      assert.equal(bySecurity.body.entry?.length, 1);
      const byProfile = await server.fhir(`/Patient?_profile=http://nilecare.sd/fhir/StructureDefinition/p-${run}`);
      assert.equal(byProfile.body.entry?.length, 1);

      const got = await server.fhir(`/Patient/${id}/$meta`);
      assert.equal(got.status, 200, got.text);
      assert.deepEqual(codes(returned(got).tag), [`a-${run}`, `b-${run}`]);
    });

    it('$meta-delete removes by system + code and by profile URL; searches stop finding it', async () => {
      const id = await createPatient({ tag: [tag('x'), tag('y')], profile: ['http://example.org/p'] });
      const del = await server.fhir(`/Patient/${id}/$meta-delete`, {
        method: 'POST',
        body: body({ tag: [tag('x', 'display ignored')], profile: ['http://example.org/p'] }),
      });
      assert.equal(del.status, 200, del.text);
      assert.deepEqual(codes(returned(del).tag), [`y-${run}`]);
      assert.equal(returned(del).profile, undefined);
      const read = await server.fhir(`/Patient/${id}`);
      assert.equal(read.body.meta.versionId, '1');
      assert.deepEqual(codes(read.body.meta.tag), [`y-${run}`]);
      assert.deepEqual((await server.fhir(`/Patient?_tag=${SYS}|x-${run}`)).body.entry ?? [], []);
    });

    it('on a historical version: that version changes, the current one and its search index do not', async () => {
      const id = await createPatient();
      const update = await server.fhir(`/Patient/${id}`, {
        method: 'PUT',
        body: { resourceType: 'Patient', id, name: [{ family: `Meta${run}`, given: ['Two'] }] },
      });
      assert.equal(update.status, 200, update.text);
      const add = await server.fhir(`/Patient/${id}/_history/1/$meta-add`, {
        method: 'POST',
        body: body({ tag: [tag('old')] }),
      });
      assert.equal(add.status, 200, add.text);
      assert.equal(returned(add).versionId, '1');
      const v1 = await server.fhir(`/Patient/${id}/_history/1`);
      assert.deepEqual(codes(v1.body.meta.tag), [`old-${run}`]);
      const v2 = await server.fhir(`/Patient/${id}`);
      assert.equal(v2.body.meta.versionId, '2');
      assert.equal(v2.body.meta.tag, undefined);
      assert.deepEqual((await server.fhir(`/Patient?_tag=${SYS}|old-${run}`)).body.entry ?? [], []);
      const versionMeta = await server.fhir(`/Patient/${id}/_history/1/$meta`);
      assert.deepEqual(codes(returned(versionMeta).tag), [`old-${run}`]);
      assert.equal((await server.fhir(`/Patient/${id}/_history/9/$meta`)).status, 404);
      assert.equal((await server.fhir(`/Patient/${id}/_history/1/$everything`)).status, 404, 'other operations: no');
    });

    it('12 concurrent clients each adding a tag: all 12 are kept, still version 1', async () => {
      const id = await createPatient();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          server.fhir(`/Patient/${id}/$meta-add`, { method: 'POST', body: body({ tag: [tag(`c${i}`)] }) }),
        ),
      );
      for (const r of results) assert.equal(r.status, 200, r.text);
      const read = await server.fhir(`/Patient/${id}`);
      assert.equal(read.body.meta.tag.length, 12);
      assert.equal(read.body.meta.versionId, '1');
    });

    it('type and system $meta list the tags in use', async () => {
      await createPatient({ tag: [tag('summary')] });
      const type = await server.fhir('/Patient/$meta');
      assert.equal(type.status, 200, type.text);
      assert.ok(codes(returned(type).tag).includes(`summary-${run}`));
      const system = await server.fhir('/$meta', { method: 'POST', body: { resourceType: 'Parameters' } });
      assert.equal(system.status, 200, system.text);
      assert.ok(codes(returned(system).tag).includes(`summary-${run}`));
      const observations = await server.fhir('/Observation/$meta');
      assert.ok(!codes(returned(observations).tag).includes(`summary-${run}`), 'per type');
    });

    it('malformed, unknown, deleted and wrong-method calls get an OperationOutcome', async () => {
      const id = await createPatient();
      const cases: Array<[string, string, unknown, number]> = [
        [`/Patient/${id}/$meta-add`, 'POST', { resourceType: 'Patient' }, 400],
        [`/Patient/${id}/$meta-add`, 'POST', body({ tag: [{ system: SYS }] }), 400],
        [`/Patient/${id}/$meta-add`, 'POST', body({ tag: [{ system: SYS, code: ' padded ' }] }), 400],
        [`/Patient/${id}/$meta-add`, 'POST', body({ profile: ['not a url'] }), 400],
        [`/Patient/${id}/$meta-add`, 'POST', body({}), 400],
        [`/Patient/nope-${run}/$meta-add`, 'POST', body({ tag: [tag('z')] }), 404],
        [`/Patient/${id}/$meta-add`, 'GET', undefined, 405],
      ];
      for (const [path, method, payload, status] of cases) {
        const res = await server.fhir(path, { method, ...(payload !== undefined ? { body: payload } : {}) });
        assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(payload)}: ${res.text}`);
        assert.equal(res.body.resourceType, 'OperationOutcome');
      }
      const read = await server.fhir(`/Patient/${id}`);
      assert.equal(read.body.meta.tag, undefined, 'nothing was changed by the refused calls');
      assert.ok([200, 204].includes((await server.fhir(`/Patient/${id}`, { method: 'DELETE' })).status));
      const deleted = await server.fhir(`/Patient/${id}/$meta-add`, {
        method: 'POST',
        body: body({ tag: [tag('z')] }),
      });
      assert.equal(deleted.status, 410, deleted.text);
    });

    it("a patient's token cannot change or read another patient's meta, nor summarise the type", async () => {
      const mine = await createPatient();
      const theirs = await createPatient({ tag: [tag('secret')] });
      const asMine = { 'x-test-scope': 'patient/*.rus', 'x-test-patient': mine };
      const change = await server.fhir(`/Patient/${theirs}/$meta-delete`, {
        method: 'POST',
        headers: asMine,
        body: body({ tag: [tag('secret')] }),
      });
      assert.equal(change.status, 403, change.text);
      const peek = await server.fhir(`/Patient/${theirs}/$meta`, { headers: asMine });
      assert.equal(peek.status, 403, peek.text);
      assert.doesNotMatch(peek.text, /secret/);
      const summary = await server.fhir('/Patient/$meta', { headers: asMine });
      assert.equal(summary.status, 403, summary.text);
      const own = await server.fhir(`/Patient/${mine}/$meta-add`, {
        method: 'POST',
        headers: asMine,
        body: body({ tag: [tag('own')] }),
      });
      assert.equal(own.status, 200, own.text);
      const readOnly = await server.fhir(`/Patient/${mine}/$meta-add`, {
        method: 'POST',
        headers: { 'x-test-scope': 'patient/*.rs', 'x-test-patient': mine },
        body: body({ tag: [tag('ro')] }),
      });
      assert.equal(readOnly.status, 403, 'read-only scopes cannot add');
      assert.deepEqual(codes((await server.fhir(`/Patient/${theirs}`)).body.meta.tag), [`secret-${run}`]);
    });
  });
}
